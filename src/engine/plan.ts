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
import type { LoopStep, ModuleStep, Step } from '../define/step.ts';
import { hasDeferred } from '../define/deferred.ts';
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

/** Fact refs of module calls whose arguments are known before the run (for prefetching). */
export function staticFactRefs(steps: readonly Step[]): FactRef<unknown>[] {
  const refs: FactRef<unknown>[] = [];
  for (const s of steps) {
    let calls: ModuleStep[];
    try {
      calls = expandStep(s);
    } catch {
      continue;
    }
    for (const c of calls) {
      if (hasDeferred(c.args)) continue;
      const p = parseArgs(c.module, c.args);
      if (p.ok) refs.push(...factRefs(c.module, p.args));
    }
  }
  return refs;
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
