import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decideOutcome, parseInventory, inventoryDifference, type OutcomeInput } from '@capstan/etcd-migrate';

const before = parseInventory('ConfigMap/kube-system/coredns\nNamespace/<none>/default\nSecret/app/db\n');
const converted = { etcdDir: true, stateDb: false, stateDbMigrated: true, active: true };
const base: OutcomeInput = { convert: 'changed', host: converted, before, after: before, etcdRole: true, rollbackOnFailure: true, backupPresent: true };

describe('etcd-migrate: keep or roll back a conversion', () => {
  it('a verified conversion is kept', () => {
    assert.equal(decideOutcome(base).action, 'keep');
  });

  it('an already converted server (conversion step ok) is kept without comparing inventories', () => {
    const o = decideOutcome({ ...base, convert: 'ok', host: { ...converted, stateDbMigrated: false }, after: parseInventory('Namespace/<none>/x\n') });
    assert.deepEqual(o, { action: 'keep', summary: 'already on embedded etcd with the etcd role' });
  });

  it('a failed conversion step with state.db still in place is rolled back, saying why', () => {
    const o = decideOutcome({ ...base, convert: 'failed', host: { etcdDir: true, stateDb: true, stateDbMigrated: false, active: true }, after: parseInventory('Namespace/<none>/default\n') });
    assert.equal(o.action, 'rollback');
    assert.ok(o.action === 'rollback');
    assert.deepEqual(o.problems.slice(0, 2), [
      'the conversion step failed',
      'state.db is still in place: the migration did not run or failed (K3s skips it on later starts once server/db/etcd exists)',
    ]);
    assert.match(o.problems.at(-1) ?? '', /object inventory differs: before 3 objects .* after 1 objects/);
  });

  it('a conversion step that reports success without state.db.migrated is rolled back', () => {
    const o = decideOutcome({ ...base, host: { ...converted, stateDbMigrated: false } });
    assert.ok(o.action === 'rollback');
    assert.deepEqual(o.problems, ['state.db.migrated is missing']);
  });

  it('a conversion that lost objects is rolled back even though the step succeeded', () => {
    const o = decideOutcome({ ...base, after: parseInventory('ConfigMap/kube-system/coredns\nNamespace/<none>/default\n') });
    assert.ok(o.action === 'rollback' && /Secret 1 -> 0/.test(o.problems.join(';')));
  });

  it('a node without the etcd role, or an API that does not answer, is rolled back', () => {
    assert.equal(decideOutcome({ ...base, etcdRole: false }).action, 'rollback');
    assert.equal(decideOutcome({ ...base, after: null }).action, 'rollback');
  });

  it('with rollback_on_failure false the run halts with the manual procedure', () => {
    const o = decideOutcome({ ...base, convert: 'failed', rollbackOnFailure: false });
    assert.ok(o.action === 'halt' && /Rollback by hand/.test(o.remediation));
  });

  it('without a backup it never rolls back', () => {
    const o = decideOutcome({ ...base, convert: 'failed', backupPresent: false });
    assert.ok(o.action === 'halt' && /no pre-migration backup/.test(o.remediation));
  });

  it('a converted server that is unhealthy later halts instead of restoring old SQLite data', () => {
    const o = decideOutcome({ ...base, convert: 'ok', host: { ...converted, active: false } });
    assert.ok(o.action === 'halt' && /restore-etcd/.test(o.remediation));
  });

  it('the inventory hash is over the sorted lines, so equal sets compare equal and names matter', () => {
    assert.equal(inventoryDifference(before, parseInventory('ConfigMap/kube-system/coredns\nNamespace/<none>/default\nSecret/app/db\n')), undefined);
    assert.match(inventoryDifference(before, parseInventory('ConfigMap/kube-system/coredns\nNamespace/<none>/default\nSecret/app/other\n')) ?? '', /same counts, different names/);
    assert.deepEqual(before.counts, { ConfigMap: 1, Namespace: 1, Secret: 1 });
  });
});
