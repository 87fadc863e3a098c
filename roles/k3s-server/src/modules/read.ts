/**
 * Reads a root-only K3s file (node token, admin kubeconfig) into the step's data as a
 * Secret, so later steps and plays use it without it ever being printed.
 *
 *   const token = k3sReadSecret({ path: '/var/lib/rancher/k3s/server/node-token', what: 'node token' });
 *   deferred((ctx) => ctx.result(token, 'server1')?.data?.value ?? knownAfterApply('node token'))
 *
 * Under --check on a host where K3s would be installed first, the value is "known after apply".
 */
import { defineModule, fail, noop, remotePath, type Secret, z } from 'capstan';
import { k3sSecretFile } from '../facts.ts';

export interface SecretData {
  value: Secret;
}

export const k3sReadSecret = defineModule({
  name: 'k3s.read-secret',
  args: z.object({ path: remotePath, what: z.string().min(1) }).strict(),
  describe: (a) => `read the ${a.what}`,
  facts: (a) => ({ content: k3sSecretFile(a.path) }),
  plan: (a, { content }) => content ? noop(`read the ${a.what} from ${a.path}`) : fail(`${a.path} does not exist: the ${a.what} is written by a running K3s server`),
  data: (_a, { content }): SecretData | undefined => (content ? { value: content } : undefined),
});
