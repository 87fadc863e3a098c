/**
 * The scheduler: plays in order; each play's hosts in `serial` batches; within a batch the
 * steps run lockstep (every host finishes step N before any starts N+1) or free (each host
 * at its own pace); at most `forks` hosts work at once; handlers run at the end of a batch.
 *
 *   await runPlay(state, preparedPlay, queue);
 */
import type PQueue from 'p-queue';
import type { Serial } from '../define/playbook.ts';
import { stepName } from '../define/step.ts';
import { ConnectionError, InterruptedError } from '../errors.ts';
import { HostLockedError } from './session.ts';
import type { PreparedPlay, PreparedStep } from './prepare.ts';
import type { RunState } from './run-state.ts';
import { runStepOnHost, report, stepContext } from './host-step.ts';
import { staticFactRefs } from './plan.ts';
import { handlersToRun, journalAppendScript, journalClearScript, journalKey, journalReadSection, parseJournal } from './handlers.ts';
import { hostFacts } from '../facts/host.ts';

interface BatchRun {
  state: RunState;
  play: PreparedPlay;
  queue: PQueue;
  hosts: string[];
  notified: Map<string, Set<string>>;
  stopped: boolean;
  key: string;
}

export async function runPlay(state: RunState, play: PreparedPlay, queue: PQueue): Promise<void> {
  const batches = serialBatches(state.activeHosts(play.hosts), play.definition.serial);
  for (const [i, hosts] of batches.entries()) {
    if (state.aborted) return;
    state.emit({ type: 'play.start', play: play.definition.name, hosts, batch: { index: i + 1, count: batches.length } });
    const run: BatchRun = { state, play, queue, hosts, notified: new Map(hosts.map((h) => [h, new Set()])), stopped: false, key: journalKey(state.options.playbookId, play.definition.name) };
    await openHosts(run);
    if (play.definition.strategy === 'free') await runFree(run);
    else await runLockstep(run);
    if (!state.aborted) await flushHandlers(run);
    state.emit({ type: 'play.end', play: play.definition.name });
    if (run.stopped) return;
  }
}

/** Splits hosts into rolling batches: counts, percentages, or a list whose last entry repeats. */
export function serialBatches(hosts: string[], serial: Serial | Serial[] | undefined): string[][] {
  if (serial === undefined) return hosts.length ? [hosts] : [];
  const sizes = Array.isArray(serial) ? serial : [serial];
  const out: string[][] = [];
  let i = 0;
  let k = 0;
  while (i < hosts.length) {
    const s = sizes[Math.min(k++, sizes.length - 1)] as Serial;
    const n = typeof s === 'number' ? s : Math.floor((hosts.length * Number(s.slice(0, -1))) / 100);
    const size = Math.max(1, n);
    out.push(hosts.slice(i, i + size));
    i += size;
  }
  return out;
}

/** The first round trip on each host: connect, lock, facts for the play's steps, pending handlers. */
async function openHosts(run: BatchRun): Promise<void> {
  const { state, play } = run;
  await Promise.all(run.hosts.map((host) => run.queue.add(async () => {
    const prepared = play.perHost.get(host);
    if (!prepared || state.aborted) return;
    const become = state.become(host, undefined, play.definition.become);
    const sameBecome = prepared.steps.filter((s) => state.become(host, s.become, play.definition.become)?.user === become?.user);
    const refs = [...(play.definition.gatherFacts === false ? [] : [hostFacts()]), ...staticFactRefs(sameBecome.map((s) => s.step), stepContext(state, play, host))];
    try {
      const out = await state.session(host).gather(refs, become, [journalReadSection(run.key)]);
      for (const n of parseJournal(out.get('journal')?.stdout)) run.notified.get(host)?.add(n);
    } catch (e) {
      failHost(run, host, e, 'connect and gather facts');
    }
  })));
}

async function runLockstep(run: BatchRun): Promise<void> {
  const { state, play } = run;
  const longest = Math.max(0, ...run.hosts.map((h) => play.perHost.get(h)?.steps.length ?? 0));
  for (let i = 0; i < longest && !run.stopped && !state.aborted; i++) {
    const hosts = state.activeHosts(run.hosts).filter((h) => (play.perHost.get(h)?.steps.length ?? 0) > i);
    if (!hosts.length) break;
    const first = play.perHost.get(hosts[0] as string)?.steps[i] as PreparedStep;
    if (first.step.kind === 'flush') {
      await flushHandlers(run);
      continue;
    }
    state.emit({ type: 'step.start', play: play.definition.name, step: stepName(first.step), index: i, hosts, handler: false });
    if (first.step.options.runOnce) await runOnce(run, hosts, i);
    else await Promise.all(hosts.map((h) => run.queue.add(() => stepOn(run, h, i))));
    checkFailureLimits(run);
  }
}

async function runFree(run: BatchRun): Promise<void> {
  const { state, play } = run;
  const once = new Map<number, Promise<void>>();
  await Promise.all(state.activeHosts(run.hosts).map((h) => run.queue.add(async () => {
    const steps = play.perHost.get(h)?.steps ?? [];
    for (let i = 0; i < steps.length && state.host(h).status === 'active' && !run.stopped && !state.aborted; i++) {
      if (steps[i]?.step.kind === 'flush') {
        await flushHandlers(run, [h]);
        continue;
      }
      if (steps[i]?.step.options.runOnce) {
        if (!once.has(i)) once.set(i, stepOn(run, h, i));
        else await copyOnceResult(run, await once.get(i)!.then(() => firstRunner(run, i)), h, i);
        await once.get(i);
        continue;
      }
      await stepOn(run, h, i);
      checkFailureLimits(run);
    }
  })));
}

