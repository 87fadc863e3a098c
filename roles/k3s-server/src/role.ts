/**
 * Role `k3s-server`: installs, configures and verifies a K3s server, online or from an
 * air-gap directory, restarting it only when something it reads changed.
 *
 *   import { k3sServer } from '@capstan/k3s-server';
 *   definePlaybook({ plays: [{ name: 'k3s', hosts: 'server', become: true,
 *     roles: [k3sServer.use({ k3s_version: 'v1.32.11+k3s3', airgap_dir: '/srv/k3s-airgap' })] }] });
 *
 * Later plays read the node token with `ctx.result(k3sServerToken, '<server host>')`.
 */
import { homedir } from 'node:os';
import { basename, dirname } from 'node:path';
import { ConfigError, copy, deferred, defineRole, slurp, stat, file, flushHandlers, knownAfterApply, Secret, type KnownAfterApply, type Step, type StepContext } from 'capstan';
import { airgapSteps } from './airgap.ts';
import { k3sAnsibleServerAliases } from './k3s-ansible.ts';
import { mergeKubeconfig, rewriteKubeconfig } from './kubeconfig.ts';
import { k3sInstall, k3sVersionGuard, type GuardData } from './modules/install.ts';
import { k3sReadSecret, type SecretData } from './modules/read.ts';
import { k3sNodeLabels } from './modules/labels.ts';
import { k3sReady } from './modules/ready.ts';
import { k3sRestart, k3sService } from './modules/service.ts';
import { k3sTokenGuard } from './modules/token-guard.ts';
import { clusterRole, type ClusterRole } from './cluster-mode.ts';
import { k3sDatastoreGuard } from './modules/datastore-guard.ts';
import { etcdMemberWait } from './modules/member.ts';
import { ADMIN_KUBECONFIG, CONFIG_DIR, DEFAULT_DATA_DIR, k3sPaths } from './paths.ts';
import { serverConfigYaml } from './server-config.ts';
import { userKubectlSteps } from './user-kubectl.ts';
import { serverVars, type ServerVars } from './vars.ts';

export { CONFIG_DIR, ADMIN_KUBECONFIG };
export const NODE_TOKEN_PATH = k3sPaths().nodeToken;
/** K3s applies every manifest in this directory (under the data directory), and re-applies it when the file changes. */
export const MANIFESTS_DIR = k3sPaths().manifests;
const RESTART = 'restart k3s';

/**
 * The step that reads the server's node token (full K10 form, a Secret) under a data directory.
 * Every such step is declared on this one line, so plays on other hosts (agents) find it by
 * name and place: `ctx.result(k3sServerToken, server)`, whatever the server's data directory.
 */
export function nodeTokenStep(dataDir: string): Step<SecretData | undefined> {
  return k3sReadSecret({ path: k3sPaths(dataDir).nodeToken, what: 'node token' }, { name: 'read the node token' });
}

/** The node token step for K3s's default data directory. */
export const k3sServerToken = nodeTokenStep(DEFAULT_DATA_DIR);

/** The node name K3s registers: `node_name`, else the hostname the version guard read. */
export function nodeNameOf(nodeName: string | undefined, guard: Step<GuardData>, ctx: StepContext): string | KnownAfterApply {
  return nodeName ?? (ctx.result(guard)?.data?.hostname || knownAfterApply('the node name (the version guard did not run)'));
}

/** The join token: `token`, else the node token read on `token_from_server` ("known after apply" until then). */
function tokenOf(v: ServerVars, ctx: StepContext): Secret | KnownAfterApply | undefined {
  if (v.token || !v.token_from_server) return v.token;
  return ctx.result(k3sServerToken, v.token_from_server)?.data?.value ?? knownAfterApply(`the node token of ${v.token_from_server}`);
}

function configContent(v: ServerVars, address: string): Secret {
  if (v.token || !v.token_from_server) return new Secret(serverConfigYaml(v, address), 'k3s config.yaml');
  return deferred((c: StepContext) => {
    const token = tokenOf(v, c);
    return token instanceof Secret ? new Secret(serverConfigYaml({ ...v, token }, address), 'k3s config.yaml') : (token ?? knownAfterApply('the join token'));
  }, 'k3s config.yaml');
}

