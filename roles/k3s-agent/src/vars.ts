/**
 * The k3s-agent role's variables: a zod schema with documented defaults, validated for
 * every host before any connection.
 *
 *   k3sAgent.use({ node_labels: ['node.kubernetes.io/role=stateful'] })   // token and URL from the server play
 *   k3sAgent.use({ server_url: 'https://10.0.0.5:6443', token: new Secret(nodeToken) })
 */
import { checkExtraConfig, commonVars, secretVar } from '@capstan/k3s-server';
import { z } from 'capstan';

export const agentVars = z.object({
  ...commonVars,
  server_url: z.string().regex(/^https:\/\/[^\s/]+(:\d+)?\/?$/, 'must be https://host:port (K3s refuses other URLs)').optional()
    .describe('server or load balancer to join (default: https://<token_from_server address>:6443)'),
  token: secretVar('token').optional().describe('join token (full K10 form verifies the cluster CA); unset: the node token read by k3s-server on token_from_server'),
  token_from_server: z.string().min(1).optional().describe('inventory host whose node token to use (default: first host of group `server`)'),
  verify_via: z.string().min(1).optional().describe('server host where kubectl checks the node (default: token_from_server)'),
}).superRefine(checkExtraConfig('agent'));

export type AgentVars = z.output<typeof agentVars>;
