/**
 * Role `k3s-reset`: uninstalls K3s from the selected hosts with K3s's own uninstall scripts
 * (k3s-uninstall.sh on servers, k3s-agent-uninstall.sh on agents) and removes the installer
 * copy the K3s roles keep. When only some hosts go, each is also deleted from the cluster on a
 * server that stays; when every server goes, the cluster's context leaves the controller's
 * kubeconfig (other contexts untouched).
 *
 *   capstan run playbooks/reset.ts -i hosts.yml -e confirm_reset=yes                      # the whole cluster
 *   capstan run playbooks/reset.ts -i hosts.yml -e confirm_reset=yes --limit agent3      # one agent
 *
 * Refused before any connection: without `confirm_reset=yes`, and when the servers left would
 * be too few for etcd quorum (unless `reset_allow_quorum_loss=true`).
 */
import { INSTALLER_PATH, k3sDataDirAlias } from '@capstan/k3s-server';
import { ConfigError, copy, deferred, defineRole, file, knownAfterApply, Secret, slurp, stat, type Step, type StepContext } from 'capstan';
import { homedir } from 'node:os';
import { forgetCluster } from './kubeconfig.ts';
import { k3sObserve } from './modules/observe.ts';
import { k3sDeleteNode, k3sUninstall } from './modules/uninstall.ts';
import { quorumRefusal, wholeCluster } from './quorum.ts';
import { resetVars, type ResetVars } from './vars.ts';

function expandHome(p: string): string {
  return p === '~' || p.startsWith('~/') ? `${homedir()}${p.slice(1)}` : p;
}

/** On the controller, once: the context, cluster and user named `context` leave the kubeconfig at `dest`. */
function forgetKubeconfigSteps(dest: string, context: string): Step[] {
  const local = expandHome(dest);
  const first = (c: StepContext) => c.host === c.playHosts[0];
  const onController = { delegateTo: 'localhost', become: false } as const;
  const there = stat({ path: local }, { name: `controller: is there a kubeconfig at ${dest}`, ...onController, when: first });
  const current = slurp({ path: local, secret: true }, { name: `controller: read ${dest}`, ...onController, when: (c) => first(c) && c.result(there)?.data?.exists === true });
  const forgotten = (c: StepContext) => {
    const text = c.result(current)?.data?.text;
    return typeof text === 'string' ? forgetCluster(text, context) : undefined;
  };
  return [
    there,
    current,
    copy({ dest: local, mode: '0600', content: deferred((c: StepContext) => {
      const f = forgotten(c);
      return f?.text ? new Secret(f.text, 'kubeconfig') : knownAfterApply(`the content of ${dest}`);
    }, 'kubeconfig') }, { name: `controller: context ${context} leaves ${dest}`, ...onController, when: (c) => first(c) && forgotten(c)?.removed === true && forgotten(c)?.text !== null }),
    file({ path: local, state: 'absent' }, { name: `controller: ${dest} held only context ${context}`, ...onController, when: (c) => first(c) && forgotten(c)?.removed === true && forgotten(c)?.text === null }),
  ];
}

function refuseQuorumLoss(v: ResetVars, servers: readonly string[], selected: readonly string[]): void {
  const refusal = quorumRefusal(servers, selected);
  if (!refusal || v.reset_allow_quorum_loss) return;
  throw new ConfigError(`reset refused: ${refusal}`, { hint: 'reset every server (the whole cluster) or fewer of them, or pass -e reset_allow_quorum_loss=true if losing quorum is intended' });
}

export const k3sReset = defineRole({
  name: 'k3s-reset',
  description: 'uninstall K3s with its own scripts (explicit confirmation; etcd quorum kept unless told)',
  vars: resetVars,
  aliases: [k3sDataDirAlias],
  steps: (v, ctx) => {
    const servers = ctx.groupHosts(v.servers_group);
    refuseQuorumLoss(v, servers, ctx.playHosts);
    const whole = wholeCluster(servers, ctx.playHosts);
    const survivor = servers.find((s) => !ctx.playHosts.includes(s));
    const unit = servers.includes(ctx.host) ? 'k3s' : 'k3s-agent';
    const observe = k3sObserve({ unit, data_dir: v.k3s_data_dir }, { name: 'K3s on this host' });
    const node = deferred((c: StepContext) => v.node_name ?? (c.result(observe)?.data?.hostname || knownAfterApply('the node name')), 'node name');
    return [
      observe,
      k3sUninstall({ data_dir: v.k3s_data_dir }, { name: 'uninstall K3s with its own script' }),
      ...(!whole && survivor ? [k3sDeleteNode({ node }, { name: `remove the node from the cluster (kubectl on ${survivor})`, delegateTo: survivor })] : []),
      file({ path: INSTALLER_PATH, state: 'absent' }, { name: 'K3s installer copy' }),
      ...(whole && v.fetch_kubeconfig !== false ? forgetKubeconfigSteps(v.fetch_kubeconfig.dest, v.fetch_kubeconfig.context) : []),
    ];
  },
});
