/**
 * Runs one module call on one host: resolve arguments, read facts (from the cache or in one
 * batch), plan, then report the plan (--check) or carry it out.
 *
 *   const out = await runModuleCall(session, step, ctx, { check: false, diff: true, prefetch });
 *   out.result.status   // 'ok' | 'changed' | 'failed' | ...
 *
 * Under --check nothing that changes the host is executed: the plan's predictions update
 * the host's simulated facts so later steps plan against the state the host would have.
 * After anything runs for real, the host's cached facts that the change may have altered are
 * dropped: those a module declares (`invalidates`, with what it read, `predicts` and
 * `affects`), or every fact but the host's for a module that does not say.
 */
import type { AnyModule, Effects, Prediction } from '../define/module.ts';
import type { FactRef } from '../define/fact.ts';
import type { Change, FileDiff, Plan } from '../define/plan.ts';
import type { ModuleStep, StepContext, StepResult } from '../define/step.ts';
import { resolveDeferred } from '../define/deferred.ts';
import type { Become, ExecResult } from '../connectors/connector.ts';
import { fetchFile, putFile } from '../connectors/transfer.ts';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { rebootHost } from './reboot.ts';
import { renderScript, displayCommand } from '../commands/command.ts';
import { redact } from '../commands/secret.ts';
import { collectDiffs } from './diffs.ts';
import { factRefs, parseArgs } from './plan.ts';
import type { HostSession } from './session.ts';

export interface CallOptions {
  check: boolean;
  diff: boolean;
  become?: Become;
  timeoutMs?: number;
  /** Facts of later steps, gathered in the same round trip when a gather is needed. */
  prefetch: readonly FactRef<unknown>[];
  stepLabel: string;
}

export interface CallOutcome {
  result: StepResult;
  diffs: FileDiff[];
}

export async function runModuleCall(session: HostSession, call: ModuleStep, ctx: StepContext, o: CallOptions): Promise<CallOutcome> {
  const started = Date.now();
  const done = (r: Omit<StepResult, 'durationMs'>, diffs: FileDiff[] = []): CallOutcome => ({ result: { ...r, durationMs: Date.now() - started }, diffs });
  const resolved = resolveDeferred(call.args, ctx);
  if (resolved.unknown) {
    return o.check
      ? done(changedResult([`${o.stepLabel}: would run with ${resolved.unknown}`], `${resolved.unknown}`))
      : done(failedResult(`a value this step needs is not available: ${resolved.unknown.what} (the step that produces it did not run on this host)`));
  }
  const parsed = parseArgs(call.module, resolved.value, call.origin, o.stepLabel);
  if (!parsed.ok) return done(failedResult(parsed.problems.map((p) => `${p.keyPath ?? ''}: ${p.message}`).join('; ')));
  const module = call.module;
  const refs = factRefs(module, parsed.args);
  const facts = await readFacts(session, module, parsed.args, refs, o);
  if ('unknown' in facts) {
    if (module.readOnly) return done({ ...base('ok'), reason: 'reads what an earlier change decides: known after apply', uncertain: facts.unknown });
    markUncertainStep(session, module, parsed.args, refs, facts.unknown ?? 'an earlier change');
    return done(changedResult([`${o.stepLabel}: state depends on an earlier change`], facts.unknown));
  }
  const plan = callPlan(module, parsed.args, facts.values);
  if (plan.error) return done(failedResult(plan.error));
  if (plan.changes.length === 0) {
    return done({ ...base('ok'), reason: plan.noop ?? 'nothing to change', data: callData(module, parsed.args, facts.values, []) });
  }
  const simulate = call.options.checkMode === 'simulate' || (o.check && call.options.checkMode !== 'run');
  const diffs = o.diff && call.options.diff !== false ? await collectDiffs(session, plan.changes, o.become) : [];
  if (simulate) {
    const checkValues = await readCheckFacts(session, module, parsed.args, facts.values, o);
    applyPredictions(session, module, parsed.args, { ...facts.values, ...checkValues }, plan, o.stepLabel);
    const uncertain = plan.changes.find((c) => c.unpredictable)?.unpredictable;
    if (module.readOnly) return done({ ...base('ok'), reason: plan.changes.map((c) => c.summary).join('; '), ...(uncertain ? { uncertain } : {}) });
    return done({ ...changedResult(plan.changes.map((c) => c.summary), uncertain) }, diffs);
  }
  const applied = await applyChanges(session, plan.changes, o);
  invalidateAfter(session, module, parsed.args, facts.values, refs, plan);
  const last = applied.outputs.at(-1);
  const result: Omit<StepResult, 'durationMs'> = {
    ...base(applied.failed ? 'failed' : module.readOnly ? 'ok' : 'changed'),
    ...(module.readOnly ? { reason: plan.changes.map((c) => c.summary).join('; ') } : { summaries: plan.changes.map((c) => c.summary) }),
    ...(last ? { rc: last.exitCode, stdout: redact(last.stdout), stderr: redact(last.stderr) } : {}),
    ...(applied.failed ? { msg: applied.failed } : { data: callData(module, parsed.args, facts.values, applied.outputs) }),
  };
  return done(result, diffs);
}

