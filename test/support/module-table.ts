/**
 * Table specifications of modules: arguments and facts in, the plan (changes, no-op reason or
 * error), the commands it would run, its diff and its check-mode predictions out. Every row
 * names the options it exercises through its arguments; `documentedOptions` reads a module's
 * options from its zod schema, so a test can require a row for each.
 *
 *   specifyTable({ module: file, rows: [
 *     { name: 'mode differs', args: { path: '/x', state: 'directory', mode: '0750' }, facts: { st: dir() },
 *       want: { changes: ['mode 0755 -> 0750'] }, runs: /chmod 0750/ },
 *   ] });
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import type { z } from 'zod';
import type { AnyModule } from '../../src/define/module.ts';

/** A module as its tables see it. */
export type AnyModuleFn = { readonly definition: AnyModule };
import type { Action, Plan } from '../../src/define/plan.ts';
import { renderScript } from '../../src/commands/command.ts';

export interface Row {
  name: string;
  args: Record<string, unknown>;
  /** Values of the module's facts, by the names its `facts` gives them. */
  facts?: Record<string, unknown>;
  /** What the plan must be; `invalid`: the arguments are refused with this message. */
  want: { changes: (string | RegExp)[] } | { noop: RegExp } | { error: RegExp } | { invalid: RegExp };
  /** Matched against the text of the plan's actions (scripts, uploads, fetches). */
  runs?: RegExp;
  /** Must not match the text of the plan's actions. */
  notRuns?: RegExp;
  /** Matched against the `after` side of the plan's diffs (--diff). */
  diff?: RegExp;
  /** Check mode: values the module predicts, by fact name (`file.stat`…); `'unknown'` for known-after-apply. */
  predicts?: Record<string, unknown>;
  /** The typed data a later step reads, for modules that return some. */
  data?: (data: unknown) => void;
}

export interface ModuleTable {
  module: AnyModuleFn;
  rows: readonly Row[];
}

type Shape = { shape?: Record<string, unknown>; _zod?: { def?: { shape?: Record<string, unknown>; in?: Shape; schema?: Shape } } };

/** The option names of a module, from its zod schema (through refinements and pipes). */
export function documentedOptions(module: AnyModuleFn): string[] {
  let s = module.definition.args as unknown as Shape | undefined;
  for (let i = 0; s && i < 5; i++) {
    const shape = s.shape ?? s._zod?.def?.shape;
    if (shape) return Object.keys(shape);
    s = s._zod?.def?.in ?? s._zod?.def?.schema;
  }
  throw new Error(`cannot read the options of ${module.definition.name}`);
}

/** The options the rows of a table give. */
export function exercisedOptions(table: ModuleTable): Set<string> {
  return new Set(table.rows.flatMap((r) => Object.keys(r.args)));
}

export function actionText(a: Action): string {
  switch (a.kind) {
    case 'exec': {
      const c = a.command;
      const stdin = c.stdin === undefined ? '' : ` stdin=${String(c.stdin)}`;
      return `${c.chdir || c.env ? renderScript(c) : c.script}${c.timeoutMs ? ` timeout=${c.timeoutMs}` : ''}${stdin}`;
    }
    case 'put': {
      const f = a.file;
      return `put ${f.dest} mode=${f.mode} owner=${f.owner ?? ''} group=${f.group ?? ''} validate=${f.validate ?? ''} backup=${String(f.backup ?? false)}`;
    }
    case 'fetch': return `fetch ${a.fetch.src} -> ${a.fetch.dest}`;
    case 'reboot': return `reboot command=${a.reboot.command ?? ''} test=${a.reboot.testCommand ?? ''} timeout=${a.reboot.timeoutMs}`;
  }
}

export function specifyTable(table: ModuleTable): void {
  const def = table.module.definition;
  for (const row of table.rows) {
    it(row.name, () => {
      const parsed = (def.args as unknown as z.ZodType).safeParse(row.args);
      if ('invalid' in row.want) {
        assert.equal(parsed.success, false, 'the arguments are refused');
        assert.match(parsed.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n') ?? '', row.want.invalid);
        return;
      }
      assert.ok(parsed.success, parsed.error?.message);
      const args = parsed.data as never;
      const facts = (row.facts ?? {}) as never;
      const plan = (def.plan as unknown as (a: never, f: never) => Plan)(args, facts);
      checkPlan(plan, row);
      if (row.predicts) {
        const predicted = (def.predicts as unknown as ((a: never, f: never) => { fact: { name: string }; value: unknown; unknown?: boolean }[]) | undefined)?.(args, facts) ?? [];
        const got = Object.fromEntries(predicted.map((p) => [p.fact.name, p.unknown ? 'unknown' : p.value]));
        for (const [name, value] of Object.entries(row.predicts)) assert.deepEqual(got[name], value, `prediction of ${name}`);
      }
      if (row.data) row.data((def.data as unknown as (a: never, f: never, o: never) => unknown)(args, facts, [] as never));
    });
  }
}

function checkPlan(plan: Plan, row: Row): void {
  const want = row.want;
  if ('changes' in want) {
    assert.equal(plan.error, undefined, plan.error);
    const summaries = plan.changes.map((c) => c.summary);
    assert.equal(summaries.length, want.changes.length, `changes: ${JSON.stringify(summaries)}`);
    want.changes.forEach((w, i) => (typeof w === 'string' ? assert.equal(summaries[i], w) : assert.match(summaries[i] ?? '', w)));
  } else if ('noop' in want) {
    assert.deepEqual(plan.changes.map((c) => c.summary), [], 'no change');
    assert.match(plan.noop ?? '', want.noop);
  } else if ('error' in want) {
    assert.match(plan.error ?? '', want.error);
  }
  const text = plan.changes.flatMap((c) => c.actions.map(actionText)).join('\n');
  if (row.runs) assert.match(text, row.runs);
  if (row.notRuns) assert.doesNotMatch(text, row.notRuns);
  if (row.diff) assert.match(plan.changes.flatMap((c) => (c.diff ? [c.diff.after ?? ''] : [])).join('\n'), row.diff);
}

/** A module's plan for parsed arguments and fact values: facts in, changes out. */
export function plan(module: { definition: unknown }, args: unknown, facts: Record<string, unknown>): Plan {
  const def = module.definition as { args: { parse(a: unknown): unknown }; plan(a: unknown, f: unknown): Plan };
  return def.plan(def.args.parse(args), facts);
}

/** The commands a plan runs, in order. */
export const execs = (p: Plan) => p.changes.flatMap((c) => c.actions.flatMap((a) => (a.kind === 'exec' ? [a.command] : [])));
