/**
 * The cluster's object inventory: namespaces, workloads, services, secrets, config maps and
 * volume claims as sorted `kind/namespace/name` lines, counted per kind and hashed. Taken
 * before the migration and compared after it (and after a rollback).
 *
 *   const inv = parseInventory('ConfigMap/kube-system/coredns\nNamespace/<none>/default\n');
 *   // { total: 2, counts: { ConfigMap: 1, Namespace: 1 }, sha256: '…' }
 *   inventoryDifference(before, after)   // undefined when equal, else a sentence
 */
import { createHash } from 'node:crypto';
import { K3S_BIN } from '@capstan/k3s-server';

export const INVENTORY_KINDS = 'namespaces,deployments,statefulsets,daemonsets,services,secrets,configmaps,persistentvolumeclaims';

/** The shell pipeline printing the sorted inventory lines (the same text is hashed here and on the host). */
export const INVENTORY_PIPELINE =
  `${K3S_BIN} kubectl get ${INVENTORY_KINDS} -A --no-headers -o custom-columns=KIND:.kind,NAMESPACE:.metadata.namespace,NAME:.metadata.name` +
  ` | awk 'NF == 3 { print $1 "/" $2 "/" $3 }' | LC_ALL=C sort`;

export interface ObjectInventory {
  total: number;
  counts: Record<string, number>;
  sha256: string;
}

export function parseInventory(text: string): ObjectInventory {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const counts: Record<string, number> = {};
  for (const l of lines) {
    const kind = l.split('/')[0] ?? '';
    counts[kind] = (counts[kind] ?? 0) + 1;
  }
  const body = lines.length ? `${lines.join('\n')}\n` : '';
  return { total: lines.length, counts, sha256: createHash('sha256').update(body).digest('hex') };
}

export function describeInventory(inv: ObjectInventory): string {
  const kinds = Object.entries(inv.counts).sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `${k} ${n}`).join(', ');
  return `${inv.total} objects (${kinds || 'none'}), sha256 ${inv.sha256.slice(0, 12)}`;
}

/** Undefined when both inventories are equal; otherwise what differs. */
export function inventoryDifference(before: ObjectInventory, after: ObjectInventory): string | undefined {
  if (before.sha256 === after.sha256) return undefined;
  const kinds = [...new Set([...Object.keys(before.counts), ...Object.keys(after.counts)])].sort();
  const delta = kinds.filter((k) => (before.counts[k] ?? 0) !== (after.counts[k] ?? 0)).map((k) => `${k} ${before.counts[k] ?? 0} -> ${after.counts[k] ?? 0}`);
  return `object inventory differs: before ${describeInventory(before)}, after ${describeInventory(after)}${delta.length ? ` (${delta.join(', ')})` : ' (same counts, different names)'}`;
}
