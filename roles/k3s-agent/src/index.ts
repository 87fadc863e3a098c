/**
 * `@capstan/k3s-agent`: the K3s agent role and its CA pre-check.
 *
 *   import { k3sAgent } from '@capstan/k3s-agent';
 *   { name: 'agents', hosts: 'agent', become: true, roles: [k3sAgent.use({ node_labels: ['tier=batch'] })] }
 */
export { k3sAgent, agentConfigYaml } from './role.ts';
export { agentVars, type AgentVars } from './vars.ts';
export { k3sCaCheck, k3sCacerts, type Cacerts } from './ca-check.ts';
export { k3sNotAServer } from './host-guard.ts';
