/**
 * Roles `k3s-upgrade-plan` and `k3s-upgrade`: a rolling K3s upgrade as K3s documents it,
 * servers first one at a time, then agents, each on the new binary (the installer with
 * INSTALL_K3S_VERSION, or the air-gap directory's binary), restarted, and Ready at the new
 * version before the next; a server that runs embedded etcd must also be an etcd member again.
 * Optionally each node is drained first and uncordoned when Ready. Configuration is left as it is.
 *
 *   definePlaybook({ plays: [
 *     { name: 'plan', hosts: 'server:agent', become: true, roles: [k3sUpgradePlanRole.use()] },
 *     { name: 'servers', hosts: 'server', become: true, serial: 1, anyErrorsFatal: true, roles: [k3sUpgrade.use()] },
 *     { name: 'agents', hosts: 'agent', become: true, serial: (v) => agentBatchVar.parse(v.upgrade_agent_batch), roles: [k3sUpgrade.use()] },
 *   ] });
 *
 * The plan role reads every host's installed version before anything changes and refuses
 * the whole upgrade (every host fails, nothing changes) on a downgrade, a skipped minor version
 * or a host without K3s. Under --check the plan (hosts, versions, order) is its step's reason.
 */
import { etcdMemberWait } from '@capstan/etcd-migrate';
import { imageArchives, INSTALLER_PATH, K3S_BIN, k3sDataDirAlias, k3sPaths, k3sReady, k3sRestart } from '@capstan/k3s-server';
import { ConfigError, copy, deferred, defineRole, file, knownAfterApply, loop, type RoleContext, type Step, type StepContext } from 'capstan';
import { join } from 'node:path';
import type { K3sRunState } from './facts.ts';
import { k3sDrain, k3sUncordon } from './modules/drain.ts';
import { k3sUpgradeInstall } from './modules/install.ts';
import { k3sObserve } from './modules/observe.ts';
import { k3sUpgradePlan } from './modules/plan.ts';
import { k3sServersFirst } from './modules/servers-first.ts';
import { needsUpgrade, type HostVersion } from './plan.ts';
import { upgradeVars, type UpgradeVars } from './vars.ts';

interface Place {
  role: 'server' | 'agent';
  unit: 'k3s' | 'k3s-agent';
  servers: readonly string[];
  first: string;
}

function placeOf(v: UpgradeVars, ctx: RoleContext): Place {
  const servers = ctx.groupHosts(v.servers_group);
  const first = servers[0];
  if (!first) throw new ConfigError(`the upgrade needs the servers: inventory group "${v.servers_group}" (servers_group) has no hosts`);
  const role = servers.includes(ctx.host) ? 'server' : 'agent';
  return { role, unit: role === 'server' ? 'k3s' : 'k3s-agent', servers, first };
}

function hostVersion(host: string, role: Place['role'], d: K3sRunState): HostVersion {
  return { host, role, installed: d.installed, restartPending: d.restartPending };
}

export const k3sUpgradePlanRole = defineRole({
  name: 'k3s-upgrade-plan',
  description: 'every host\'s installed K3s version and the upgrade order, refused as a whole on a downgrade (read-only)',
  vars: upgradeVars,
  aliases: [k3sDataDirAlias],
  steps: (v, ctx) => {
    const { unit, servers } = placeOf(v, ctx);
    const observe = k3sObserve({ unit, version: v.k3s_version, data_dir: v.k3s_data_dir }, { name: 'installed K3s version' });
    const hosts = deferred((c: StepContext) => c.playHosts.flatMap((h) => {
      const d = c.result(observe, h)?.data;
      return d ? [hostVersion(h, servers.includes(h) ? 'server' : 'agent', d)] : [];
    }), 'installed versions');
    return [observe, k3sUpgradePlan({ hosts, version: v.k3s_version, agentBatch: v.upgrade_agent_batch }, { name: `upgrade plan to ${v.k3s_version}`, runOnce: true })];
  },
});

