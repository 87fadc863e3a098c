/**
 * Whether a conversion stands or is rolled back: a pure decision over what the host looks like
 * after the conversion step, so that every branch is a table test.
 *
 *   decideOutcome({ convert: 'failed', host, before, after: null, etcdRole: false, rollbackOnFailure: true, backupPresent: true })
 *   // { action: 'rollback', problems: ['the conversion step failed', ...] }
 *
 * Rollback (the spec's design, after K3s PR #3231: a failed migration is skipped on the next
 * start because server/db/etcd exists, so the way back is to move it aside): stop k3s, move
 * server/db aside, restore server/db, the token and config.yaml from the backup, start k3s,
 * verify that every object without an owner taken in the inventory before is back, same UID.
 */
import type { ObjectInventory } from './inventory.ts';
import { preservationProblems } from './inventory.ts';

export interface HostDatastore {
  etcdDir: boolean;
  stateDb: boolean;
  stateDbMigrated: boolean;
  active: boolean;
  /** server/token against the pre-migration backup's (facts.ts). */
  token?: 'same' | 'differs' | 'unknown';
}

export interface OutcomeInput {
  /** What the conversion step did: 'changed' (it converted), 'ok' (already etcd), 'failed', or 'skipped'. */
  convert: 'changed' | 'ok' | 'failed' | 'skipped';
  host: HostDatastore;
  /** The inventory taken before the conversion; undefined when none was taken. */
  before: ObjectInventory | undefined;
  /** The inventory now; null when the API server does not answer. */
  after: ObjectInventory | null;
  /** Node names before the conversion (empty: not known) and now (null: the API does not answer). */
  nodesBefore?: readonly string[];
  nodesAfter?: readonly string[] | null;
  etcdRole: boolean;
  rollbackOnFailure: boolean;
  backupPresent: boolean;
}

export type Outcome =
  | { action: 'keep'; summary: string }
  | { action: 'rollback'; problems: string[] }
  | { action: 'halt'; problems: string[]; remediation: string };

export function outcomeProblems(i: OutcomeInput): string[] {
  const p: string[] = [];
  if (i.convert === 'failed') p.push('the conversion step failed');
  if (!i.host.etcdDir) p.push('server/db/etcd is missing');
  if (i.convert !== 'ok' && i.host.stateDb) p.push('state.db is still in place: the migration did not run or failed (K3s skips it on later starts once server/db/etcd exists)');
  if (i.convert === 'changed' && !i.host.stateDbMigrated) p.push('state.db.migrated is missing');
  if (!i.host.active) p.push('k3s is not running');
  if (!i.etcdRole) p.push('the node does not carry node-role.kubernetes.io/etcd=true');
  if (i.after === null) p.push('the API server does not answer, so the object inventory cannot be compared');
  else if (i.before && i.convert !== 'ok') p.push(...preservationProblems(i.before, i.after));
  if (i.convert !== 'ok' && i.host.token === 'differs') p.push('the server token differs from the one in the backup: agents and joining servers would be refused');
  const gone = i.nodesAfter ? (i.nodesBefore ?? []).filter((n) => !i.nodesAfter?.includes(n)) : [];
  if (i.convert !== 'ok' && gone.length) p.push(`node${gone.length === 1 ? '' : 's'} ${gone.join(', ')} no longer registered`);
  return p;
}

export function decideOutcome(i: OutcomeInput): Outcome {
  if (i.convert === 'skipped') return { action: 'keep', summary: 'the conversion did not run on this host' };
  const problems = outcomeProblems(i);
  if (!problems.length) {
    return { action: 'keep', summary: i.convert === 'changed' ? 'converted: etcd present, state.db.migrated, etcd role, same token, every node and every object without an owner kept (same UID)' : 'already on embedded etcd with the etcd role' };
  }
  if (i.rollbackOnFailure && i.backupPresent && i.convert !== 'ok') return { action: 'rollback', problems };
  return {
    action: 'halt', problems,
    remediation: i.convert === 'ok'
      ? 'the server is on etcd but unhealthy: inspect `journalctl -u k3s`; restore from a snapshot with playbooks/restore-etcd.ts if its data is lost'
      : i.backupPresent
        ? 'rollback_on_failure is false: follow "Rollback by hand" in roles/etcd-migrate/README.md'
        : 'no pre-migration backup was found: do not delete server/db; follow "Rollback by hand" in roles/etcd-migrate/README.md',
  };
}
