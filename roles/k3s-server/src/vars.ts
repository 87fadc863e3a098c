/**
 * The k3s-server role's variables: a zod schema with documented defaults. Every host's
 * values are validated before any connection; errors name the variable.
 *
 *   k3sServer.use({ k3s_version: 'v1.32.11+k3s3', tls_san: ['k3s.example.lan'], token: new Secret(pw) })
 *
 * Pieces shared with the k3s-agent role (version, token, air-gap directory) are exported.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Secret, z } from 'capstan';
import { k3sConfigProblems, type K3sConfigKind } from './k3s-config-check.ts';
import { dataDirVar } from './paths.ts';
import { K3S_VERSION_PATTERN } from './version.ts';

export const DEFAULT_K3S_VERSION = 'v1.32.11+k3s3';

export const k3sVersionVar = z
  .string()
  .regex(K3S_VERSION_PATTERN, 'must be a K3s release such as v1.32.11+k3s3 (vMAJOR.MINOR.PATCH[-rcN]+k3sN)')
  .default(DEFAULT_K3S_VERSION)
  .describe('K3s release to install (INSTALL_K3S_VERSION); installed == desired means exact string equality');

/** A secret: a Secret, or a plain string (from an inventory) wrapped into one. */
export const secretVar = (label: string) =>
  z.union([
    z.instanceof(Secret),
    z.string().min(1, `${label} must not be empty`).refine((s) => !s.includes('\0') && !/[\r\n]/.test(s), `${label} must be one line without NUL`).transform((s) => new Secret(s, label)),
  ]);

const stringList = (what: string) => z.array(z.string().min(1).refine((s) => !/[\0\r\n]/.test(s), `${what} entries must be one line`)).default([]);

/** A directory on the controller holding `k3s`, `install.sh` and optional image archives. */
export const airgapDirVar = z
  .string()
  .min(1)
  .superRefine((dir, ctx) => {
    if (!existsSync(dir) || !statSync(dir).isDirectory()) return ctx.addIssue({ code: 'custom', message: `air-gap directory ${dir} does not exist on the controller` });
    for (const f of ['k3s', 'install.sh']) if (!existsSync(join(dir, f))) ctx.addIssue({ code: 'custom', message: `air-gap directory ${dir} has no ${f}` });
  })
  .optional()
  .describe('controller directory with the K3s binary `k3s`, `install.sh` and image archives (*.tar, *.tar.gz, *.tar.zst); unset: download online');

export const commonVars = {
  k3s_version: k3sVersionVar,
  node_name: z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'must be a lowercase RFC 1123 name').optional().describe('node name (default: the hostname)'),
  node_labels: stringList('node_labels').describe('node-label entries, key=value'),
  node_taints: stringList('node_taints').describe('node-taint entries, key=value:Effect'),
  extra_config: z.record(z.string(), z.unknown()).default({}).describe('config.yaml keys merged last (they win); each must be a flag of the pinned K3s release, with a value of its type'),
  unchecked_config_keys: z.array(z.string().min(1)).default([]).describe('extra_config keys passed to K3s without checking them against the pinned release\'s flags (a flag of a newer K3s)'),
  registries_yaml: z.string().optional().describe('content of /etc/rancher/k3s/registries.yaml'),
  airgap_dir: airgapDirVar,
  install_script_url: z.string().url().default('https://get.k3s.io/').describe('installer download URL when not air-gapped'),
  extra_install_envs: z.record(z.string().regex(/^[A-Z_][A-Z0-9_]*$/), z.string()).default({}).describe('INSTALL_K3S_* variables merged under the role\'s own (the role wins)'),
  ready_timeout_s: z.number().int().min(5).max(3600).default(300).describe('bound on every readiness wait, seconds'),
  allow_downgrade: z.boolean().default(false).describe('allow installing an older K3s than the one installed'),
  k3s_data_dir: dataDirVar,
};

/**
 * Adds an issue at `extra_config.<key>` for each key K3s would ignore (unknown) or refuse (wrong
 * type), so validation names the key and where the value came from.
 */
