/**
 * Table tests of `group`: the group fact in, groupadd/groupmod/groupdel out, or the reason
 * nothing needs doing; names that could be options are refused by field.
 *
 *   node --import tsx --test test/modules/group.test.ts
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { group, groupArgs, planGroup } from '../../src/modules/group.ts';
import type { GroupInfo } from '../../src/facts/users.ts';
import type { Prediction } from '../../src/define/module.ts';

const docker: GroupInfo = { name: 'docker', gid: 998 };

describe('group: planning', () => {
  const table: { name: string; args: Record<string, unknown>; current: GroupInfo | null; scripts?: string[]; noop?: string }[] = [
    { name: 'creates a missing group', args: { name: 'docker' }, current: null, scripts: ['groupadd -- docker'] },
    { name: 'creates a system group with a gid', args: { name: 'app', gid: 2000, system: true }, current: null, scripts: ['groupadd -g 2000 -r -- app'] },
    { name: 'an existing group is a no-op', args: { name: 'docker' }, current: docker, noop: 'group docker exists' },
    { name: 'an existing group with the gid is a no-op', args: { name: 'docker', gid: 998 }, current: docker, noop: 'group docker exists with gid 998' },
    { name: 'changes the gid', args: { name: 'docker', gid: 999 }, current: docker, scripts: ['groupmod -g 999 -- docker'] },
    { name: 'system does not matter once it exists', args: { name: 'docker', system: true }, current: docker, noop: 'group docker exists' },
    { name: 'removes a group', args: { name: 'docker', state: 'absent' }, current: docker, scripts: ['groupdel -- docker'] },
    { name: 'an absent group stays absent', args: { name: 'docker', state: 'absent' }, current: null, noop: 'group docker is already absent' },
  ];
  for (const row of table) {
    it(row.name, () => {
      const p = planGroup(groupArgs.parse(row.args), row.current);
      assert.equal(p.error, undefined);
      assert.deepEqual(p.changes.flatMap((c) => c.actions.map((a) => (a.kind === 'exec' ? a.command.script : a.kind))), row.scripts ?? []);
      if (row.noop) assert.equal(p.noop, row.noop);
    });
  }
});

describe('group: arguments and predictions', () => {
  it('refuses names that are options, numbers or have spaces, and unknown keys', () => {
    for (const name of ['-rf', '--help', '123', 'a b', '', 'a:b', 'x'.repeat(33)]) {
      const r = groupArgs.safeParse({ name });
      assert.equal(r.success, false, name);
      assert.equal(r.error?.issues[0]?.path[0], 'name');
    }
    assert.equal(groupArgs.safeParse({ name: 'ok', gid: -1 }).success, false);
    assert.equal(groupArgs.safeParse({ name: 'ok', members: [] }).success, false);
  });

  it('predicts the group with its gid, unknown without one, null when removed', () => {
    const predicts = (raw: Record<string, unknown>) => (group.definition.predicts as unknown as (a: unknown, f: unknown) => Prediction[])(groupArgs.parse(raw), {});
    assert.deepEqual(predicts({ name: 'app', gid: 2000 }).map((p) => p.value), [{ name: 'app', gid: 2000 }]);
    assert.equal(predicts({ name: 'app' })[0]?.unknown, true);
    assert.equal(predicts({ name: 'app', state: 'absent' })[0]?.value, null);
  });
});
