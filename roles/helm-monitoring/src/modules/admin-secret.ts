/**
 * Kubernetes Secrets the role owns, with their namespace, applied with `k3s kubectl apply -f -`:
 * the manifest travels on stdin, so no value is ever in argv, in the auto-deploy directory, in a
 * diff or in a log. Grafana's admin credentials (keys `admin-user`, `admin-password`) and
 * Alertmanager's configuration (key `alertmanager.yaml`) are two such Secrets.
 *
 *   grafanaAdminSecret({ namespace: 'monitoring', name: 'grafana-admin', user: 'admin', password: new Secret(pw) })
 *   k8sSecret({ namespace: 'monitoring', name: 'alertmanager-capstan', data: { 'alertmanager.yaml': new Secret(yaml) } })
 *
 * The host's Secret is compared by a SHA-256 computed on the host over the stored base64
 * values, so no value leaves the host either; equal: nothing to do.
 */
import { createHash } from 'node:crypto';
import { change, changes, defineFact, defineModule, exec, noop, Secret, sh, z } from 'capstan';
import { K3S_BIN } from '@capstan/k3s-server';

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

/** What the fact computes on the host (base64 values, one per line, in key order), computed locally. */
export function secretDigest(values: readonly string[]): string {
  return createHash('sha256').update(values.map(b64).join('\n')).digest('hex');
}

/** The digest of Grafana's two keys, as the host computes it. */
export function credentialsDigest(user: string, password: string): string {
  return secretDigest([user, password]);
}

/** A value that may be shown (a user name) or a Secret. */
type Value = Secret | string;
const text = (v: Value) => (typeof v === 'string' ? v : v.reveal());

/** A jsonpath member name: dots in a key (`alertmanager.yaml`) are escaped. */
const member = (key: string) => key.replace(/\./g, '\\.');

/** The digest of the Secret's `keys` on the host; null when the Secret does not exist. */
export const k8sSecretDigest = defineFact<{ namespace: string; name: string; keys: readonly string[] }, string | null>({
  name: 'k3s.secretdigest',
  command: ({ namespace, name, keys }) => sh`b=${K3S_BIN}; ns=${namespace}; s=${name}; ` +
    'if [ ! -x "$b" ] || ! "$b" kubectl -n "$ns" get secret "$s" -o name >/dev/null 2>&1; then echo absent; exit 0; fi; ' +
    `{ ${keys.map((k) => sh`"$b" kubectl -n "$ns" get secret "$s" -o ${`jsonpath={.data.${member(k)}}`}`).join('; echo; ')}; } | sha256sum | cut -d " " -f 1`,
  parse: (out) => (out.trim() === 'absent' ? null : out.trim()),
});

/** Grafana's Secret on the host (kept for callers that read the admin keys only). */
export const k8sCredentialsDigest = (a: { namespace: string; name: string }) => k8sSecretDigest({ ...a, keys: ['admin-user', 'admin-password'] });

/** The Namespace and the Secret as one `kind: List` (JSON is YAML; kubectl applies both). */
export function secretManifest(a: { namespace: string; name: string; data: Readonly<Record<string, Value>> }): Secret {
  const list = {
    apiVersion: 'v1',
    kind: 'List',
    items: [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: a.namespace } },
      {
        apiVersion: 'v1', kind: 'Secret', type: 'Opaque',
        metadata: { name: a.name, namespace: a.namespace, labels: { 'app.kubernetes.io/managed-by': 'capstan' } },
        data: Object.fromEntries(Object.entries(a.data).map(([k, v]) => [k, b64(text(v))])),
      },
    ],
  };
  return new Secret(JSON.stringify(list), `Secret ${a.namespace}/${a.name}`);
}

const secretArgs = z.object({
  namespace: z.string().min(1),
  name: z.string().min(1),
  data: z.record(z.string().regex(/^[-._a-zA-Z0-9]+$/, 'must be a Secret key'), z.union([z.instanceof(Secret), z.string()])).refine((d) => Object.keys(d).length > 0, 'a Secret needs at least one key'),
}).strict();

/** Plans a Secret from its wanted data and the host's digest; `same` is the no-op reason. */
function planSecret(a: z.output<typeof secretArgs>, digest: string | null, same: string) {
  const keys = Object.keys(a.data);
  if (digest === secretDigest(keys.map((k) => text(a.data[k] ?? '')))) return noop(same);
  const what = digest === null ? 'create' : 'update';
  return changes(change(`${what} Secret ${a.namespace}/${a.name} (${keys.join(', ')}: values hidden)`,
    exec(sh`${K3S_BIN} kubectl apply -f -`, { stdin: secretManifest(a) })));
}

export const k8sSecret = defineModule({
  name: 'k3s.secret',
  args: secretArgs,
  describe: (a) => `Secret ${a.namespace}/${a.name}`,
  facts: (a) => ({ digest: k8sSecretDigest({ namespace: a.namespace, name: a.name, keys: Object.keys(a.data) }) }),
  plan: (a, { digest }) => planSecret(a, digest, `Secret ${a.namespace}/${a.name} holds the wanted values`),
});

const adminArgs = z.object({
  namespace: z.string().min(1),
  name: z.string().min(1),
  user: z.string().min(1),
  password: z.instanceof(Secret),
}).strict();

const adminData = (a: z.output<typeof adminArgs>) => ({ 'admin-user': a.user, 'admin-password': a.password });

export const grafanaAdminSecret = defineModule({
  name: 'k3s.grafana-admin-secret',
  args: adminArgs,
  describe: (a) => `Secret ${a.namespace}/${a.name}`,
  facts: (a) => ({ digest: k8sCredentialsDigest({ namespace: a.namespace, name: a.name }) }),
  plan: (a, { digest }) => planSecret({ namespace: a.namespace, name: a.name, data: adminData(a) }, digest, `Secret ${a.namespace}/${a.name} holds the wanted credentials`),
});
