/**
 * k3s-ansible's inventory variables, read by the K3s roles under their k3s-ansible names so a
 * team's existing inventory works as it is, or refused with what to write instead: never
 * silently ignored. Capstan's own name wins when both are set.
 *
 *   k3sAnsibleServerAliases   // extra_server_args, server_config_yaml, registries_config_yaml, ...
 *   k3sArgsToConfig('--disable traefik --tls-san=k3s.lan --cluster-init')
 *   // { disable: ['traefik'], 'tls-san': ['k3s.lan'], 'cluster-init': true }
 *
 * Variable list: k3s-ansible's roles/*\/defaults and inventory-sample.yml.
 */
import { parse } from 'yaml';
import { splitShellWords, type VarAlias } from 'capstan';

const FROM = 'k3s-ansible';

/** K3s flags that take a list (StringSlice): in config.yaml they are YAML lists. */
const LIST_FLAGS = new Set([
  'disable', 'tls-san', 'node-label', 'node-taint', 'kube-apiserver-arg', 'kube-controller-manager-arg', 'kube-scheduler-arg',
  'kube-cloud-controller-manager-arg', 'kubelet-arg', 'kube-proxy-arg', 'etcd-arg', 'node-ip', 'node-external-ip',
]);

/**
 * K3s command-line flags as config.yaml keys, as K3s documents the equivalence: `--flag value`
 * and `--flag=value` give `flag: value`, a flag without a value gives `flag: true`, and list
 * flags (or any flag given twice) give lists.
 */
export function k3sArgsToConfig(args: string): Record<string, unknown> {
  const words = splitShellWords(args);
  const out: Record<string, unknown> = {};
  for (let i = 0; i < words.length; i++) {
    const w = words[i] as string;
    if (!w.startsWith('--') || w === '--') throw new Error(`"${w}" is not a --flag (K3s arguments are --name value or --name=value)`);
    const eq = w.indexOf('=');
    const name = eq > 0 ? w.slice(2, eq) : w.slice(2);
    const next = words[i + 1];
    const value: unknown = eq > 0 ? w.slice(eq + 1) : next !== undefined && !next.startsWith('--') ? (i++, next) : true;
    const prior = out[name];
    if (prior === undefined) out[name] = LIST_FLAGS.has(name) ? [value] : value;
    else out[name] = [...(Array.isArray(prior) ? prior : [prior]), value];
  }
  return out;
}

/** An inner YAML document (k3s-ansible's `server_config_yaml`) as config.yaml keys. */
export function configYamlToConfig(text: unknown): Record<string, unknown> {
  if (typeof text !== 'string') throw new Error('must be YAML text (a block scalar: `server_config_yaml: |`)');
  const doc: unknown = parse(text);
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new Error('must hold a YAML mapping of K3s configuration keys');
  return doc as Record<string, unknown>;
}

const text = (v: unknown): string => {
  if (typeof v !== 'string') throw new Error('must be text');
  return v;
};

const defaultOnly = (name: string, dflt: unknown, why: string): VarAlias => ({ name, from: FROM, accepts: (v) => v === dflt, unsupported: why });

/**
 * k3s-ansible's name for K3s's data directory, for every role that follows `k3s_data_dir`
 * (server, agent, etcd-migrate, restore, monitoring, upgrade, reset).
 */
export const k3sDataDirAlias: VarAlias = { name: 'k3s_server_location', from: FROM, to: (v) => ({ k3s_data_dir: text(v) }) };

/** Names both roles share. */
const common: VarAlias[] = [
  k3sDataDirAlias,
  defaultOnly('systemd_dir', '/etc/systemd/system', 'K3s\'s installer writes its units to /etc/systemd/system, where the roles look for them: remove systemd_dir'),
  defaultOnly('server_group', 'server', 'the stage playbooks run the servers of the group named `server`: rename your group to server'),
  defaultOnly('agent_group', 'agent', 'the stage playbooks run the agents of the group named `agent`: rename your group to agent'),
  {
    name: 'extra_service_envs', from: FROM, accepts: (v) => Array.isArray(v) && v.length === 0,
    unsupported: 'environment for the k3s service is not written by Capstan: set the matching K3s option in extra_config (config.yaml) instead',
  },
];

export const k3sAnsibleServerAliases: readonly VarAlias[] = [
  ...common,
  { name: 'extra_server_args', from: FROM, to: (v) => ({ extra_config: k3sArgsToConfig(text(v)) }) },
  { name: 'server_config_yaml', from: FROM, to: (v) => ({ extra_config: configYamlToConfig(v) }) },
  { name: 'registries_config_yaml', from: FROM, to: (v) => ({ registries_yaml: text(v) }) },
  // k3s-ansible writes ~/.kube/config.new, then merges it into ~/.kube/config: Capstan merges directly.
  { name: 'kubeconfig', from: FROM, to: (v) => ({ fetch_kubeconfig: { dest: text(v) === '~/.kube/config.new' ? '~/.kube/config' : text(v) } }) },
  { name: 'cluster_context', from: FROM, to: (v) => ({ fetch_kubeconfig: { context: text(v) } }) },
  defaultOnly('use_external_database', false, 'Capstan\'s stages use SQLite (stage 1) or embedded etcd (stages 3 and 4): remove use_external_database'),
  {
    name: 'user_kubectl', from: FROM,
    to: (v) => {
      if (typeof v !== 'boolean') throw new Error('must be true or false');
      return { user_kubectl: v };
    },
  },
];

/** `https://10.0.0.5:6443`, brackets around an IPv6 address. */
function serverUrl(endpoint: string, port: unknown): string {
  const host = endpoint.includes(':') && !endpoint.startsWith('[') ? `[${endpoint}]` : endpoint;
  return `https://${host}:${typeof port === 'number' || typeof port === 'string' ? port : 6443}`;
}

export const k3sAnsibleAgentAliases: readonly VarAlias[] = [
  ...common,
  { name: 'api_endpoint', from: FROM, to: (v, vars) => ({ server_url: serverUrl(text(v), vars.api_port) }) },
  { name: 'extra_agent_args', from: FROM, to: (v) => ({ extra_config: k3sArgsToConfig(text(v)) }) },
  { name: 'agent_config_yaml', from: FROM, to: (v) => ({ extra_config: configYamlToConfig(v) }) },
  { name: 'registries_config_yaml', from: FROM, to: (v) => ({ registries_yaml: text(v) }) },
];
