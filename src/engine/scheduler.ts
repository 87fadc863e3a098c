/**
 * The scheduler: plays in order; each play's hosts in `serial` batches; within a batch the
 * steps run lockstep (every host that has a step finishes it before any host starts the next)
 * or free (each host at its own pace); at most `forks` hosts work at once; handlers run at the
 * end of a batch. Steps are matched across hosts by identity (step-identity.ts), never by
 * their place in a host's list, so hosts with different step lists each run all of theirs.
 *
 *   await runPlay(state, preparedPlay, queue);
 */
import type PQueue from 'p-queue';
import type { Serial } from '../define/playbook.ts';
import { stepName, type StepResult } from '../define/step.ts';
import { ConnectionError, InterruptedError } from '../errors.ts';
import { HostLockedError } from './session.ts';
import type { PreparedPlay, PreparedStep } from './prepare.ts';
import type { RunState } from './run-state.ts';
import { runStepOnHost, report, stepContext } from './host-step.ts';
import { staticFactRefs } from './plan.ts';
import { handlersToRun, journalAppendScript, journalClearScript, journalKey, journalReadSection, parseJournal } from './handlers.ts';
import { hostFacts } from '../facts/host.ts';
import { stepRounds, type StepRound } from './step-identity.ts';

interface BatchRun {
  state: RunState;
  play: PreparedPlay;
  queue: PQueue;
  hosts: string[];
  notified: Map<string, Set<string>>;
  /**
   * Under --check, the names each host was notified of only by steps that cannot be predicted,
   * with why: a handler they alone call cannot be predicted either.
   */
  notifiedIfChanged: Map<string, Map<string, string>>;
  stopped: boolean;
  key: string;
  /** The play's steps in lockstep order, across every host of the play (see step-identity.ts). */
  rounds: StepRound[];
  /** Each step's index in that order (the `index` of its events). */
  indexOf: Map<string, number>;
}