/** The air-gap directory's installer, image archives (before the binary, as K3s needs them at start) and binary. */
function airgapArtifacts(dir: string, dataDir: string): { steps: Step[]; binary: Step } {
  const imagesDir = k3sPaths(dataDir).images;
  const binary = copy({ dest: K3S_BIN, src: join(dir, 'k3s'), mode: '0755' }, { name: 'air-gap: new K3s binary' });
  const images = imageArchives(dir);
  return {
    binary,
    steps: [
      copy({ dest: INSTALLER_PATH, src: join(dir, 'install.sh'), mode: '0755' }, { name: 'air-gap: K3s installer' }),
      file({ path: imagesDir, state: 'directory', mode: '0755' }, { name: 'air-gap: image directory' }),
      ...(images.length ? [loop(images, (f) => copy({ dest: `${imagesDir}/${f}`, src: join(dir, f), mode: '0644' }), { name: 'air-gap: image archives', label: (f) => f })] : []),
      binary,
    ],
  };
}

export const k3sUpgrade = defineRole({
  name: 'k3s-upgrade',
  description: 'rolling K3s upgrade of one host: new binary, restart, Ready at the new version (and etcd member), optional drain',
  vars: upgradeVars,
  aliases: [k3sDataDirAlias],
  steps: (v, ctx) => {
    const p = placeOf(v, ctx);
    const observe = k3sObserve({ unit: p.unit, version: v.k3s_version, data_dir: v.k3s_data_dir }, { name: 'installed K3s version' });
    const seen = (c: StepContext) => c.result(observe)?.data;
    const needed = (c: StepContext) => {
      const d = seen(c);
      return d ? needsUpgrade(hostVersion(c.host, p.role, d), v.k3s_version) : false;
    };
    const node = deferred((c: StepContext) => v.node_name ?? (seen(c)?.hostname || knownAfterApply('the node name')), 'node name');
    const kubectlOn = { delegateTo: p.first };
    const airgap = v.airgap_dir ? airgapArtifacts(v.airgap_dir, v.k3s_data_dir) : undefined;
    const drain = v.upgrade_drain
      ? k3sDrain({ node, needed: deferred(needed, 'upgrade needed'), timeoutS: v.drain_timeout_s }, { name: `drain the node (kubectl on ${p.first})`, ...kubectlOn })
      : undefined;
    const restart = k3sRestart({ unit: p.unit }, {
      name: `restart ${p.unit} onto ${v.k3s_version}`,
      when: (c) => needed(c) || (airgap !== undefined && c.result(airgap.binary)?.changed === true),
    });
    const after = deferred((c: StepContext) => (c.check && c.result(restart)?.changed ? knownAfterApply(`the node once ${p.unit} restarted`) : v.node_name ?? (seen(c)?.hostname || knownAfterApply('the node name'))), 'node name');
    return [
      observe,
      k3sUpgradePlan({ hosts: deferred((c: StepContext) => { const d = seen(c); return d ? [hostVersion(c.host, p.role, d)] : []; }, 'installed version'), version: v.k3s_version, agentBatch: v.upgrade_agent_batch },
        { name: 'refuse a downgrade or a skipped minor version' }),
      ...(p.role === 'agent' ? [k3sServersFirst({ version: v.k3s_version, check: deferred((c: StepContext) => c.check, 'check mode') }, {
        name: `servers first: every server Ready at ${v.k3s_version} (kubectl on ${p.first})`, ...kubectlOn, when: needed,
      })] : []),
      ...(drain ? [drain] : []),
      ...(airgap
        ? airgap.steps
        : [k3sUpgradeInstall({
          unit: p.unit, exec: p.role, version: v.k3s_version, from: deferred((c: StepContext) => seen(c)?.installed ?? null, 'installed version'),
          installScriptUrl: v.install_script_url, extraEnv: v.extra_install_envs,
        }, { name: `K3s ${v.k3s_version} through the installer` })]),
      restart,
      k3sReady({ node: after, version: v.k3s_version, apiserver: p.role === 'server', timeoutS: v.ready_timeout_s },
        p.role === 'server' ? { name: `Ready at ${v.k3s_version}` } : { name: `Ready at ${v.k3s_version} (kubectl on ${p.first})`, ...kubectlOn }),
      ...(p.role === 'server'
        ? [etcdMemberWait({ node: after, expected: p.servers.length, timeoutS: v.ready_timeout_s }, { name: `etcd member and Ready (kubectl on ${p.first})`, ...kubectlOn, when: (c) => seen(c)?.etcd === true })]
        : []),
      ...(drain ? [k3sUncordon({ node, drained: deferred((c: StepContext) => c.result(drain)?.changed === true, 'drained') }, { name: `uncordon the node (kubectl on ${p.first})`, ...kubectlOn })] : []),
    ];
  },
});
