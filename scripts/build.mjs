#!/usr/bin/env node
/**
 * Precompiles Capstan's own sources into `dist/` (ES modules, one shared copy of every
 * module across the entry points, source maps holding the sources) and writes the type
 * declarations of the public entry points (`capstan`, `capstan/testing`) beside them, so
 * the command line starts without compiling them on each run and the published package
 * needs no `src/`. Playbooks, roles and TypeScript inventories are still loaded from source.
 * Run by npm's `prepare`; `bin/capstan.js` falls back to the sources while `dist/` is older
 * than any file under `src/`.
 *
 *   node scripts/build.mjs
 */
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { newestMtime } from '../bin/precompiled.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');

const sourcesAt = newestMtime(join(root, 'src'));
const next = `${dist}.next-${process.pid}`;
await build({
  entryPoints: { index: 'src/index.ts', testing: 'src/testing/index.ts', cli: 'src/cli/main.ts' },
  absWorkingDir: root,
  outdir: next,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  // class and function names as written: messages and generated docs name them (Secret, not _Secret)
  keepNames: true,
  chunkNames: '[name]-[hash]',
  logLevel: 'warning',
});
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', next], { stdio: 'inherit' });
cpSync(join(root, 'src/testing/node-image'), join(next, 'node-image'), { recursive: true });
writeFileSync(join(next, 'built-from.json'), `${JSON.stringify({ sourcesMtimeMs: sourcesAt })}\n`);
// Swap the new build in: a command starting meanwhile runs the old build, the new one, or the sources.
const old = `${dist}.old-${process.pid}`;
if (existsSync(dist)) renameSync(dist, old);
renameSync(next, dist);
rmSync(old, { recursive: true, force: true });
