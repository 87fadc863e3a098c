/**
 * One step on one host, with Ansible's task semantics around the module call: `when`,
 * loops, delegation, `retries`/`until`, `changedWhen`/`failedWhen`, `ignoreErrors`, and the
 * difference between a host that failed and one that cannot be reached.
 *
 *   const r = await runStepOnHost(state, play, 'web1', prepared, index, { handler: false });
 */
import type { ModuleStep, StepContext, StepResult } from '../define/step.ts';
import { stepName } from '../define/step.ts';
import type { FileDiff } from '../define/plan.ts';
import { ConnectionError, isCapstanError } from '../errors.ts';
import { cannotPredict, type ReportedResult } from '../events.ts';
import { redact } from '../commands/secret.ts';
import type { PreparedPlay, PreparedStep } from './prepare.ts';
import { expandStep, staticFactRefs } from './plan.ts';
import { failedResult, runModuleCall, type CallOutcome } from './execute.ts';
import type { RunState } from './run-state.ts';
import { hostFacts, type HostFacts } from '../facts/host.ts';

export interface StepPosition {
  index: number;
  handler: boolean;
  /** Steps after this one on the host, for prefetching their facts. */
  later: readonly PreparedStep[];
  /** Under --check, a handler called only by steps that cannot be predicted: why (its change is then not certain either). */
  notifiedBy?: string;
}

export function stepContext(state: RunState, play: PreparedPlay, host: string): StepContext {
  const prepared = play.perHost.get(host);
  return {
    host,
    vars: prepared?.vars ?? {},
    check: state.options.check,
    playHosts: play.playHosts,
    result: (step, h) => state.resultOf(step, h ?? host, host) as never,
    hostVars: (h) => play.perHost.get(h)?.vars ?? play.otherSlices.get(h) ?? state.inventory.hostVars(h, []).values,
    get facts() {
      const l = state.host(host).session?.facts.lookup(hostFacts());
      return l && 'value' in l ? (l.value as HostFacts) : undefined;
    },
  };
}

export async function runStepOnHost(state: RunState, play: PreparedPlay, host: string, ps: PreparedStep, pos: StepPosition): Promise<StepResult> {
  const ctx = stepContext(state, play, host);
  const step = ps.step;
  const label = stepName(step);
  const started = Date.now();
  const target = step.options.delegateTo ?? host;
  let outcome: CallOutcome;
  try {
    const cond = evaluateConditions(ctx, [...ps.conditions, ...(step.options.when ? [step.options.when] : [])]);
    if (!cond.pass) {
      outcome = { result: { status: 'skipped', changed: false, failed: false, skipped: true, summaries: [], reason: 'condition is false', durationMs: 0, ...(cond.uncertain ? { uncertain: cond.uncertain } : {}) }, diffs: [] };
    } else {
      outcome = await withRetries(step.options, () => runCalls(state, play, host, target, ps, pos, ctx, label));
    }
  } catch (e) {
    if (e instanceof ConnectionError) return unreachable(state, play, host, ps.id, e, label, pos);
    const msg = isCapstanError(e) ? e.message : `internal error: ${(e as Error).stack ?? String(e)}`;
    outcome = { result: { ...failedResult(redact(msg)), durationMs: Date.now() - started }, diffs: [] };
  }
  let result = applyOverrides(step.options, outcome.result);
  if (pos.notifiedBy && result.changed && result.uncertain === undefined) result = { ...result, uncertain: `runs only if a step that cannot be predicted changes (${pos.notifiedBy})` };
  record(state, play, host, ps, pos, result, outcome.diffs, label, target !== host ? target : undefined);
  return result;
}

/**
 * Evaluates `when` conditions. Under --check, a condition that read the result of a step whose
 * outcome is uncertain is itself uncertain: the skip is reported as such, not as a fact.
 */
function evaluateConditions(ctx: StepContext, conds: ((c: StepContext) => boolean)[]): { pass: boolean; uncertain?: string } {
  let uncertain: string | undefined;
  const watched: StepContext = Object.create(ctx, {
    result: {
      value: (s: Parameters<StepContext['result']>[0], h?: string) => {
        const r = ctx.result(s, h);
        if (r?.uncertain) uncertain ??= `the condition reads a result known only after apply (${r.uncertain})`;
        return r;
      },
    },
  }) as StepContext;
  const pass = conds.every((c) => c(watched));
  return uncertain ? { pass, uncertain } : { pass };
}

