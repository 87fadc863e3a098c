/**
 * The reverse of the k3s-server role's kubeconfig merge: the cluster, user and context it
 * wrote under one name leave the controller's kubeconfig; every other entry stays as it was.
 *
 *   forgetCluster(text, 'k3s')   // { text: '...without k3s...', removed: true }
 *   forgetCluster(onlyOurs, 'k3s') // { text: null, removed: true }: nothing else was in the file, remove it
 *
 * A current-context naming the removed context is dropped (kubectl would point at nothing).
 */
import { parseDocument, stringify } from 'yaml';

const SECTIONS = ['clusters', 'users', 'contexts'] as const;

export interface Forgotten {
  /** The new file content; null when no cluster, user or context is left (the file can go). */
  text: string | null;
  removed: boolean;
}

export function forgetCluster(existing: string, name: string): Forgotten {
  const doc = parseDocument(existing, { uniqueKeys: true, version: '1.2' });
  if (doc.errors.length) throw new Error(`the kubeconfig is not valid YAML: ${doc.errors[0]?.message ?? ''}`);
  const cfg = doc.toJS() as unknown;
  if (cfg === null || cfg === undefined) return { text: null, removed: false };
  if (typeof cfg !== 'object' || Array.isArray(cfg)) throw new Error('the kubeconfig is not a YAML mapping');
  const base = cfg as Record<string, unknown>;
  const out: Record<string, unknown> = { ...base };
  let removed = false;
  let left = 0;
  for (const s of SECTIONS) {
    const list = Array.isArray(base[s]) ? (base[s] as { name?: unknown }[]) : [];
    const kept = list.filter((e) => e?.name !== name);
    removed ||= kept.length !== list.length;
    left += kept.length;
    if (base[s] !== undefined) out[s] = kept;
  }
  if (base['current-context'] === name) {
    delete out['current-context'];
    removed = true;
  }
  if (!removed) return { text: existing, removed: false };
  return { text: left === 0 ? null : stringify(out, { lineWidth: 0 }), removed: true };
}
