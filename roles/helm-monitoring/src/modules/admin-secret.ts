/**
 * Grafana's admin credentials as a Kubernetes Secret (keys `admin-user`, `admin-password`),
 * with its namespace, applied with `k3s kubectl apply -f -`: the manifest travels on stdin,
 * so the password is never in argv, in the auto-deploy directory, in a diff or in a log.
 *
 *   grafanaAdminSecret({ namespace: 'monitoring', name: 'grafana-admin', user: 'admin', password: new Secret(pw) })
 *
 * The host's Secret is compared by a SHA-256 computed on the host over the stored base64
 * values, so the password never leaves the host either; equal: nothing to do.
 */
import { createHash } from 'node:crypto';
import { change, changes, defineFact, defineModule, exec, noop, Secret, sh, z } from 'capstan';
import { K3S_BIN } from '@capstan/k3s-server';

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

/** What the fact computes on the host, computed locally from the wanted values. */
export function credentialsDigest(user: string, password: string): string {
  return createHash('sha256').update(`${b64(user)}\n${b64(password)}`).digest('hex');
}

/** The digest of the Secret's two keys on the host; null when the Secret does not exist. */
export const k8sCredentialsDigest = defineFact<{ namespace: string; name: string }, string | null>({
  name: 'k3s.secretdigest',
  command: ({ namespace, name }) => sh`b=${K3S_BIN}; ns=${namespace}; s=${name}; ` +
    'if [ ! -x "$b" ] || ! "$b" kubectl -n "$ns" get secret "$s" -o name >/dev/null 2>&1; then echo absent; exit 0; fi; ' +
    'u=$("$b" kubectl -n "$ns" get secret "$s" -o \'jsonpath={.data.admin-user}\'); ' +
    'p=$("$b" kubectl -n "$ns" get secret "$s" -o \'jsonpath={.data.admin-password}\'); ' +
    'printf \'%s\\n%s\' "$u" "$p" | sha256sum | cut -d " " -f 1',
  parse: (out) => (out.trim() === 'absent' ? null : out.trim()),
});

const args = z.object({
  namespace: z.string().min(1),
  name: z.string().min(1),
  user: z.string().min(1),
  password: z.instanceof(Secret),
}).strict();

/** The Namespace and the Secret as one `kind: List` (JSON is YAML; kubectl applies both). */
export function secretManifest(a: z.output<typeof args>): Secret {
  const list = {
    apiVersion: 'v1',
    kind: 'List',
    items: [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: a.namespace } },
      {
        apiVersion: 'v1', kind: 'Secret', type: 'Opaque',
        metadata: { name: a.name, namespace: a.namespace, labels: { 'app.kubernetes.io/managed-by': 'capstan' } },
        data: { 'admin-user': b64(a.user), 'admin-password': b64(a.password.reveal()) },
      },
    ],
  };
  return new Secret(JSON.stringify(list), `Secret ${a.namespace}/${a.name}`);
}

export const grafanaAdminSecret = defineModule({
  name: 'k3s.grafana-admin-secret',
  args,
  describe: (a) => `Secret ${a.namespace}/${a.name}`,
  facts: (a) => ({ digest: k8sCredentialsDigest({ namespace: a.namespace, name: a.name }) }),
  plan: (a, { digest }) => {
    if (digest === credentialsDigest(a.user, a.password.reveal())) return noop(`Secret ${a.namespace}/${a.name} holds the wanted credentials`);
    const what = digest === null ? 'create' : 'update';
    return changes(change(`${what} Secret ${a.namespace}/${a.name} (admin-user, admin-password: values hidden)`,
      exec(sh`${K3S_BIN} kubectl apply -f -`, { stdin: secretManifest(a) })));
  },
});
