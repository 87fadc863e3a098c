import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { command, shell, commandGuards } from '../../src/modules/command.ts';
import type { Plan } from '../../src/define/plan.ts';
import { HOSTILE } from '../connectors/support/hostile.ts';

type PlanFn = (a: unknown, f: unknown) => Plan;
const planOf = (m: typeof command | typeof shell, args: Record<string, unknown>, guards: { creates: boolean | null; removes: boolean | null }) =>
  (m.definition.plan as unknown as PlanFn)((m.definition.args as { parse(v: unknown): unknown }).parse(args), { guards });
const none = { creates: null, removes: null };

describe('command and shell: facts in, plan out', () => {
  it('creates: a no-op when the path exists, otherwise a predictable run', () => {
    assert.deepEqual(planOf(command, { argv: ['/opt/app/init'], creates: '/var/lib/app/.done' }, { creates: true, removes: null }), { changes: [], noop: '/var/lib/app/.done exists' });
    const p = planOf(command, { argv: ['/opt/app/init'], creates: '/var/lib/app/.done' }, { creates: false, removes: null });
    assert.equal(p.changes[0]?.unpredictable, undefined);
  });

  it('removes: a no-op when the path is already gone', () => {
    assert.deepEqual(planOf(shell, { script: 'rm -f /tmp/x', removes: '/tmp/x' }, { creates: null, removes: false }), { changes: [], noop: '/tmp/x does not exist' });
  });

  it('without creates/removes, the run is declared unpredictable (check mode will not run it)', () => {
    assert.match(planOf(shell, { script: 'date' }, none).changes[0]?.unpredictable ?? '', /cannot predict/);
  });

  it('argv is quoted word by word: hostile strings stay single arguments', () => {
    for (const h of HOSTILE.filter((x) => !x.includes('\0')).slice(0, 30)) {
      const p = planOf(command, { argv: ['printf', '%s', h] }, none);
      const a = p.changes[0]?.actions[0];
      assert.ok(a?.kind === 'exec');
      const script = a.kind === 'exec' ? a.command.script : '';
      assert.ok(script.startsWith('exec printf %s '), script);
    }
  });

  it('probes creates and removes in one fact', () => {
    const ref = commandGuards({ creates: '/a b', removes: '/c' });
    assert.deepEqual(ref.parse('yes\nno\n', 0), { creates: true, removes: false });
    assert.deepEqual(commandGuards({}).parse('-\n-\n', 0), { creates: null, removes: null });
  });
});