async function runCalls(state: RunState, play: PreparedPlay, host: string, target: string, ps: PreparedStep, pos: StepPosition, ctx: StepContext, label: string): Promise<CallOutcome> {
  const session = state.session(target);
  const become = state.become(target, ps.become, play.definition.become);
  const prefetch = target === host ? staticFactRefs(pos.later.filter((l) => state.become(host, l.become, play.definition.become)?.user === become?.user).map((l) => l.step), ctx) : [];
  const opts = { check: state.options.check, diff: state.options.diff, become, timeoutMs: ps.step.options.timeoutMs ?? state.options.commandTimeoutMs, prefetch, stepLabel: label };
  if (play.definition.gatherFacts !== false && !session.facts.has(hostFacts())) await session.gather([hostFacts(), ...prefetch], become);
  if (ps.step.kind === 'module') return runModuleCall(session, ps.step as ModuleStep, ctx, opts);
  if (ps.step.kind === 'flush') return { result: { status: 'ok', changed: false, failed: false, skipped: false, summaries: [], durationMs: 0 }, diffs: [] };
  const calls = expandStep(ps.step);
  const items: StepResult[] = [];
  const diffs: FileDiff[] = [];
  for (const call of calls) {
    const o = await runModuleCall(session, call, ctx, opts);
    items.push(o.result);
    diffs.push(...o.diffs);
  }
  return { result: aggregate(items), diffs };
}

function aggregate(items: StepResult[]): StepResult {
  const failed = items.some((i) => i.failed);
  const changed = items.some((i) => i.changed);
  const status = failed ? 'failed' : changed ? 'changed' : items.length && items.every((i) => i.skipped) ? 'skipped' : 'ok';
  const uncertain = items.find((i) => i.uncertain)?.uncertain;
  const msg = items.filter((i) => i.msg).map((i) => i.msg).join('\n');
  return {
    status, changed, failed, skipped: status === 'skipped', items,
    summaries: items.flatMap((i) => i.summaries),
    durationMs: items.reduce((a, i) => a + i.durationMs, 0),
    ...(uncertain ? { uncertain } : {}),
    ...(msg ? { msg } : {}),
  };
}

async function withRetries(opts: ModuleStep['options'], attempt: () => Promise<CallOutcome>): Promise<CallOutcome> {
  const tries = Math.max(1, (opts.retries ?? 0) + 1);
  let last: CallOutcome | undefined;
  for (let i = 0; i < tries; i++) {
    last = await attempt();
    const good = opts.until ? opts.until(last.result) : !last.result.failed;
    if (good || (!opts.until && !opts.retries)) return last;
    if (i < tries - 1) await new Promise((r) => setTimeout(r, opts.delayMs ?? 5000));
  }
  if (last && opts.until && !opts.until(last.result)) {
    return { ...last, result: { ...last.result, status: 'failed', failed: true, changed: last.result.changed, msg: `${last.result.msg ? `${last.result.msg}\n` : ''}condition "until" still false after ${tries} attempts` } };
  }
  return last as CallOutcome;
}

function applyOverrides(opts: ModuleStep['options'], r: StepResult): StepResult {
  let out = r;
  if (opts.changedWhen && !r.skipped && r.status !== 'failed') {
    const changed = opts.changedWhen(r);
    out = { ...out, changed, status: changed ? 'changed' : 'ok' };
  }
  if (opts.failedWhen && !r.skipped) {
    const failed = opts.failedWhen(out);
    out = { ...out, failed, status: failed ? 'failed' : out.changed ? 'changed' : 'ok' };
  }
  return out;
}

function record(state: RunState, play: PreparedPlay, host: string, ps: PreparedStep, pos: StepPosition, result: StepResult, diffs: FileDiff[], label: string, delegatedTo?: string): void {
  const h = state.host(host);
  state.recordResult(host, ps, result);
  const ignored = result.failed && ps.step.options.ignoreErrors === true;
  if (state.options.check && cannotPredict(result)) h.tally.uncertain++;
  else if (result.skipped) h.tally.skipped++;
  else if (result.failed && !ignored) h.tally.failed++;
  else {
    h.tally.ok++;
    if (result.changed) h.tally.changed++;
    if (ignored) h.tally.ignored++;
  }
  if (result.failed && !ignored) h.status = 'failed';
  state.emit({ type: 'host.step', play: play.definition.name, step: label, stepId: ps.id, index: pos.index, host, handler: pos.handler, result: report(result, ignored), diffs, ...(delegatedTo ? { delegatedTo } : {}) });
}

function unreachable(state: RunState, play: PreparedPlay, host: string, stepId: string, e: ConnectionError, label: string, pos: StepPosition): StepResult {
  const h = state.host(host);
  h.status = 'unreachable';
  h.tally.unreachable++;
  const result: StepResult = { status: 'unreachable', changed: false, failed: false, skipped: false, summaries: [], msg: e.message, durationMs: 0 };
  state.emit({ type: 'host.unreachable', host, message: e.message });
  state.emit({ type: 'host.step', play: play.definition.name, step: label, stepId, index: pos.index, host, handler: pos.handler, result: report(result, false), diffs: [] });
  return result;
}

export function report(r: StepResult, ignored: boolean): ReportedResult {
  const { data: _data, items, changed: _c, failed: _f, skipped: _s, ...rest } = r;
  return { ...rest, changed: r.changed, ...(ignored ? { ignored } : {}), ...(items ? { items: items.map((i) => report(i, false)) } : {}) };
}
