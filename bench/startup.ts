/**
 * The controller's fixed cost: how much CPU and wall time `capstan` spends before it talks
 * to any host. Times `capstan --version`, `capstan validate` and `capstan run --check` of the
 * reference workload (bench/workload/site.ts) against one host on this machine
 * (`ansible_connection: local`), each under GNU time, and prints the median of the runs.
 *
 *   node --import tsx bench/startup.ts                 # 10 runs of each command, cold and warm
 *   node --import tsx bench/startup.ts --runs 20 --from-source
 *
 * cold: every run starts with an empty compile cache (Capstan's and the TypeScript loader's,
 * both moved to a fresh directory); warm: the caches a first, untimed run filled.
 * CPU is user + system time of the whole process tree.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseGnuTime, timeArgv } from './lib/gnu-time.ts';
import { median } from './lib/stats.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const work = mkdtempSync(join(tmpdir(), 'capstan-startup-'));
const inventory = join(work, 'local.yml');
writeFileSync(inventory, 'nodes:\n  hosts:\n    localhost:\n      ansible_connection: local\n');
const playbook = join(root, 'bench/workload/site.ts');

const COMMANDS: Record<string, string[]> = {
  version: ['--version'],
  validate: ['validate', playbook, '-i', inventory],
  'run --check': ['run', playbook, '-i', inventory, '--check', '--json'],
};

interface Sample { cpuS: number; wallS: number }

function options(argv: string[]): { runs: number; fromSource: boolean } {
  const at = argv.indexOf('--runs');
  const runs = at >= 0 ? Number(argv[at + 1]) : 10;
  if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs takes a whole number >= 1');
  return { runs, fromSource: argv.includes('--from-source') };
}

/** A fresh cache location: Capstan's compile cache and the operating system's temporary directory. */
function freshCaches(): Record<string, string> {
  const dir = mkdtempSync(join(work, 'cache-'));
  return { CAPSTAN_CACHE_DIR: join(dir, 'capstan'), TMPDIR: dir };
}

function timeOnce(args: string[], env: NodeJS.ProcessEnv): Sample {
  const report = join(work, 'time.txt');
  const [cmd, ...rest] = timeArgv(report, [process.execPath, join(root, 'bin/capstan.js'), ...args]);
  const r = spawnSync(cmd!, rest, { cwd: root, env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const t = parseGnuTime(readFileSync(report, 'utf8'));
  if (!t || t.exitCode !== 0) throw new Error(`capstan ${args.join(' ')} failed (exit ${t?.exitCode ?? r.status}): ${r.stderr}`);
  return { cpuS: t.userS + t.sysS, wallS: t.wallS };
}

function measure(args: string[], runs: number, cold: boolean, base: NodeJS.ProcessEnv): Sample {
  const warmEnv = { ...base, ...freshCaches() };
  if (!cold) timeOnce(args, warmEnv);
  const samples = Array.from({ length: runs }, () => timeOnce(args, cold ? { ...base, ...freshCaches() } : warmEnv));
  return { cpuS: median(samples.map((s) => s.cpuS)), wallS: median(samples.map((s) => s.wallS)) };
}

const { runs, fromSource } = options(process.argv.slice(2));
const base = { ...process.env, ...(fromSource ? { CAPSTAN_FROM_SOURCE: '1' } : {}) };
try {
  console.log(`| command (${fromSource ? 'from src/' : 'from dist/'}, median of ${runs}) | cold CPU s | cold wall s | warm CPU s | warm wall s |`);
  console.log('|---|---|---|---|---|');
  for (const [name, args] of Object.entries(COMMANDS)) {
    const cold = measure(args, runs, true, base);
    const warm = measure(args, runs, false, base);
    console.log(`| ${name} | ${cold.cpuS.toFixed(2)} | ${cold.wallS.toFixed(2)} | ${warm.cpuS.toFixed(2)} | ${warm.wallS.toFixed(2)} |`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
