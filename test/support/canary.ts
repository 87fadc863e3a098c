/**
 * Runs the command line the way a user does and keeps everything it writes, for secret
 * canary specifications: stdout, stderr, the --log-file, and the process lists of the
 * controller (and, given a sampler, of a node) sampled with `ps -eww` for as long as it runs.
 *
 *   const r = await runCapturing(['run', 'site.ts', '-i', 'hosts.yml', '-vvv', '--log-file', log], { logFile: log });
 *   leaks(r, ['canary-1', 'canary-2'])   // [] when no channel holds any of them
 */
import { execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;

/** One `ps -eww` listing, and whether the command line had written anything yet. */
export interface PsSample {
  text: string;
  afterFirstOutput: boolean;
}

export interface Captured {
  code: number;
  pid: number;
  stdout: string;
  stderr: string;
  log: string;
  controllerPs: PsSample[];
  nodePs: PsSample[];
}

export interface CaptureOptions {
  logFile?: string;
  /** Lists a node's processes (e.g. `docker exec NODE ps -eww`), sampled like the controller's. */
  nodePs?: () => Promise<string>;
  env?: Record<string, string>;
  /**
   * Give the run a /tmp of its own (an empty tmpfs in a private mount namespace, like systemd's
   * PrivateTmp), so that local runs take their own run lock (/tmp/capstan.lock) and never wait
   * for, or block, the other local runs of this machine. Paths given to the run must then lie
   * outside /tmp. Ignored where mount namespaces are not available (not root).
   */
  privateTmp?: boolean;
}

let namespaces: boolean | undefined;
/** True when this process may run a command in a private mount namespace with its own /tmp. */
export function privateTmpAvailable(): boolean {
  namespaces ??= process.getuid?.() === 0 && spawnSync('unshare', ['--mount', '--propagation', 'private', 'true']).status === 0;
  return namespaces;
}

export function psList(): Promise<string> {
  return new Promise((resolve) => execFile('ps', ['-eww', '-o', 'pid=,args='], { maxBuffer: 64 << 20 }, (_e, out) => resolve(out ?? '')));
}

/** Runs `capstan ARGS` from the sources; samples process lists until it exits. */
export async function runCapturing(args: string[], o: CaptureOptions = {}): Promise<Captured> {
  const argv = [process.execPath, join(root, 'bin/capstan.js'), ...args];
  // unshare and sh exec in place: the pid stays that of the command line
  const [file, ...rest] = o.privateTmp && privateTmpAvailable()
    ? ['unshare', '--mount', '--propagation', 'private', 'sh', '-c', 'mount -t tmpfs -o mode=1777 private-tmp /tmp && exec "$0" "$@"', ...argv]
    : argv;
  const child = spawn(file as string, rest, { cwd: root, env: { ...process.env, NO_COLOR: '1', CAPSTAN_FROM_SOURCE: '1', ...o.env } });
  let stdout = '';
  let stderr = '';
  let wrote = false;
  child.stdout.on('data', (d: Buffer) => ((stdout += d.toString()), (wrote = true)));
  child.stderr.on('data', (d: Buffer) => ((stderr += d.toString()), (wrote = true)));
  const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? 1)));
  let running = true;
  void exited.then(() => (running = false));
  const sample = async (list: () => Promise<string>, into: PsSample[]) => {
    while (running) {
      const afterFirstOutput = wrote;
      into.push({ text: await list(), afterFirstOutput });
    }
  };
  const controllerPs: PsSample[] = [];
  const nodePs: PsSample[] = [];
  await Promise.all([sample(psList, controllerPs), ...(o.nodePs ? [sample(o.nodePs, nodePs)] : [])]);
  const code = await exited;
  const log = o.logFile && existsSync(o.logFile) ? readFileSync(o.logFile, 'utf8') : '';
  return { code, pid: child.pid ?? -1, stdout, stderr, log, controllerPs, nodePs };
}

/**
 * Every channel of a capture that holds one of the canaries, as `channel: canary` lines.
 * The capstan process's own arguments are what the user typed: they may hold a canary given
 * with `-e key=value` until Capstan has masked them, which it does before writing anything.
 */
export function leaks(r: Captured, canaries: Record<string, string>): string[] {
  const own = new RegExp(`^\\s*${r.pid}\\s.*$`, 'gm');
  const channels: Record<string, string> = {
    stdout: r.stdout,
    stderr: r.stderr,
    'log file': r.log,
    'controller processes': r.controllerPs.map((s) => (s.afterFirstOutput ? s.text : s.text.replace(own, ''))).join('\n'),
    'node processes': r.nodePs.map((s) => s.text).join('\n'),
  };
  const found: string[] = [];
  for (const [channel, text] of Object.entries(channels)) {
    for (const [source, canary] of Object.entries(canaries)) if (text.includes(canary)) found.push(`${source} in ${channel}`);
  }
  return found;
}