export function checkExtraConfig(kind: K3sConfigKind) {
  return (v: { extra_config: Record<string, unknown>; unchecked_config_keys: string[] }, ctx: z.RefinementCtx): void => {
    for (const p of k3sConfigProblems(kind, v.extra_config, v.unchecked_config_keys)) ctx.addIssue({ code: 'custom', path: ['extra_config', p.key], message: p.message });
  };
}

export const serverVars = z.object({
  ...commonVars,
  mode: z.enum(['single', 'cluster-init', 'join', 'auto']).default('single')
    .describe('single (SQLite), cluster-init (first etcd server), join (another server), or auto: by the size of servers_group, one server single, an odd number the first cluster-init and the others join it one at a time (play with serial: 1)'),
  servers_group: z.string().min(1).default('server').describe('inventory group of the cluster\'s servers (mode auto); its first host starts the cluster'),
  join_server_url: z.string().regex(/^https:\/\/[^\s/]+(:\d+)?\/?$/, 'must be https://host:port').optional().describe('existing server to join (mode join)'),
  token: secretVar('token').optional().describe('cluster token; unset on the first server: K3s generates one'),
  token_from_server: z.string().min(1).optional().describe('inventory host whose node token (read by this role there earlier in the run) a joining server uses when token is unset'),
  allow_token_change: z.boolean().default(false).describe('allow a token that differs from the one the server data was created with'),
  agent_token: secretVar('agent_token').optional().describe('separate token for agents; must be equal on every server'),
  api_endpoint: z.string().min(1).optional().describe('address clients and agents use (default: the host address); added to tls-san'),
  api_port: z.number().int().min(1).max(65535).default(6443).describe('https-listen-port'),
  tls_san: stringList('tls_san').describe('extra names and addresses in the API server certificate'),
  disable: z.array(z.enum(['coredns', 'servicelb', 'traefik', 'local-storage', 'metrics-server', 'runtimes'])).default([]).describe('packaged components not to deploy'),
  cluster_cidr: z.string().default('10.42.0.0/16').describe('pod network (critical: equal on every server)'),
  service_cidr: z.string().default('10.43.0.0/16').describe('service network (critical: equal on every server)'),
  write_kubeconfig_mode: z.string().regex(/^0?[0-7]{3}$/, 'must be octal digits such as "0600"').default('0600').describe('mode of /etc/rancher/k3s/k3s.yaml'),
  extra_manifests: z.array(z.string().min(1).superRefine((f, ctx) => {
    if (!/\.(ya?ml|json)$/.test(f)) ctx.addIssue({ code: 'custom', message: `${f}: K3s deploys only .yaml, .yml and .json manifests` });
    else if (!existsSync(f) || !statSync(f).isFile()) ctx.addIssue({ code: 'custom', message: `manifest ${f} does not exist on the controller` });
  })).default([]).refine((l) => new Set(l.map((f) => basename(f))).size === l.length, 'two manifests with the same file name would overwrite each other')
    .describe('controller files copied (0600) into the auto-deploy directory; K3s applies them and re-applies on change'),
  fetch_kubeconfig: z.union([z.literal(false), z.object({ dest: z.string().min(1).default('~/.kube/k3s.yaml'), context: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/).default('k3s') })])
    .default({ dest: '~/.kube/k3s.yaml', context: 'k3s' })
    .describe('copy the admin kubeconfig to the controller (0600), server address and context renamed; false: do not'),
  user_kubectl: z.boolean().default(false).describe('kubectl for kubectl_user on each server: ~/.kube/config (0600, owned by the user) holding the admin kubeconfig, KUBECONFIG in ~/.bashrc'),
  kubectl_user: z.string().regex(/^[a-z_][a-z0-9_-]*\$?$/, 'must be a user name').optional().describe('user of user_kubectl (default: ansible_user)'),
}).superRefine((v, ctx) => {
  checkExtraConfig('server')(v, ctx);
  if (v.mode === 'join' && !v.join_server_url) ctx.addIssue({ code: 'custom', path: ['join_server_url'], message: 'mode join needs join_server_url' });
  if (v.mode === 'join' && !v.token && !v.token_from_server) ctx.addIssue({ code: 'custom', path: ['token'], message: 'mode join needs the cluster token (token, or token_from_server)' });
});

export type ServerVars = z.output<typeof serverVars>;
