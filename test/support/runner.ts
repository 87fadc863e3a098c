/**
 * Runs the suite's test files with node's own test runner, the long ones first (npm test,
 * npm run test:unit and npm run test:nodes call it; `--import tsx` on its command line is
 * passed on to every test file's process):
 *
 *   node --import tsx test/support/runner.ts                      # every test file, two at a time
 *   node --import tsx test/support/runner.ts --unit               # those that need no Docker
 *   node --import tsx test/support/runner.ts --nodes --concurrency 1
 *
 * `node --test FILES` sorts the files by path whatever order they are given in, so the
 * throwaway-node files (20 s to 8 minutes each, about 3/4 of the suite's time) started in the
 * middle of the run and the longest of them went on alone at the end while the other slot
 * idled. Here they start first, and the short files fill whichever slot frees up.
 * The output is the runner's own (TAP, or spec on a terminal) with its summary; the exit
 * status is 1 when a test failed or was cancelled. A test file that leaves handles open
 * cannot hang the run (forceExit, as --test-force-exit).
 */
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { run } from 'node:test';
import { spec, tap } from 'node:test/reporters';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export type Selection = 'all' | 'unit' | 'nodes';

/** Every `*.test.ts` under `dir`, as paths relative to the repository, sorted. */
export function testFiles(dir = join(ROOT, 'test')): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...testFiles(path));
    else if (entry.name.endsWith('.test.ts')) found.push(relative(ROOT, path));
  }
  return found.sort();
}

/** Files under a `nodes/` directory run on throwaway Docker nodes. */
export const onNodes = (file: string): boolean => file.split('/').includes('nodes');

/** The files of a selection, in the order they start: throwaway-node files first. */
export function ordered(files: string[], selection: Selection): string[] {
  const nodes = files.filter(onNodes);
  const unit = files.filter((f) => !onNodes(f));
  if (selection === 'unit') return unit;
  if (selection === 'nodes') return nodes;
  return [...nodes, ...unit];
}

export function parseArgs(argv: string[]): { selection: Selection; concurrency: number } {
  let selection: Selection = 'all';
  let concurrency = 2;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--unit' || arg === '--nodes') selection = arg === '--unit' ? 'unit' : 'nodes';
    else if (arg === '--concurrency') concurrency = Number(argv[++i]);
    else throw new Error(`unknown argument ${arg} (see the usage atop test/support/runner.ts)`);
  }
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error('--concurrency takes a whole number of files, 1 or more');
  return { selection, concurrency };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { selection, concurrency } = parseArgs(process.argv.slice(2));
  process.chdir(ROOT);
  const stream = run({ files: ordered(testFiles(), selection), concurrency, forceExit: true });
  stream.on('test:fail', (data: { todo?: boolean | string }) => {
    if (!data.todo) process.exitCode = 1;
  });
  stream.compose(process.stdout.isTTY ? new spec() : tap).pipe(process.stdout);
}