function apiAddress(v: ServerVars, hostVars: Readonly<Record<string, unknown>>, host: string): string {
  return v.api_endpoint ?? String(hostVars.ansible_host ?? host);
}

function expandHome(p: string): string {
  return p === '~' || p.startsWith('~/') ? `${homedir()}${p.slice(1)}` : p;
}

/**
 * The admin kubeconfig, rewritten for the controller and merged into `dest` there: other
 * clusters, users and contexts in that file stay as they were (read first, written atomically).
 */
function kubeconfigSteps(v: ServerVars, address: string, firstServer: string | undefined): Step[] {
  if (v.fetch_kubeconfig === false) return [];
  const { dest, context } = v.fetch_kubeconfig;
  const local = expandHome(dest);
  const first = { when: (ctx: StepContext) => ctx.host === (firstServer ?? ctx.playHosts[0]) };
  const onController = { delegateTo: 'localhost', become: false } as const;
  const read = k3sReadSecret({ path: ADMIN_KUBECONFIG, what: 'admin kubeconfig' }, { name: 'read the admin kubeconfig', ...first });
  const there = stat({ path: local }, { name: `controller: is there a kubeconfig at ${dest}`, ...onController, ...first });
  const current = slurp({ path: local, secret: true }, {
    name: `controller: read ${dest} to merge into`, ...onController,
    when: (ctx) => first.when(ctx) && ctx.result(there)?.data?.exists === true,
  });
  const server = `https://${address}:${v.api_port}`;
  const content = deferred((ctx: StepContext) => {
    const data = ctx.result(read)?.data;
    if (!data) return knownAfterApply('the admin kubeconfig');
    const existing = ctx.result(current);
    if (existing?.uncertain) return knownAfterApply(`the content of ${dest}`);
    const ours = rewriteKubeconfig(data.value.reveal(), { server, name: context });
    return new Secret(mergeKubeconfig(existing?.data?.text ?? undefined, ours, context), 'kubeconfig');
  }, 'kubeconfig');
  return [
    read,
    file({ path: dirname(local), state: 'directory' }, { name: 'controller: kubeconfig directory', ...onController, ...first }),
    there,
    current,
    copy({ dest: local, content, mode: '0600' }, { name: `controller: kubeconfig ${dest} (context ${context})`, ...onController, ...first }),
  ];
}

/** Steps before anything is written on a server of a multi-server cluster: no SQLite datastore there. */
function clusterGuard(cr: ClusterRole, v: ServerVars, host: string): Step[] {
  if (cr.servers.length < 2) return [];
  return [k3sDatastoreGuard({ dataDir: v.k3s_data_dir, group: v.servers_group, servers: [...cr.servers], first: cr.first, host }, { name: `refuse a SQLite datastore in a ${cr.servers.length}-server cluster` })];
}

/** After a server joined: it is an etcd member and Ready as the first server sees it, before the next one joins. */
function memberSteps(cr: ClusterRole, v: ServerVars, guard: Step<GuardData>, changing: readonly Step[]): Step[] {
  if (cr.vars.mode !== 'join' || cr.servers.length < 2) return [];
  const node = deferred((c: StepContext) => {
    if (c.check && changing.some((s) => c.result(s)?.changed)) return knownAfterApply('the membership of this server once it has joined');
    return nodeNameOf(v.node_name, guard, c);
  }, 'node name');
  return [etcdMemberWait({ node, expected: cr.index + 1, timeoutS: v.ready_timeout_s }, { name: `etcd member and Ready on ${cr.first}`, delegateTo: cr.first })];
}