function firstRunner(run: BatchRun, i: number): string {
  return run.hosts.find((h) => run.state.host(h).results.has(run.play.perHost.get(h)?.steps[i]?.step as object)) ?? (run.hosts[0] as string);
}

async function runOnce(run: BatchRun, hosts: string[], i: number): Promise<void> {
  const [firstHost, ...rest] = hosts as [string, ...string[]];
  await stepOn(run, firstHost, i);
  for (const h of rest) await copyOnceResult(run, firstHost, h, i);
}

async function copyOnceResult(run: BatchRun, from: string, to: string, i: number): Promise<void> {
  const src = run.play.perHost.get(from)?.steps[i];
  const dst = run.play.perHost.get(to)?.steps[i];
  const r = src && run.state.host(from).results.get(src.step);
  if (!dst || !r) return;
  run.state.host(to).results.set(dst.step, r);
  if (r.changed) for (const n of [dst.step.options.notify ?? []].flat()) run.notified.get(to)?.add(n);
  run.state.emit({ type: 'host.step', play: run.play.definition.name, step: stepName(dst.step), index: i, host: to, handler: false, result: { ...report(r, false), reason: `run once on ${from}` }, diffs: [] });
}

async function stepOn(run: BatchRun, host: string, i: number): Promise<void> {
  const steps = run.play.perHost.get(host)?.steps ?? [];
  const ps = steps[i];
  if (!ps || run.state.host(host).status !== 'active') return;
  const r = await runStepOnHost(run.state, run.play, host, ps, { index: i, handler: false, later: steps.slice(i + 1) });
  const names = [ps.step.options.notify ?? []].flat();
  if (r.changed && names.length) {
    names.forEach((n) => run.notified.get(host)?.add(n));
    if (!run.state.options.check) await journal(run, host, journalAppendScript(run.key, names));
  }
}

async function flushHandlers(run: BatchRun, only?: string[]): Promise<void> {
  const { state, play } = run;
  const hosts = state.activeHosts(only ?? run.hosts);
  const order = play.perHost.get(hosts[0] ?? '')?.handlers ?? [];
  const ran = new Set<string>();
  for (const [hi, handler] of order.entries()) {
    const targets = state.activeHosts(hosts).filter((h) => handlersToRun(play.perHost.get(h)?.handlers ?? [], run.notified.get(h) ?? new Set()).some((x) => x.name === handler.name));
    if (!targets.length) continue;
    for (const [si, hs] of handler.steps.entries()) {
      state.emit({ type: 'step.start', play: play.definition.name, step: stepName(hs.step), index: hi, hosts: targets, handler: true });
      await Promise.all(state.activeHosts(targets).map((h) => run.queue.add(async () => {
        const own = play.perHost.get(h)?.handlers.find((x) => x.name === handler.name)?.steps[si] ?? hs;
        await runStepOnHost(state, play, h, own, { index: hi, handler: true, later: [] });
      })));
    }
    targets.forEach((h) => ran.add(h));
  }
  const clear = hosts.filter((h) => state.host(h).status === 'active' && (ran.has(h) || (run.notified.get(h)?.size ?? 0) > 0));
  for (const h of clear) run.notified.get(h)?.clear();
  if (state.options.check) return;
  await Promise.all(clear.map((h) => run.queue.add(() => journal(run, h, journalClearScript(run.key)))));
}

async function journal(run: BatchRun, host: string, script: string): Promise<void> {
  const become = run.state.become(host, undefined, run.play.definition.become);
  try {
    const r = await run.state.session(host).exec({ script, become, timeoutMs: 15_000 });
    if (r.exitCode !== 0) run.state.emit({ type: 'warning', host, message: `could not update the handler journal: ${r.stderr.trim()}` });
  } catch (e) {
    failHost(run, host, e, 'update the handler journal');
  }
}

function failHost(run: BatchRun, host: string, e: unknown, what: string): void {
  const h = run.state.host(host);
  if (e instanceof InterruptedError && run.state.aborted) return;
  if (e instanceof HostLockedError) return run.state.markLocked(host, e);
  if (e instanceof ConnectionError) {
    h.status = 'unreachable';
    h.tally.unreachable++;
    run.state.emit({ type: 'host.unreachable', host, message: e.message });
    return;
  }
  h.status = 'failed';
  h.tally.failed++;
  const msg = e instanceof Error ? e.message : String(e);
  run.state.emit({ type: 'host.step', play: run.play.definition.name, step: what, index: -1, host, handler: false, result: { status: 'failed', changed: false, summaries: [], msg, durationMs: 0 }, diffs: [] });
}

function checkFailureLimits(run: BatchRun): void {
  const { play, state } = run;
  const failed = run.hosts.filter((h) => state.host(h).status !== 'active').length;
  if (play.definition.anyErrorsFatal && run.hosts.some((h) => state.host(h).status === 'failed')) run.stopped = true;
  const pct = play.definition.maxFailPercentage;
  if (pct !== undefined && (failed * 100) / run.hosts.length > pct) run.stopped = true;
  if (run.stopped) state.emit({ type: 'warning', message: `play "${play.definition.name}" stopped: ${failed} of ${run.hosts.length} hosts failed${play.definition.anyErrorsFatal ? ' (anyErrorsFatal)' : ` (more than ${pct}%)`}` });
}
