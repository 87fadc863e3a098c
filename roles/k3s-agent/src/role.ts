/**
 * Role `k3s-agent`: joins a node to a K3s server. The token comes from the k3s-server play
 * (or a variable); the cluster CA is verified against it before anything is written; the
 * node must then be Ready on the server (checked there, by delegation).
 *
 *   import { k3sServer } from '@capstan/k3s-server';
 *   import { k3sAgent } from '@capstan/k3s-agent';
 *   definePlaybook({ plays: [
 *     { name: 'server', hosts: 'server', become: true, roles: [k3sServer.use()] },
 *     { name: 'agents', hosts: 'agent', become: true, roles: [k3sAgent.use({ node_labels: ['tier=batch'] })] },
 *   ] });
 *
 * Under --check on new hosts the token is "known after apply", never made up.
 */
import {
  airgapSteps, dataDirConfig, k3sAnsibleAgentAliases, k3sInstall, k3sNodeLabels, k3sPaths, k3sReady, k3sRestart, k3sServerToken, k3sService, k3sVersionGuard, nodeNameOf, renderK3sConfig, CONFIG_DIR,
} from '@capstan/k3s-server';
import { copy, deferred, defineRole, file, flushHandlers, KnownAfterApply, knownAfterApply, Secret, type RoleContext, type Step, type StepContext } from 'capstan';
import { k3sCaCheck } from './ca-check.ts';
import { k3sNotAServer } from './host-guard.ts';
import { agentVars, type AgentVars } from './vars.ts';

const RESTART = 'restart k3s-agent';

interface Source {
  server: string | undefined;
  url: string;
  verifyVia: string;
}

function source(v: AgentVars, ctx: RoleContext): Source {
  const server = v.token_from_server ?? ctx.groupHosts('server')[0];
  if (!server && !(v.token && v.server_url && v.verify_via)) {
    throw new Error('k3s-agent needs a server: set token_from_server (or have a `server` group), or all of token, server_url and verify_via');
  }
  const hv = server ? ctx.hostVars(server) : {};
  const address = String(hv.api_endpoint ?? hv.ansible_host ?? server);
  const port = Number(hv.api_port ?? 6443);
  return { server, url: (v.server_url ?? `https://${address}:${port}`).replace(/\/$/, ''), verifyVia: v.verify_via ?? (server as string) };
}

function tokenOf(v: AgentVars, server: string | undefined, ctx: StepContext): Secret | KnownAfterApply {
  if (v.token) return v.token;
  return ctx.result(k3sServerToken, server)?.data?.value ?? knownAfterApply(`the node token of ${server ?? 'the server'}`);
}

export function agentConfigYaml(v: AgentVars, url: string, token: Secret): string {
  return renderK3sConfig({
    server: url,
    token: token.reveal(),
    'node-name': v.node_name,
    'node-label': v.node_labels,
    'node-taint': v.node_taints,
    'data-dir': dataDirConfig(v.k3s_data_dir),
  }, v.extra_config);
}

export const k3sAgent = defineRole({
  name: 'k3s-agent',
  description: 'K3s agent joined to a server with a CA-verified token; air-gap capable; restarts only on change',
  vars: agentVars,
  aliases: k3sAnsibleAgentAliases,
  steps: (v, ctx) => {
    const src = source(v, ctx);
    const token = deferred((c: StepContext) => tokenOf(v, src.server, c), 'join token');
    const airgap = v.airgap_dir ? airgapSteps(v.airgap_dir, RESTART, k3sPaths(v.k3s_data_dir).images) : undefined;
    const config = copy({
      dest: `${CONFIG_DIR}/config.yaml`, mode: '0600',
      content: deferred((c: StepContext) => {
        const t = tokenOf(v, src.server, c);
        return t instanceof KnownAfterApply ? t : new Secret(agentConfigYaml(v, src.url, t), 'k3s agent config.yaml');
      }, 'agent config.yaml'),
    }, { name: 'K3s agent config.yaml', notify: RESTART });
    const install = k3sInstall({
      unit: 'k3s-agent', exec: 'agent', version: v.k3s_version, airgap: Boolean(airgap), installScriptUrl: v.install_script_url,
      extraEnv: v.extra_install_envs, allowDowngrade: v.allow_downgrade,
      binaryChanged: airgap ? deferred((c: StepContext) => c.result(airgap.binary)?.changed === true, 'binary replaced') : false,
    }, { name: 'install K3s agent', notify: RESTART });
    const guard = k3sVersionGuard({ unit: 'k3s-agent', version: v.k3s_version, allowDowngrade: v.allow_downgrade }, { name: 'refuse a K3s downgrade' });
    const changing: Step[] = [config, install, ...(airgap ? [airgap.binary] : [])];
    const node = deferred((c: StepContext) => {
      if (c.check && changing.some((s) => c.result(s)?.changed)) return knownAfterApply('the node status once the agent has (re)started');
      return nodeNameOf(v.node_name, guard, c);
    }, 'node name');
    return [
      k3sNotAServer({}, { name: 'refuse a host that is a K3s server' }),
      guard,
      k3sCaCheck({ serverUrl: src.url, token }, { name: `cluster CA of ${src.url} matches the token` }),
      file({ path: CONFIG_DIR, state: 'directory', mode: '0755' }, { name: 'K3s config directory' }),
      config,
      ...(v.registries_yaml !== undefined
        ? [copy({ dest: `${CONFIG_DIR}/registries.yaml`, content: v.registries_yaml, mode: '0644' }, { name: 'K3s registries.yaml', notify: RESTART })]
        : []),
      ...(airgap?.steps ?? []),
      install,
      flushHandlers(),
      k3sService({ unit: 'k3s-agent' }, { name: 'k3s-agent service enabled and running' }),
      k3sReady({ node, version: v.k3s_version, apiserver: false, timeoutS: v.ready_timeout_s }, { name: `node Ready on ${src.verifyVia}`, delegateTo: src.verifyVia }),
      ...(v.node_labels.length
        ? [k3sNodeLabels({ node, labels: v.node_labels }, { name: `node labels on ${src.verifyVia}`, delegateTo: src.verifyVia })]
        : []),
    ];
  },
  handlers: () => ({ [RESTART]: k3sRestart({ unit: 'k3s-agent' }, { name: RESTART }) }),
});
