import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { decideOutcome, keptText, parseInventory, preservationProblems, rollbackScript, type OutcomeInput } from '@capstan/etcd-migrate';
import { renderScript } from '../../src/commands/command.ts';

const COREDNS = 'ConfigMap/kube-system/coredns u-1 310 -';
const DEFAULT = 'Namespace/<none>/default u-2 4 -';
const DB = 'Secret/app/db u-3 512 -';
/** A ConfigMap a controller made (it has an owner) and may delete at any time. */
const LEASE = 'ConfigMap/kube-system/churn-7 u-9 600 owned';
const inv = (...lines: string[]) => parseInventory(`${lines.join('\n')}\n`);
const before = inv(COREDNS, DEFAULT, DB, LEASE);
const converted = { etcdDir: true, stateDb: false, stateDbMigrated: true, active: true };
const base: OutcomeInput = { convert: 'changed', host: converted, before, after: before, etcdRole: true, rollbackOnFailure: true, backupPresent: true };

describe('etcd-migrate: keep or roll back a conversion', () => {
  it('a verified conversion is kept', () => {
    assert.equal(decideOutcome(base).action, 'keep');
  });

  it('an already converted server (conversion step ok) is kept without comparing inventories', () => {
    const o = decideOutcome({ ...base, convert: 'ok', host: { ...converted, stateDbMigrated: false }, after: inv('Namespace/<none>/x u-8 2 -') });
    assert.deepEqual(o, { action: 'keep', summary: 'already on embedded etcd with the etcd role' });
  });

  it('a failed conversion step with state.db still in place is rolled back, saying why', () => {
    const o = decideOutcome({ ...base, convert: 'failed', host: { etcdDir: true, stateDb: true, stateDbMigrated: false, active: true }, after: inv(DEFAULT) });
    assert.equal(o.action, 'rollback');
    assert.ok(o.action === 'rollback');
    assert.deepEqual(o.problems.slice(0, 2), [
      'the conversion step failed',
      'state.db is still in place: the migration did not run or failed (K3s skips it on later starts once server/db/etcd exists)',
    ]);
    assert.equal(o.problems.at(-1), '2 objects that existed before are gone: ConfigMap/kube-system/coredns (uid u-1), Secret/app/db (uid u-3)');
  });

  it('a conversion step that reports success without state.db.migrated is rolled back', () => {
    const o = decideOutcome({ ...base, host: { ...converted, stateDbMigrated: false } });
    assert.ok(o.action === 'rollback');
    assert.deepEqual(o.problems, ['state.db.migrated is missing']);
  });

  it('a conversion that lost one object is rolled back even though the step succeeded', () => {
    const o = decideOutcome({ ...base, after: inv(COREDNS, DEFAULT, LEASE) });
    assert.ok(o.action === 'rollback');
    assert.deepEqual(o.problems, ['1 object that existed before is gone: Secret/app/db (uid u-3)']);
  });

  it('a live cluster: objects created meanwhile, owned objects deleted meanwhile and new resourceVersions are kept', () => {
    const after = inv('ConfigMap/kube-system/coredns u-1 2 -', 'Namespace/<none>/default u-2 3 -', 'Secret/app/db u-3 4 -', 'ConfigMap/kube-system/churn-8 u-10 5 owned', 'ConfigMap/app/new u-11 6 -');
    assert.deepEqual(decideOutcome({ ...base, after }), { action: 'keep', summary: 'converted: etcd present, state.db.migrated, etcd role, same token, every node and every object without an owner kept (same UID)' });
  });

  it('an object recreated with a new UID was lost; an older resourceVersion counts within one datastore only', () => {
    assert.deepEqual(preservationProblems(before, inv(COREDNS, DEFAULT, 'Secret/app/db u-77 900 -')), ['1 object came back with a new UID (lost and recreated): Secret/app/db (uid u-3, now u-77)']);
    const rewound = inv('ConfigMap/kube-system/coredns u-1 2 -', DEFAULT, DB);
    assert.deepEqual(preservationProblems(before, rewound), [], 'a conversion renumbers revisions');
    assert.deepEqual(preservationProblems(before, rewound, { sameStore: true }), ['1 object went back to an older resourceVersion: ConfigMap/kube-system/coredns (resourceVersion 310, now 2)']);
  });

  it('a changed token or a node no longer registered is rolled back', () => {
    assert.deepEqual(decideOutcome({ ...base, host: { ...converted, token: 'differs' } }), { action: 'rollback', problems: ['the server token differs from the one in the backup: agents and joining servers would be refused'] });
    assert.deepEqual(decideOutcome({ ...base, nodesBefore: ['server1', 'agent1'], nodesAfter: ['server1'] }), { action: 'rollback', problems: ['node agent1 no longer registered'] });
    assert.equal(decideOutcome({ ...base, nodesBefore: ['server1'], nodesAfter: ['server1', 'server2'], host: { ...converted, token: 'same' } }).action, 'keep');
  });

  it('the rollback script checks the restored objects by UID against the list on its stdin', () => {
    const script = renderScript({ script: rollbackScript('/b', ['x'], 30) });
    execFileSync('sh', ['-n', '-c', script]);
    const check = script.slice(script.indexOf('wf=$(mktemp)'), script.indexOf(' && rm -f "$wf"'));
    const run = (got: string) => execFileSync('sh', ['-c', `want=$(cat); got='${got}'; ${check}; printf '%s' "$missing"`], { input: keptText(before), encoding: 'utf8' });
    assert.equal(run([COREDNS, DEFAULT, DB, 'ConfigMap/app/new u-11 6 -'].join('\n')), '');
    assert.equal(run([COREDNS, DEFAULT].join('\n')).trim(), 'Secret/app/db u-3');
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

  it('the inventory keeps the objects without an owner, with their UIDs and resourceVersions', () => {
    assert.deepEqual(before.counts, { ConfigMap: 2, Namespace: 1, Secret: 1 });
    assert.deepEqual(before.kept, ['ConfigMap/kube-system/coredns u-1', 'Namespace/<none>/default u-2', 'Secret/app/db u-3']);
    assert.deepEqual(before.rv, { 'ConfigMap/kube-system/coredns': '310', 'Namespace/<none>/default': '4', 'Secret/app/db': '512' });
  });
});
