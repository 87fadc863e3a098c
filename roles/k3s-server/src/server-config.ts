/**
 * The k3s-server role's config.yaml, from its variables: the pure part of the role.
 *
 *   serverConfigYaml(vars, '10.0.0.5')   // sorted YAML; holds the token when one is given
 */
import { renderK3sConfig } from './config.ts';
import { dataDirConfig } from './paths.ts';
import type { ServerVars } from './vars.ts';

export function serverConfigYaml(v: ServerVars, apiAddress: string): string {
  return renderK3sConfig({
    token: v.token?.reveal(),
    'agent-token': v.agent_token?.reveal(),
    'tls-san': [apiAddress, ...v.tls_san],
    'write-kubeconfig-mode': v.write_kubeconfig_mode.padStart(4, '0'),
    'node-name': v.node_name,
    'node-label': v.node_labels,
    'node-taint': v.node_taints,
    disable: v.disable,
    'cluster-init': v.mode === 'cluster-init' ? true : undefined,
    server: v.mode === 'join' ? v.join_server_url : undefined,
    'cluster-cidr': v.cluster_cidr,
    'service-cidr': v.service_cidr,
    'https-listen-port': v.api_port === 6443 ? undefined : v.api_port,
    'data-dir': dataDirConfig(v.k3s_data_dir),
  }, v.extra_config);
}
