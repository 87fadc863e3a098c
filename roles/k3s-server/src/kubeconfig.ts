/**
 * The admin kubeconfig K3s writes (`/etc/rancher/k3s/k3s.yaml`) points at 127.0.0.1 and
 * names everything `default`. For the controller it is rewritten by parsing the YAML: the
 * cluster's server becomes the API address and cluster, user and context take one name.
 *
 *   rewriteKubeconfig(text, { server: 'https://10.0.0.5:6443', name: 'lab' })
 *   mergeKubeconfig(existingConfig, rewritten, 'lab')   // ~/.kube/config with the `lab` entries replaced or added
 *
 * Merging keeps every other cluster, user and context of the file as it was, and makes the
 * cluster's context the current one, as `kubectl config view --flatten` over both files does.
 */
import { parseDocument, stringify } from 'yaml';

export interface KubeconfigTarget {
  server: string;
  /** Name for the cluster, user and context (and current-context). */
  name: string;
}

interface Named {
  name?: unknown;
  cluster?: Record<string, unknown>;
  user?: unknown;
  context?: Record<string, unknown>;
}

export function rewriteKubeconfig(text: string, target: KubeconfigTarget): string {
  const doc = parseDocument(text, { uniqueKeys: true, version: '1.2' });
  if (doc.errors.length) throw new Error(`the kubeconfig is not valid YAML: ${doc.errors[0]?.message ?? ''}`);
  const cfg = doc.toJS() as Record<string, unknown> | null;
  if (!cfg || typeof cfg !== 'object') throw new Error('the kubeconfig is empty');
  const clusters = list(cfg.clusters, 'clusters');
  const users = list(cfg.users, 'users');
  const contexts = list(cfg.contexts, 'contexts');
  if (clusters.length !== 1 || users.length !== 1 || contexts.length !== 1) {
    throw new Error(`expected one cluster, user and context in the K3s kubeconfig, found ${clusters.length}, ${users.length}, ${contexts.length}`);
  }
  const [cluster, user, context] = [clusters[0] as Named, users[0] as Named, contexts[0] as Named];
  const out = {
    ...cfg,
    clusters: [{ ...cluster, name: target.name, cluster: { ...(cluster.cluster ?? {}), server: target.server } }],
    users: [{ ...user, name: target.name }],
    contexts: [{ ...context, name: target.name, context: { ...(context.context ?? {}), cluster: target.name, user: target.name } }],
    'current-context': target.name,
  };
  return stringify(out, { lineWidth: 0 });
}

function list(v: unknown, what: string): unknown[] {
  if (!Array.isArray(v)) throw new Error(`the kubeconfig has no ${what} list`);
  return v;
}

const SECTIONS = ['clusters', 'users', 'contexts'] as const;

/** `ours` (one cluster, user and context named `name`) merged into the kubeconfig text `existing`. */
export function mergeKubeconfig(existing: string | undefined, ours: string, name: string): string {
  const mine = parseKubeconfig(ours, 'the cluster kubeconfig');
  if (existing === undefined || existing.trim() === '') return stringify(mine, { lineWidth: 0 });
  const base = parseKubeconfig(existing, 'the kubeconfig already on the controller');
  const out: Record<string, unknown> = { ...base, 'current-context': name };
  for (const section of SECTIONS) {
    const kept = (base[section] === undefined ? [] : list(base[section], section)).filter((e) => (e as Named).name !== name);
    out[section] = [...kept, ...list(mine[section], section)];
  }
  out.apiVersion ??= 'v1';
  out.kind ??= 'Config';
  return stringify(out, { lineWidth: 0 });
}

function parseKubeconfig(text: string, what: string): Record<string, unknown> {
  const doc = parseDocument(text, { uniqueKeys: true, version: '1.2' });
  if (doc.errors.length) throw new Error(`${what} is not valid YAML: ${doc.errors[0]?.message ?? ''}`);
  const cfg = doc.toJS() as unknown;
  if (!cfg || typeof cfg !== 'object' || Array.isArray(cfg)) throw new Error(`${what} is not a kubeconfig (a YAML mapping)`);
  const rec = cfg as Record<string, unknown>;
  if (rec.kind !== undefined && rec.kind !== 'Config') throw new Error(`${what} is a ${String(rec.kind)}, not a kubeconfig (kind: Config)`);
  return rec;
}