async function readFacts(session: HostSession, module: AnyModule, _args: unknown, refs: FactRef<unknown>[], o: CallOptions) {
  const missing = refs.filter((r) => !session.facts.has(r));
  if (missing.length) await session.gather([...missing, ...o.prefetch], o.become);
  const values: Record<string, unknown> = {};
  const named = module.facts ? (module.facts as unknown as (a: unknown) => Record<string, FactRef<unknown>>)(_args) : {};
  for (const [name, ref] of Object.entries(named)) {
    const l = session.facts.lookup(ref);
    if (!l) throw new Error(`fact ${ref.name} was gathered but is missing`);
    if ('unknown' in l) return { unknown: l.unknown };
    values[name] = l.value;
  }
  return { values };
}

/** The module's check-only facts, in one round trip; a fact an earlier change makes unknown is left out. */
async function readCheckFacts(session: HostSession, module: AnyModule, args: unknown, values: Record<string, unknown>, o: CallOptions): Promise<Record<string, unknown>> {
  if (!module.checkFacts) return {};
  const named = (module.checkFacts as unknown as (a: unknown, f: unknown) => Record<string, FactRef<unknown>>)(args, values);
  await session.gather(Object.values(named), o.become);
  const out: Record<string, unknown> = {};
  for (const [name, ref] of Object.entries(named)) {
    const l = session.facts.lookup(ref);
    if (l && 'value' in l) out[name] = l.value;
  }
  return out;
}

/**
 * A step that cannot be predicted may still change what it reads and what it affects: later
 * steps that read those are "cannot predict" too. An `affects` that needs facts the step
 * could not read is asked without them; if it cannot answer, every fact is unknown.
 */
function markUncertainStep(session: HostSession, module: AnyModule, args: unknown, refs: readonly FactRef<unknown>[], cause: string): void {
  for (const ref of refs) session.facts.predictUnknown(ref, cause);
  let effects: Effects;
  try {
    effects = callEffects(module.affects, args, {});
  } catch {
    effects = { facts: ['*'] };
  }
  if (effects.facts.length || effects.paths || effects.refs) session.facts.markUnknown(effects, cause);
}

function callPlan(module: AnyModule, args: unknown, facts: unknown): Plan {
  return (module.plan as unknown as (a: unknown, f: unknown) => Plan)(args, facts);
}

function callData(module: AnyModule, args: unknown, facts: unknown, outputs: readonly ExecResult[]): unknown {
  if (!module.data) return undefined;
  return (module.data as unknown as (a: unknown, f: unknown, o: readonly ExecResult[]) => unknown)(args, facts, outputs);
}

function applyPredictions(session: HostSession, module: AnyModule, args: unknown, facts: unknown, plan: Plan, label: string): void {
  const predictions = module.predicts ? (module.predicts as unknown as (a: unknown, f: unknown) => Prediction[])(args, facts) : [];
  const cause = `"${label}" would change it first`;
  for (const p of predictions) {
    if (p.unknown) session.facts.predictUnknown(p.fact, cause);
    else session.facts.predict(p.fact, p.value);
  }
  const effects = callEffects(module.affects, args, facts);
  if (effects.facts.length || effects.paths || effects.refs) session.facts.markUnknown(effects, cause);
}

