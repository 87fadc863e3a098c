/**
 * `waitFor`: waits on the host until a TCP port accepts connections (or stops accepting
 * them), a path exists (or is gone), or a line of a file matches an extended regular
 * expression (as `grep -E` reads it).
 *
 *   waitFor({ port: 6443, timeoutMs: 120_000 })                     // 127.0.0.1:6443 open
 *   waitFor({ host: '10.0.0.5', port: 5432, state: 'absent' })      // closed
 *   waitFor({ path: '/var/lib/rancher/k3s/server/node-token' })
 *   waitFor({ path: '/var/log/app.log', search: 'listening on [0-9]+' })
 *
 * The loop runs on the host as one command (probe, sleep `delayMs`, until `timeoutMs`),
 * never as many round trips; ports are probed with bash's /dev/tcp or `nc -z`.
 * It is a read-only probe and never reports a change: when the condition already holds
 * nothing runs; otherwise apply waits (`ok` once it holds, failed after the timeout) and
 * check mode reports `ok` without waiting, with the reason that what it waits for happens
 * outside Capstan (a `when` reading its result is then "cannot predict").
 */
import { z } from 'zod';
import { defineModule, predict, type Prediction } from '../define/module.ts';
import { change, changes, exec, fail, noop, type Plan } from '../define/plan.ts';
import type { FactMap } from '../define/fact.ts';
import { sh } from '../commands/quote.ts';
import { pathExists } from '../facts/file.ts';
import { predictHashed } from './copy.ts';
import { fileMatches, matchProbeFunction, portOpen, portProbeFunction, type PortState } from '../facts/probe.ts';
import { remotePath } from './args.ts';

export const waitForArgs = z
  .object({
    port: z.number().int().min(1).max(65535).optional(),
    host: z.string().regex(/^[A-Za-z0-9_.:%[\]]+$/, 'host must be a host name or an IP address').refine((h) => !h.startsWith('-'), 'host must not start with -').default('127.0.0.1'),
    path: remotePath.optional(),
    search: z.string().min(1).refine((s) => !/[\n\0]/.test(s), 'search must be one line without NUL').optional(),
    /** present: open / exists / matches; absent: closed / gone. started and stopped are accepted as aliases. */
    state: z.enum(['present', 'absent', 'started', 'stopped']).default('present').transform((s) => (s === 'started' ? 'present' : s === 'stopped' ? 'absent' : s)),
    timeoutMs: z.number().int().positive().max(86_400_000).default(300_000),
    /** Pause between two probes. */
    delayMs: z.number().int().min(100).max(3_600_000).default(1000),
  })
  .strict()
  .refine((a) => (a.port === undefined) !== (a.path === undefined), { message: 'give exactly one of port or path', path: ['port'] })
  .refine((a) => a.search === undefined || a.path !== undefined, { message: 'search needs path', path: ['search'] })
  .refine((a) => a.search === undefined || a.state === 'present', { message: "search waits for a match: state must be 'present'", path: ['state'] });

export type WaitForArgs = z.output<typeof waitForArgs>;

/** The current value of what the step waits on: a port state, or whether a path exists / matches. */
export type WaitFacts = { port: PortState } | { exists: boolean } | { matches: boolean };

export const waitFor = defineModule({
  name: 'waitFor',
  args: waitForArgs,
  describe: (a) => `waitFor ${what(a)}`,
  readOnly: true,
  facts: (a) => waitFacts(a),
  plan: (a, f) => planWaitFor(a, f as unknown as WaitFacts),
  predicts: (a) => predictWaitFor(a),
});

function waitFacts(a: WaitForArgs): FactMap {
  if (a.port !== undefined) return { port: portOpen({ host: a.host, port: a.port }) };
  if (a.search !== undefined) return { matches: fileMatches({ path: a.path ?? '', search: a.search }) };
  return { exists: pathExists(a.path ?? '') };
}

/** What is waited for ('port 22 on 127.0.0.1 to be open'), or that it holds ('… is open'). */
function what(a: WaitForArgs, holds = false): string {
  const want = a.state === 'present';
  if (a.port !== undefined) return `port ${a.port} on ${a.host} ${holds ? 'is' : 'to be'} ${want ? 'open' : 'closed'}`;
  if (a.search !== undefined) return `${a.path} ${holds ? 'matches' : 'to match'} ${JSON.stringify(a.search)}`;
  return `${a.path} ${holds ? (want ? 'exists' : 'is gone') : want ? 'to exist' : 'to be gone'}`;
}

export function planWaitFor(a: WaitForArgs, f: WaitFacts): Plan {
  const want = a.state === 'present';
  let holds: boolean;
  if ('port' in f) {
    if (f.port === 'no-probe') return fail(`cannot probe port ${a.port}: the host has neither bash nor nc`);
    holds = (f.port === 'open') === want;
  } else {
    holds = ('matches' in f ? f.matches : f.exists) === want;
  }
  if (holds) return noop(`no wait: ${what(a, true)}`);
  const c = change(`wait up to ${Math.ceil(a.timeoutMs / 1000)} s for ${what(a)}`, exec(waitScript(a), { timeoutMs: a.timeoutMs + 15_000 }));
  c.unpredictable = 'waits for something outside Capstan: not waited for in check mode';
  return changes(c);
}

/** The loop that runs on the host: probe, sleep, until the deadline. */
export function waitScript(a: WaitForArgs): string {
  const probe = a.port !== undefined ? portProbeFunction(a.host, a.port)
    : a.search !== undefined ? matchProbeFunction(a.path ?? '', a.search)
    : `${sh`f=${a.path ?? ''}`}\nprobe() { [ -e "$f" ] || [ -L "$f" ]; }`;
  const test = a.state === 'present' ? 'probe' : '! probe';
  const secs = Math.ceil(a.timeoutMs / 1000);
  return [
    probe,
    `end=$(( $(date +%s) + ${secs} ))`,
    `while :; do`,
    `  if ${test}; then exit 0; fi`,
    `  if [ "$(date +%s)" -ge "$end" ]; then ${sh`printf 'timed out after %s s waiting for %s\\n' ${secs} ${what(a)}`} >&2; exit 1; fi`,
    `  sleep ${(a.delayMs / 1000).toFixed(3)}`,
    `done`,
  ].join('\n');
}

function predictWaitFor(a: WaitForArgs): Prediction[] {
  const want = a.state === 'present';
  if (a.port !== undefined) return [predict(portOpen({ host: a.host, port: a.port }), want ? 'open' : 'closed')];
  if (a.search !== undefined) return [predict(fileMatches({ path: a.path ?? '', search: a.search }), true)];
  const path = a.path ?? '';
  return want ? [predict(pathExists(path), true)] : [predict(pathExists(path), false), ...predictHashed(path, null)];
}
