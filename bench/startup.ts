/**
 * The controller's fixed cost: how much CPU and wall time `capstan` spends before it talks
 * to any host. Times `capstan --version`, `capstan validate` and `capstan run --check` of the
 * reference workload (bench/workload/site.ts) against one host on this machine
 * (`ansible_connection: local`), each under GNU time, and prints the median of the runs.
 *
 *   node --import tsx bench/startup.ts                 # 10 runs of each command, cold and warm
 *   node --import tsx bench/startup.ts --runs 20 --from-source
 *   node --import tsx bench/startup.ts --against /tmp/capstan-before   # runs alternate with another checkout's
 *
 * cold: every run starts with an empty compile cache (Capstan's and the TypeScript loader's,
 * both moved to a fresh directory); warm: the caches a first, untimed run filled.
 * CPU is user + system time of the whole process tree. With `--against DIR` (a checkout with
 * its `dist/` built), each run of this checkout is followed by one of DIR's, so that a busy
 * machine's drift hits both alike.
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
  // another run on this machine may hold the host's lock for a moment: wait for it rather than fail
  'run --check': ['run', playbook, '-i', inventory, '--check', '--json', '--lock-wait', '120'],
};

interface Sample { cpuS: number; wallS: number }
interface Options { runs: number; fromSource: boolean; against?: string }

function options(argv: string[]): Options {
  const value = (flag: string) => (argv.includes(flag) ? argv[argv.indexOf(flag) + 1] : undefined);
  const runs = Number(value('--runs') ?? 10);
  if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs takes a whole number >= 1');
  const against = value('--against');
  return { runs, fromSource: argv.includes('--from-source'), ...(against ? { against: resolve(against) } : {}) };
}

/** A fresh cache location: Capstan's compile cache and the operating system's temporary directory. */
function freshCaches(): Record<string, string> {
  const dir = mkdtempSync(join(work, 'cache-'));
  return { CAPSTAN_CACHE_DIR: join(dir, 'capstan'), TMPDIR: dir };
}

function timeOnce(checkout: string, args: string[], env: NodeJS.ProcessEnv): Sample {
  const report = join(work, 'time.txt');
  const [cmd, ...rest] = timeArgv(report, [process.execPath, join(checkout, 'bin/capstan.js'), ...args]);
  const r = spawnSync(cmd!, rest, { cwd: root, env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const t = parseGnuTime(readFileSync(report, 'utf8'));
  if (!t || t.exitCode !== 0) throw new Error(`${checkout}: capstan ${args.join(' ')} failed (exit ${t?.exitCode ?? r.status}): ${r.stderr}`);
  return { cpuS: t.userS + t.sysS, wallS: t.wallS };
}

/** The median of `runs` runs of each checkout, alternating; warm runs follow one untimed run that fills the caches. */
function measure(checkouts: string[], args: string[], runs: number, cold: boolean, base: NodeJS.ProcessEnv): Sample[] {
  const warmEnvs = checkouts.map(() => ({ ...base, ...freshCaches() }));
  if (!cold) checkouts.forEach((c, i) => timeOnce(c, args, warmEnvs[i]!));
  const samples: Sample[][] = checkouts.map(() => []);
  for (let run = 0; run < runs; run++) {
    checkouts.forEach((c, i) => samples[i]!.push(timeOnce(c, args, cold ? { ...base, ...freshCaches() } : warmEnvs[i]!)));
  }
  return samples.map((s) => ({ cpuS: median(s.map((x) => x.cpuS)), wallS: median(s.map((x) => x.wallS)) }));
}

const o = options(process.argv.slice(2));
const base = { ...process.env, ...(o.fromSource ? { CAPSTAN_FROM_SOURCE: '1' } : {}) };
const checkouts = [root, ...(o.against ? [o.against] : [])];
try {
  console.log(`| command (${o.fromSource ? 'from src/' : 'from dist/'}, median of ${o.runs}) | checkout | cold CPU s | cold wall s | warm CPU s | warm wall s |`);
  console.log('|---|---|---|---|---|---|');
  for (const [name, args] of Object.entries(COMMANDS)) {
    const cold = measure(checkouts, args, o.runs, true, base);
    const warm = measure(checkouts, args, o.runs, false, base);
    checkouts.forEach((c, i) => {
      const [k, w] = [cold[i]!, warm[i]!];
      console.log(`| ${name} | ${c === root ? 'this' : c} | ${k.cpuS.toFixed(2)} | ${k.wallS.toFixed(2)} | ${w.cpuS.toFixed(2)} | ${w.wallS.toFixed(2)} |`);
    });
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