/**
 * Drops what an applied change may have altered. A module that declares its reach
 * (`invalidates`, or `readOnly`) loses the facts it read, those it predicts and those its
 * `affects` and `invalidates` reach; any other module, or a reboot, every fact but the host's;
 * a change of the host's identity (`affects: ['host']`), everything.
 */
function invalidateAfter(session: HostSession, module: AnyModule, args: unknown, values: unknown, refs: readonly FactRef<unknown>[], plan: Plan): void {
  if (Array.isArray(module.affects) && module.affects.includes('host')) return session.facts.invalidate(true);
  const declared = (module.invalidates || module.readOnly) && !plan.changes.some((c) => c.actions.some((a) => a.kind === 'reboot'));
  if (!declared) return session.facts.invalidate();
  let effects: Effects[];
  let predicted: Prediction[];
  try {
    effects = [callEffects(module.affects, args, values), callEffects(module.invalidates, args, values)];
    predicted = module.predicts ? (module.predicts as unknown as (a: unknown, f: unknown) => Prediction[])(args, values) : [];
  } catch {
    return session.facts.invalidate();
  }
  const keys = new Set([...refs, ...predicted.map((p) => p.fact)].map((r) => r.key));
  session.facts.invalidateReached({
    facts: effects.flatMap((e) => e.facts),
    paths: (p) => effects.some((e) => e.paths?.(p)),
    refs: (r) => keys.has(r.key) || effects.some((e) => e.refs?.(r)),
  });
}

/** What `affects` or `invalidates` says for this call, as Effects. */
function callEffects(declared: AnyModule['affects'] | AnyModule['invalidates'], args: unknown, values: unknown): Effects {
  const out = typeof declared === 'function' ? (declared as unknown as (a: unknown, f: unknown) => readonly string[] | Effects)(args, values) : (declared ?? []);
  return isEffects(out) ? out : { facts: out };
}

function isEffects(a: readonly string[] | Effects): a is Effects {
  return !Array.isArray(a);
}

async function applyChanges(session: HostSession, list: Change[], o: CallOptions): Promise<{ outputs: ExecResult[]; failed?: string }> {
  const outputs: ExecResult[] = [];
  for (const c of list) {
    for (const a of c.actions) {
      if (a.kind === 'put') {
        await putFile(session.connector, { ...a.file, become: o.become });
        continue;
      }
      if (a.kind === 'fetch') {
        await mkdir(dirname(a.fetch.dest), { recursive: true });
        await fetchFile(session.connector, a.fetch.src, a.fetch.dest, o.become);
        continue;
      }
      if (a.kind === 'reboot') {
        await rebootHost(session, a.reboot, o.become);
        continue;
      }
      const cmd = a.command;
      const r = await session.exec({
        script: renderScript(cmd), stdin: cmd.stdin, become: o.become,
        timeoutMs: cmd.timeoutMs ?? o.timeoutMs, display: displayCommand(cmd),
      });
      outputs.push(r);
      if (r.exitCode !== 0) {
        const why = r.timedOut ? `timed out after ${cmd.timeoutMs ?? o.timeoutMs} ms and was stopped` : `exit ${r.exitCode}`;
        return { outputs, failed: `${c.summary}: command failed (${why}): ${displayCommand(cmd)}${r.stderr ? `\n${redact(r.stderr.trimEnd())}` : ''}` };
      }
    }
  }
  return { outputs };
}

function base(status: StepResult['status']): Omit<StepResult, 'durationMs'> {
  return { status, changed: status === 'changed', failed: status === 'failed', skipped: status === 'skipped', summaries: [] };
}

function changedResult(summaries: string[], uncertain?: string): Omit<StepResult, 'durationMs'> {
  return { ...base('changed'), summaries, ...(uncertain ? { uncertain } : {}) };
}

export function failedResult(msg: string): Omit<StepResult, 'durationMs'> {
  return { ...base('failed'), msg };
}
