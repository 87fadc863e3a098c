/**
 * Refuses a token change on a server that already has data: the token encrypts the
 * bootstrap data, so K3s would fail to start. Compares the password parts (the file holds
 * the full K10 form, the variable may hold the short form).
 *
 *   k3sTokenGuard({ token: v.token, allowChange: v.allow_token_change, path: k3sPaths(v.k3s_data_dir).token })
 */
import { defineModule, fail, noop, Secret, z } from 'capstan';
import { k3sSecretFile } from '../facts.ts';
import { k3sPaths } from '../paths.ts';
import { tokenPassword } from '../token.ts';

export const SERVER_TOKEN_PATH = k3sPaths().token;

export const k3sTokenGuard = defineModule({
  name: 'k3s.token-guard',
  args: z.object({ token: z.instanceof(Secret).optional(), allowChange: z.boolean().default(false), path: z.string().min(1).default(SERVER_TOKEN_PATH) }).strict(),
  describe: () => 'K3s token unchanged',
  facts: (a) => ({ current: k3sSecretFile(a.path) }),
  plan: (a, { current }) => {
    if (!a.token) return noop('no token given: the server keeps the one it has (or generates one)');
    if (!current) return noop('the server has no data yet');
    if (tokenPassword(current.reveal()) === tokenPassword(a.token.reveal()) || a.allowChange) return noop('the token matches the server data');
    return fail(`the token differs from the one ${a.path} was created with; K3s would fail to start (rotate it with \`k3s token rotate\`, or set allow_token_change: true)`);
  },
});
