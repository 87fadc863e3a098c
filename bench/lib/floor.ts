/**
 * The floor: what the same N hosts cost when each answers ONE batched probe (20 trivial
 * commands joined into one) over one OpenSSH connection, all hosts in parallel. Timed under
 * GNU time like the tools, so the ssh client's start-up is included, as it is for them.
 *
 *   const r = await runFloor({ set, logBase: '/tmp/capstan-bench-x/n5-warm-floor-r1', timeoutMs: 60_000 });
 *   r.timed.wallS;   // e.g. 0.35
 *   floorScript([['ssh', 'root@10.0.0.2', 'id -u']]);   // "fail=0\nssh root@10.0.0.2 'id -u' </dev/null & p0=$!\nwait $p0 || fail=1\nexit $fail\n"
 */
import { readFile, writeFile } from 'node:fs/promises';
import { quote } from '../../src/commands/quote.ts';
import type { NodeSet } from '../../src/testing/index.ts';
import { runTimed } from './proc.ts';
import type { ToolRun } from './tool-run.ts';

const PATHS = [
  '/etc/motd', '/etc/benchapp', '/etc/benchapp/app.conf', '/etc/benchapp/logging.conf', '/etc/benchapp/secret',
  '/opt/benchapp/bin', '/opt/benchapp/bin/benchapp.sh', '/var/lib/benchapp', '/etc/haproxy/haproxy.cfg',
  '/etc/sysctl.d/60-bench.conf', '/etc/sysctl.d/61-bench-tcp.conf', '/etc/systemd/system/benchapp.service',
];

/** Twenty trivial probes, each printing exactly one line. */
export const FLOOR_PROBES: readonly string[] = [
  ...PATHS.map((p) => `stat -c '%a %U %G %s' ${p} 2>/dev/null || echo absent`),
  ...['/var/lib/benchapp/.initialized', '/usr/sbin/haproxy', '/usr/bin/curl', '/etc/benchapp/secret'].map((p) => `test -e ${p} && echo yes || echo no`),
  'cat /proc/sys/net/ipv4/tcp_fin_timeout',
  'cat /proc/sys/net/core/somaxconn',
  'id -u',
  'echo done',
];

/** One command line holding every probe. */
export function batchedProbe(): string {
  return FLOOR_PROBES.join('; ');
}

/** A POSIX sh script running the given ssh command lines in parallel; exits 1 when any fails. */
export function floorScript(sshCommands: string[][]): string {
  const lines = ['fail=0'];
  sshCommands.forEach((argv, i) => lines.push(`${argv.map((a) => quote(a)).join(' ')} </dev/null & p${i}=$!`));
  sshCommands.forEach((_, i) => lines.push(`wait $p${i} || fail=1`));
  lines.push('exit $fail');
  return `${lines.join('\n')}\n`;
}

export async function runFloor(o: { set: NodeSet; logBase: string; timeoutMs: number }): Promise<ToolRun> {
  const probe = batchedProbe();
  const commands = o.set.nodes.map((node) => ['ssh', ...o.set.sshArgs(node.name, { user: 'root', options: ['ControlMaster=no', 'ControlPath=none'] }), probe]);
  // From a file, not `sh -c`: at N=100 the script is longer than one argument may be (E2BIG).
  const scriptPath = `${o.logBase}.sh`;
  await writeFile(scriptPath, floorScript(commands));
  const timed = await runTimed({ argv: ['sh', scriptPath], timeoutMs: o.timeoutMs, logBase: o.logBase });
  const lines = (await readFile(timed.stdoutPath, 'utf8')).split('\n').filter(Boolean).length;
  const wanted = FLOOR_PROBES.length * o.set.nodes.length;
  const ok = timed.exitCode === 0 && !timed.timedOut && lines === wanted;
  return { timed, ...(ok ? {} : { error: `${lines} probe answers, wanted ${wanted}: ${(await readFile(timed.stderrPath, 'utf8')).trim().slice(0, 500)}` }) };
}
