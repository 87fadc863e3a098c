/**
 * Proof that the roles' variable types reach this project: each line below must be a type
 * error, or `npm run typecheck` fails ("unused @ts-expect-error").
 */
import { k3sAgent } from '@capstan/k3s-agent';
import { k3sServer } from '@capstan/k3s-server';

// @ts-expect-error a misspelt variable (k3s_verison) is not one of the role's
k3sServer.use({ k3s_verison: 'v1.32.11+k3s3' });
// @ts-expect-error mode is single, cluster-init or join
k3sServer.use({ mode: 'ha' });
// @ts-expect-error disable lists only K3s's packaged components
k3sServer.use({ disable: ['nginx'] });
// @ts-expect-error ready_timeout_s is a number of seconds
k3sAgent.use({ ready_timeout_s: '5m' });