export const k3sServer = defineRole({
  name: 'k3s-server',
  description: 'K3s server: single (SQLite), cluster-init or join, or auto (by the size of the server group); air-gap capable; restarts only on change',
  vars: serverVars,
  aliases: k3sAnsibleServerAliases,
  steps: (given, ctx) => {
    const cr = clusterRole(given, ctx);
    const v = cr.vars;
    const paths = k3sPaths(v.k3s_data_dir);
    const address = apiAddress(v, ctx.hostVars(ctx.host), ctx.host);
    const airgap = v.airgap_dir ? airgapSteps(v.airgap_dir, RESTART, paths.images) : undefined;
    const binary = airgap?.binary;
    const guard = k3sVersionGuard({ unit: 'k3s', version: v.k3s_version, allowDowngrade: v.allow_downgrade }, { name: 'refuse a K3s downgrade' });
    const nodeName = deferred((c: StepContext) => nodeNameOf(v.node_name, guard, c), 'node name');
    const config = copy({ dest: `${CONFIG_DIR}/config.yaml`, content: configContent(v, address), mode: '0600' }, { name: 'K3s config.yaml', notify: RESTART });
    const install = k3sInstall({
      unit: 'k3s', exec: 'server', version: v.k3s_version, airgap: Boolean(airgap), installScriptUrl: v.install_script_url,
      extraEnv: v.extra_install_envs, allowDowngrade: v.allow_downgrade,
      // Under --check the binary copy may itself be unpredictable (an earlier change reaches it): then so is the install.
      binaryChanged: binary ? deferred((c: StepContext) => {
        const copied = c.result(binary);
        return c.check && copied?.uncertain !== undefined ? knownAfterApply('whether the air-gap binary is replaced') : copied?.changed === true;
      }, 'binary replaced') : false,
    }, { name: 'install K3s', notify: RESTART });
    return [
      ...clusterGuard(cr, v, ctx.host),
      guard,
      k3sTokenGuard({
        token: v.token_from_server && !v.token ? deferred((c: StepContext) => tokenOf(v, c) ?? knownAfterApply('the join token'), 'join token') : v.token,
        allowChange: v.allow_token_change, path: paths.token,
      }, { name: 'refuse a token change on existing data' }),
      file({ path: CONFIG_DIR, state: 'directory', mode: '0755' }, { name: 'K3s config directory' }),
      config,
      ...(v.registries_yaml !== undefined
        ? [copy({ dest: `${CONFIG_DIR}/registries.yaml`, content: v.registries_yaml, mode: '0644' }, { name: 'K3s registries.yaml', notify: RESTART })]
        : []),
      ...(airgap?.steps ?? []),
      install,
      flushHandlers(),
      k3sService({ unit: 'k3s' }, { name: 'k3s service enabled and running' }),
      k3sReady({ node: nodeName, version: v.k3s_version, apiserver: true, timeoutS: v.ready_timeout_s }, { name: 'K3s API ready and node Ready' }),
      ...memberSteps(cr, v, guard, [config, install, ...(binary ? [binary] : [])]),
      ...(v.node_labels.length ? [k3sNodeLabels({ node: nodeName, labels: v.node_labels }, { name: 'node labels' })] : []),
      ...(v.extra_manifests.length ? [file({ path: paths.manifests, state: 'directory' }, { name: 'K3s auto-deploy directory' })] : []),
      ...v.extra_manifests.map((src) => copy({ src, dest: `${paths.manifests}/${basename(src)}`, mode: '0600' }, { name: `manifest ${basename(src)}` })),
      v.k3s_data_dir === DEFAULT_DATA_DIR ? k3sServerToken : nodeTokenStep(v.k3s_data_dir),
      ...(v.user_kubectl ? userKubectlSteps(kubectlUser(v, ctx.hostVars(ctx.host), ctx.host)) : []),
      ...kubeconfigSteps(v, address, cr.servers.length > 1 ? cr.first : undefined),
    ];
  },
  handlers: () => ({ [RESTART]: k3sRestart({ unit: 'k3s' }, { name: RESTART }) }),
});

function kubectlUser(v: ServerVars, hostVars: Readonly<Record<string, unknown>>, host: string): string {
  const user = v.kubectl_user ?? hostVars.ansible_user;
  if (typeof user !== 'string' || !user) {
    throw new ConfigError(`role k3s-server: user_kubectl on ${host} needs a user: set kubectl_user (or ansible_user)`, { keyPath: 'kubectl_user' });
  }
  return user;
}