export async function runPlay(state: RunState, play: PreparedPlay, queue: PQueue): Promise<void> {
  const batches = serialBatches(state.activeHosts(play.hosts), play.serial);
  const rounds = stepRounds(new Map(play.hosts.map((h) => [h, play.perHost.get(h)?.steps.map((s) => s.id) ?? []])));
  const indexOf = new Map<string, number>();
  rounds.forEach((r, i) => indexOf.has(r.id) || indexOf.set(r.id, i));
  for (const h of play.hosts) {
    const prepared = play.perHost.get(h);
    state.registerSteps(h, [...(prepared?.steps ?? []), ...(prepared?.handlers.flatMap((x) => x.steps) ?? [])]);
  }
  for (const [i, hosts] of batches.entries()) {
    if (state.aborted) return;
    state.emit({ type: 'play.start', play: play.definition.name, hosts, batch: { index: i + 1, count: batches.length } });
    const run: BatchRun = { state, play, queue, hosts, notified: new Map(hosts.map((h) => [h, new Set()])), notifiedIfChanged: new Map(hosts.map((h) => [h, new Map()])), stopped: false, key: journalKey(state.options.playbookId, play.definition.name), rounds, indexOf };
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

/** The step `id` on a host, with the steps after it (for prefetching their facts). */
function stepOf(run: BatchRun, host: string, id: string): { ps: PreparedStep; later: PreparedStep[] } | undefined {
  const steps = run.play.perHost.get(host)?.steps ?? [];
  const at = steps.findIndex((s) => s.id === id);
  return at < 0 ? undefined : { ps: steps[at] as PreparedStep, later: steps.slice(at + 1) };
}

async function runLockstep(run: BatchRun): Promise<void> {
  const { state, play } = run;
  for (const round of run.rounds) {
    if (run.stopped || state.aborted) return;
    const index = run.indexOf.get(round.id) ?? -1;
    const hosts = state.activeHosts(round.hosts.filter((h) => run.hosts.includes(h)));
    const first = hosts[0] === undefined ? undefined : stepOf(run, hosts[0], round.id)?.ps;
    if (!first) continue;
    if (first.step.kind === 'flush') {
      await flushHandlers(run, hosts);
      continue;
    }
    state.emit({ type: 'step.start', play: play.definition.name, step: stepName(first.step), stepId: round.id, index, hosts, handler: false });
    if (first.step.options.runOnce) await runOnce(run, hosts, round.id, index);
    else await Promise.all(hosts.map((h) => run.queue.add(() => stepOn(run, h, round.id, index))));
    checkFailureLimits(run);
  }
}

async function runFree(run: BatchRun): Promise<void> {
  const { state, play } = run;
  const once = new Map<string, Promise<string>>();
  await Promise.all(state.activeHosts(run.hosts).map((h) => run.queue.add(async () => {
    for (const ps of play.perHost.get(h)?.steps ?? []) {
      if (state.host(h).status !== 'active' || run.stopped || state.aborted) return;
      const index = run.indexOf.get(ps.id) ?? -1;
      if (ps.step.kind === 'flush') await flushHandlers(run, [h]);
      else if (!ps.step.options.runOnce) await stepOn(run, h, ps.id, index);
      else if (once.has(ps.id)) await copyOnceResult(run, await once.get(ps.id)!, h, ps.id, index);
      else {
        once.set(ps.id, stepOn(run, h, ps.id, index).then(() => h));
        await once.get(ps.id);
      }
      checkFailureLimits(run);
    }
  })));
}

/**
 * Runs a runOnce step on the first host and hands its result to the others. A host found
 * unreachable there gives the step to the next one, as the step has not run yet.
 */
async function runOnce(run: BatchRun, hosts: string[], id: string, index: number): Promise<void> {
  for (const [i, h] of hosts.entries()) {
    await stepOn(run, h, id, index);
    if (run.state.host(h).status === 'unreachable') continue;
    for (const other of hosts.slice(i + 1)) await copyOnceResult(run, h, other, id, index);
    return;
  }
}

/**
 * Hands the result of a runOnce step to another host, as if it had run there: a failure
 * (not ignored) fails that host too, so that no host goes on without what the step was for.
 */
async function copyOnceResult(run: BatchRun, from: string, to: string, id: string, index: number): Promise<void> {
  const dst = stepOf(run, to, id)?.ps;
  const r = run.state.host(from).results.get(id);
  if (!dst || !r || run.state.host(to).status !== 'active') return;
  run.state.recordResult(to, dst, r);
  if (r.changed) notify(run, to, [dst.step.options.notify ?? []].flat(), r);
  const ignored = r.failed && dst.step.options.ignoreErrors === true;
  if (r.failed && !ignored) {
    const h = run.state.host(to);
    h.status = 'failed';
    h.tally.failed++;
  }
  run.state.emit({ type: 'host.step', play: run.play.definition.name, step: stepName(dst.step), stepId: id, index, host: to, handler: false, result: { ...report(r, ignored), reason: `run once on ${from}` }, diffs: [] });
}

async function stepOn(run: BatchRun, host: string, id: string, index: number): Promise<void> {
  const at = stepOf(run, host, id);
  if (!at || run.state.host(host).status !== 'active') return;
  const r = await runStepOnHost(run.state, run.play, host, at.ps, { index, handler: false, later: at.later });
  const names = [at.ps.step.options.notify ?? []].flat();
  if (r.changed && names.length) {
    notify(run, host, names, r);
    if (!run.state.options.check) await journal(run, host, journalAppendScript(run.key, names));
  }
}

/** Records `names` as notified on `host` by a changed result; one that cannot be predicted notifies only if it changes. */
function notify(run: BatchRun, host: string, names: readonly string[], r: StepResult): void {
  const maybe = run.notifiedIfChanged.get(host);
  for (const n of names) {
    const known = run.notified.get(host)?.has(n) === true && !maybe?.has(n);
    if (run.state.options.check && r.uncertain !== undefined) {
      if (!known) maybe?.set(n, r.uncertain);
    } else maybe?.delete(n);
    run.notified.get(host)?.add(n);
  }
}

/** Under --check: why a due handler of `host` cannot be predicted (every name that calls it came from such a step). */
function handlerUncertainty(run: BatchRun, host: string, handler: { name: string; listen: string[] } | undefined): string | undefined {
  if (!handler) return undefined;
  const callers = [handler.name, ...handler.listen].filter((n) => run.notified.get(host)?.has(n));
  const maybe = run.notifiedIfChanged.get(host);
  if (!callers.length || !callers.every((n) => maybe?.has(n))) return undefined;
  return maybe?.get(callers[0] as string);
}

/**
 * Runs the notified handlers of `only` (default: the batch), in definition order merged across
 * the hosts (each host may define its own), each host its own handler steps, by identity.
 */
async function flushHandlers(run: BatchRun, only?: string[]): Promise<void> {
  const { state, play } = run;
  const hosts = state.activeHosts(only ?? run.hosts);
  const handlerOf = (h: string, name: string) => play.perHost.get(h)?.handlers.find((x) => x.name === name);
  const due = stepRounds(new Map(hosts.map((h) => [h, handlersToRun(play.perHost.get(h)?.handlers ?? [], run.notified.get(h) ?? new Set()).map((x) => x.name)])));
  // A handler's index is its place among all the play's handlers, not among those due: the same in check and apply.
  const declared = stepRounds(new Map(hosts.map((h) => [h, (play.perHost.get(h)?.handlers ?? []).map((x) => x.name)])));
  const place = new Map(declared.map((r, i) => [r.id, i]));
  const ran = new Set<string>();
  for (const [dueIndex, { id: name, hosts: targets }] of due.entries()) {
    const hi = place.get(name) ?? dueIndex;
    const steps = stepRounds(new Map(targets.map((h) => [h, handlerOf(h, name)?.steps.map((s) => s.id) ?? []])));
    for (const { id, hosts: on } of steps) {
      const active = state.activeHosts(on);
      const first = handlerOf(active[0] ?? '', name)?.steps.find((s) => s.id === id);
      if (!first) continue;
      state.emit({ type: 'step.start', play: play.definition.name, step: stepName(first.step), stepId: id, index: hi, hosts: active, handler: true });
      await Promise.all(active.map((h) => run.queue.add(async () => {
        const own = handlerOf(h, name)?.steps.find((s) => s.id === id);
        const uncertain = handlerUncertainty(run, h, handlerOf(h, name));
        if (own) await runStepOnHost(state, play, h, own, { index: hi, handler: true, later: [], ...(uncertain ? { notifiedBy: uncertain } : {}) });
      })));
    }
    targets.forEach((h) => ran.add(h));
  }
  const clear = hosts.filter((h) => state.host(h).status === 'active' && (ran.has(h) || (run.notified.get(h)?.size ?? 0) > 0));
  for (const h of clear) {
    run.notified.get(h)?.clear();
    run.notifiedIfChanged.get(h)?.clear();
  }
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
  if (!run.stopped || state.halted) return;
  // As in Ansible, a tripped limit ends the playbook: later plays would build on hosts that
  // went on without the ones that failed (a join after a failed migration).
  state.halted = `play "${play.definition.name}" stopped: ${failed} of ${run.hosts.length} hosts failed${play.definition.anyErrorsFatal ? ' (anyErrorsFatal)' : ` (more than ${pct}%)`}`;
  state.emit({ type: 'warning', message: `${state.halted}; later plays do not start` });
}
