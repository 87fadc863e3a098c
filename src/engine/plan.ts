/**
 * Pure planning helpers: argument validation, loop expansion, tag selection, and the plan
 * of one module call from its facts. Nothing here touches a host.
 *
 *   const parsed = parseArgs(step);                 // { ok: true, args } | { ok: false, problems }
 *   const refs = factRefs(step.module, parsed.args);
 *   const plan = step.module.plan(parsed.args, values);
 */
import type { AnyModule } from '../define/module.ts';
import type { FactRef } from '../define/fact.ts';
import type { LoopStep, ModuleStep, Step, StepContext } from '../define/step.ts';
import { hasDeferred, resolveDeferred } from '../define/deferred.ts';
import type { ConfigProblem } from '../errors.ts';
import type { z } from 'zod';

export type ParsedArgs = { ok: true; args: unknown } | { ok: false; problems: ConfigProblem[] };

/** Validates a module call's arguments with its schema; problems name the step and key. */
export function parseArgs(module: AnyModule, raw: unknown, origin?: string, stepLabel?: string): ParsedArgs {
  const r = (module.args as z.ZodType).safeParse(raw);
  if (r.success) return { ok: true, args: r.data };
  const [file, line] = splitOrigin(origin);
  return {
    ok: false,
    problems: r.error.issues.map((i) => ({
      message: `${stepLabel ? `step "${stepLabel}": ` : ''}${module.name}: ${i.message}`,
      keyPath: ['args', ...i.path.map(String)].join('.'),
      ...(file ? { file } : {}),
      ...(line ? { line } : {}),
    })),
  };
}

export function splitOrigin(origin?: string): [string | undefined, number | undefined] {
  if (!origin) return [undefined, undefined];
  const m = /^(.*):(\d+)$/.exec(origin);
  return m ? [m[1], Number(m[2])] : [origin, undefined];
}

/** The module steps a step stands for: itself, or one per loop item. */
export function expandStep(step: Step): ModuleStep[] {
  if (step.kind === 'module') return [step];
  if (step.kind === 'flush') return [];
  return expandLoop(step);
}

export function expandLoop(step: LoopStep): ModuleStep[] {
  return step.items.map((item, i) => (step.body as (item: unknown, index: number) => ModuleStep)(item, i));
}

/** The facts a module call needs. */
export function factRefs(module: AnyModule, args: unknown): FactRef<unknown>[] {
  if (!module.facts) return [];
  return Object.values((module.facts as unknown as (a: unknown) => Record<string, FactRef<unknown>>)(args));
}

/**
 * Fact refs of later module calls, for prefetching them in the same round trip. Arguments
 * with deferred values are resolved early with `ctx` when given: a guess that is only used to
 * choose what to read (the step reads its facts again if its real arguments need others).
 */
export function staticFactRefs(steps: readonly Step[], ctx?: StepContext): FactRef<unknown>[] {
  const refs: FactRef<unknown>[] = [];
  for (const s of steps) {
    let calls: ModuleStep[];
    try {
      calls = expandStep(s);
    } catch {
      continue;
    }
    for (const c of calls) {
      const args = argsForPrefetch(c.args, ctx);
      if (args === undefined) continue;
      const p = parseArgs(c.module, args);
      if (p.ok) refs.push(...factRefs(c.module, p.args));
    }
  }
  return refs;
}

function argsForPrefetch(args: unknown, ctx: StepContext | undefined): unknown {
  if (!hasDeferred(args)) return args;
  if (!ctx) return undefined;
  try {
    const r = resolveDeferred(args, ctx);
    return r.unknown ? undefined : r.value;
  } catch {
    return undefined;
  }
}

/**
 * Ansible's tag rules: with --tags only matching steps run (and those tagged `always`);
 * --skip-tags removes matches; `never` steps run only when named explicitly.
 */
export function selectedByTags(stepTags: readonly string[], tags: readonly string[], skipTags: readonly string[]): boolean {
  if (skipTags.some((t) => stepTags.includes(t))) return false;
  if (stepTags.includes('always')) return true;
  if (stepTags.includes('never') && !tags.some((t) => stepTags.includes(t))) return false;
  if (tags.length === 0 || tags.includes('all')) return true;
  if (tags.includes('tagged') && stepTags.length > 0) return true;
  if (tags.includes('untagged') && stepTags.length === 0) return true;
  return tags.some((t) => stepTags.includes(t));
}
