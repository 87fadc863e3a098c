/**
 * The cluster's object inventory: namespaces, workloads, services, secrets, config maps and
 * volume claims, one line each (`Kind/namespace/name uid resourceVersion owned|-`), taken before
 * the migration and checked after it (and after a rollback).
 *
 *   const inv = parseInventory('ConfigMap/kube-system/coredns 5c1e… 312 -\nNamespace/<none>/default 9a0b… 4 -\n');
 *   // { total: 2, counts: { ConfigMap: 1, Namespace: 1 }, sha256: '…', kept: ['ConfigMap/kube-system/coredns 5c1e…', ...], rv: {...} }
 *   preservationProblems(before, after)   // [] when every object that must survive did
 *
 * What a conversion must preserve, on a live cluster whose controllers create and delete
 * objects all the time: every object that existed before and has no owner (user data, not a
 * controller's to delete) still exists with the same UID. Objects created meanwhile, and owned
 * objects deleted meanwhile by their controllers, are fine. Resource versions are compared only
 * within one datastore (the rollback restores SQLite as it was): K3s's migration re-puts every
 * key into a new etcd (pkg/etcd/etcd.go, migrateFromSQLite), so each object gets a new,
 * smaller revision and versions before and after a conversion do not compare.
 */
import { createHash } from 'node:crypto';
import { K3S_BIN } from '@capstan/k3s-server';

export const INVENTORY_KINDS = 'namespaces,deployments,statefulsets,daemonsets,services,secrets,configmaps,persistentvolumeclaims';

const COLUMNS = 'KIND:.kind,NAMESPACE:.metadata.namespace,NAME:.metadata.name,UID:.metadata.uid,RV:.metadata.resourceVersion,OWNER:.metadata.ownerReferences[0].uid';

/** The shell pipeline printing the sorted inventory lines. */
export const INVENTORY_PIPELINE =
  `${K3S_BIN} kubectl get ${INVENTORY_KINDS} -A --no-headers -o custom-columns=${COLUMNS}` +
  ` | awk 'NF == 6 { print $1 "/" $2 "/" $3, $4, $5, ($6 == "<none>" ? "-" : "owned") }' | LC_ALL=C sort`;

export interface ObjectInventory {
  total: number;
  counts: Record<string, number>;
  sha256: string;
  /** `Kind/namespace/name uid` of every object without an owner: what must survive. */
  kept: string[];
  /** resourceVersion by `Kind/namespace/name` of the kept objects. */
  rv: Record<string, string>;
  /** Node names registered when the inventory was taken (etcdInventory adds them). */
  nodes?: string[];
}

export function parseInventory(text: string): ObjectInventory {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const counts: Record<string, number> = {};
  const kept: string[] = [];
  const rv: Record<string, string> = {};
  for (const l of lines) {
    const [key = '', uid = '', version = '', owned = '-'] = l.trim().split(/\s+/);
    const kind = key.split('/')[0] ?? '';
    counts[kind] = (counts[kind] ?? 0) + 1;
    if (owned === '-') {
      kept.push(`${key} ${uid}`);
      rv[key] = version;
    }
  }
  const body = lines.length ? `${lines.join('\n')}\n` : '';
  return { total: lines.length, counts, sha256: createHash('sha256').update(body).digest('hex'), kept, rv };
}

export function describeInventory(inv: ObjectInventory): string {
  const kinds = Object.entries(inv.counts).sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `${k} ${n}`).join(', ');
  return `${inv.total} objects (${kinds || 'none'}), ${inv.kept.length} without an owner`;
}

const list = (xs: string[]) => `${xs.slice(0, 5).join(', ')}${xs.length > 5 ? ` and ${xs.length - 5} more` : ''}`;

/** A resourceVersion that went back: only meaningful within one datastore. */
function older(a: string, b: string): boolean {
  return /^\d+$/.test(a) && /^\d+$/.test(b) ? BigInt(b) < BigInt(a) : a !== b;
}

/**
 * What the conversion lost: objects without an owner that are gone or have a new UID (deleted
 * and recreated). `sameStore`: also require each one's resourceVersion to be the same or newer.
 */
export function preservationProblems(before: ObjectInventory, after: ObjectInventory, o: { sameStore?: boolean } = {}): string[] {
  const now = new Map(after.kept.map((l) => l.split(' ') as [string, string]));
  const lost: string[] = [];
  const replaced: string[] = [];
  const rewound: string[] = [];
  for (const line of before.kept) {
    const [key = '', uid = ''] = line.split(' ');
    const got = now.get(key);
    if (got === undefined) lost.push(`${key} (uid ${uid})`);
    else if (got !== uid) replaced.push(`${key} (uid ${uid}, now ${got})`);
    else if (o.sameStore && older(before.rv[key] ?? '', after.rv[key] ?? '')) rewound.push(`${key} (resourceVersion ${before.rv[key]}, now ${after.rv[key]})`);
  }
  return [
    ...(lost.length ? [`${lost.length} object${lost.length === 1 ? '' : 's'} that existed before ${lost.length === 1 ? 'is' : 'are'} gone: ${list(lost)}`] : []),
    ...(replaced.length ? [`${replaced.length} object${replaced.length === 1 ? '' : 's'} came back with a new UID (lost and recreated): ${list(replaced)}`] : []),
    ...(rewound.length ? [`${rewound.length} object${rewound.length === 1 ? '' : 's'} went back to an older resourceVersion: ${list(rewound)}`] : []),
  ];
}

/** The kept lines as the rollback script reads them on stdin. */
export function keptText(inv: ObjectInventory | undefined): string {
  return inv ? `${inv.kept.join('\n')}\n` : '';
}
