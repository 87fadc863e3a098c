/**
 * The admin kubeconfig K3s writes (`/etc/rancher/k3s/k3s.yaml`) points at 127.0.0.1 and
 * names everything `default`. For the controller it is rewritten by parsing the YAML: the
 * cluster's server becomes the API address and cluster, user and context take one name.
 *
 *   rewriteKubeconfig(text, { server: 'https://10.0.0.5:6443', name: 'lab' })
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
