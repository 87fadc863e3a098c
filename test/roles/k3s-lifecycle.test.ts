import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import {
  forgetCluster, k3sPathsOnHost, k3sDrain, k3sServersFirst, k3sUncordon, k3sUninstall, k3sUpgradeInstall, k3sUpgradePlan, parseNodeSchedule, parseRunState, quorumRefusal,
  upgradePlan, upgradeRefusals, wholeCluster, type HostVersion,
} from '@capstan/k3s-lifecycle';
import { mergeKubeconfig, rewriteKubeconfig } from '@capstan/k3s-server';
import { parse } from 'yaml';
import { renderScript } from '../../src/commands/command.ts';
import { ConfigError, runPlaybook, validatePlaybook, type Plan } from '../../src/index.ts';
import { loadInventoryView } from '../../src/inventory/view.ts';
import reset from '../../playbooks/reset.ts';
import upgrade from '../../playbooks/upgrade.ts';

function plan(module: { definition: unknown }, args: unknown, facts: Record<string, unknown> = {}): Plan {
  const def = module.definition as { args: { parse(a: unknown): unknown }; plan(a: unknown, f: unknown): Plan };
  return def.plan(def.args.parse(args), facts);
}
/** The scripts a plan runs, without the group the renderer wraps each in. */
const scripts = (p: Plan) => p.changes.flatMap((c) => c.actions.flatMap((a) => (a.kind === 'exec' ? [renderScript(a.command).replace(/^\{ ([\s\S]*)\n\}$/, '$1')] : [])));

const V1 = 'v1.32.11+k3s3';
const V2 = 'v1.32.12+k3s1';
const at = (host: string, role: HostVersion['role'], installed: string | null, restartPending = false): HostVersion => ({ host, role, installed, restartPending });

describe('upgrade plan: order, versions, refusals', () => {
  const cluster = [at('server1', 'server', V1), at('server2', 'server', V1), at('server3', 'server', V2), at('agent1', 'agent', V1), at('agent2', 'agent', V1), at('agent3', 'agent', V1)];

  it('servers one at a time, then agents in batches; hosts already there are named last', () => {
    assert.deepEqual(upgradePlan(cluster, V2, 2), [
      `1. server1 (server) ${V1} → ${V2}`,
      `2. server2 (server) ${V1} → ${V2}`,
      `3. agents agent1 ${V1} → ${V2}, agent2 ${V1} → ${V2}`,
      `4. agents agent3 ${V1} → ${V2}`,
      `already at ${V2}: server3`,
    ]);
  });

  it('a host whose service still runs the old binary is restarted onto the installed one', () => {
    assert.deepEqual(upgradePlan([at('server1', 'server', V2, true)], V2, 5), [`1. server1 (server) ${V2} (restart onto the installed binary)`]);
  });

  it('refuses a downgrade, a skipped minor version and a host without K3s, naming each', () => {
    assert.deepEqual(upgradeRefusals(cluster, V2), []);
    assert.deepEqual(upgradeRefusals([at('server1', 'server', V2), at('agent1', 'agent', null)], V1), [
      `server1: refusing to downgrade K3s from ${V2} to ${V1} (K3s supports upgrades only)`,
      'agent1: K3s is not installed (install it with the stage playbooks first)',
    ]);
    assert.match(upgradeRefusals([at('server1', 'server', V1)], 'v1.34.1+k3s1')[0] ?? '', /skips a Kubernetes minor version: upgrade to a v1\.33 release first/);
    assert.deepEqual(upgradeRefusals([at('server1', 'server', V1)], 'v1.33.1+k3s1'), []);
  });

  it('the plan step fails the whole run on a refusal and otherwise reports the plan without changing anything', () => {
    const refused = plan(k3sUpgradePlan, { hosts: [at('server1', 'server', V2)], version: V1, agentBatch: 5 });
    assert.match(refused.error ?? '', /upgrade to v1\.32\.11\+k3s3 refused before any host changed: server1: refusing to downgrade/);
    const ok = plan(k3sUpgradePlan, { hosts: cluster, version: V2, agentBatch: 5 });
    assert.equal(ok.changes.length, 0);
    assert.match(ok.noop ?? '', /^upgrade to v1\.32\.12\+k3s1, servers one at a time, then agents in batches of 5\n1\. server1/);
  });
});

describe('upgrade modules', () => {
  it('the installer runs only for another version, keeps the unit and env file, and never starts the service', () => {
    assert.match(plan(k3sUpgradeInstall, { unit: 'k3s', exec: 'server', version: V2, from: V2 }).noop ?? '', /already v1\.32\.12/);
    const p = plan(k3sUpgradeInstall, { unit: 'k3s-agent', exec: 'agent', version: V2, from: V1 });
    assert.equal(p.changes[0]?.summary, `run the K3s installer: ${V1} → ${V2} (k3s-agent.service and its env file kept as they are)`);
    const [script] = scripts(p);
    for (const s of [`INSTALL_K3S_VERSION=${V2}`, 'INSTALL_K3S_SKIP_START=true', 'INSTALL_K3S_SKIP_ENABLE=true', 'INSTALL_K3S_EXEC=agent', 'u=/etc/systemd/system/k3s-agent.service;', 'cp -p "$u" "$u.capstan-upgrade"', 'mv -f "$u.capstan-upgrade" "$u"']) assert.ok(script?.includes(s), `${s} in ${script}`);
  });

  it('drain: only a node that is upgraded, with the upgrade label first and without --force', () => {
    const node = { exists: true, unschedulable: false, drainedForUpgrade: false };
    assert.match(plan(k3sDrain, { node: 'agent1', needed: false, timeoutS: 60 }, { n: node }).noop ?? '', /needs no upgrade/);
    const [script] = scripts(plan(k3sDrain, { node: 'agent1', needed: true, timeoutS: 60 }, { n: node }));
    assert.match(script ?? '', /kubectl label node agent1 capstan\.io\/upgrade-drained=true --overwrite && .*kubectl drain agent1 --ignore-daemonsets --delete-emptydir-data --timeout=60s$/);
    assert.ok(!script?.includes('--force'));
    assert.match(plan(k3sDrain, { node: 'agent1', needed: true, timeoutS: 60 }, { n: { exists: true, unschedulable: true, drainedForUpgrade: true } }).noop ?? '', /already drained/);
  });

  it('uncordon: a node this run or an interrupted one drained; a node cordoned by someone else stays cordoned', () => {
    assert.match(scripts(plan(k3sUncordon, { node: 'agent1', drained: false }, { n: { exists: true, unschedulable: true, drainedForUpgrade: true } }))[0] ?? '', /uncordon agent1 && .*label node agent1 capstan\.io\/upgrade-drained-$/);
    assert.match(plan(k3sUncordon, { node: 'agent1', drained: false }, { n: { exists: true, unschedulable: true, drainedForUpgrade: false } }).noop ?? '', /was not drained for an upgrade/);
  });

  it('servers first: an agent waits for every server Ready at the version; under --check that is known after apply', () => {
    const node = (name: string, version: string, controlPlane = true) => ({ name, ready: true, etcd: controlPlane, controlPlane, version });
    const nodes = [node('server1', V2), node('server2', V1), node('agent1', V1, false)];
    assert.match(plan(k3sServersFirst, { version: V2, check: false }, { nodes }).error ?? '', /agents are upgraded after the servers, and server2 \(v1\.32\.11\+k3s3\) is not Ready at v1\.32\.12\+k3s1 yet/);
    assert.equal(plan(k3sServersFirst, { version: V2, check: true }, { nodes }).changes[0]?.unpredictable, 'the servers\' versions once they are upgraded (known after apply)');
    assert.match(plan(k3sServersFirst, { version: V2, check: false }, { nodes: [node('server1', V2), node('agent1', V1, false)] }).noop ?? '', /every server is Ready/);
    assert.match(plan(k3sServersFirst, { version: V2, check: false }, { nodes: null }).error ?? '', /API does not answer/);
  });

  it('facts: a binary newer than the running service, or a stopped service, is a pending restart', () => {
    const out = (changed: number, started: number, active = 'active') => `version=k3s version ${V2} (abc)\nchanged=${changed}\nunit=yes\nactive=${active}\nstarted=${started}\netcd=yes\nhostname=server1\n`;
    assert.deepEqual(parseRunState(out(100, 200)), { installed: V2, unitFile: true, active: true, restartPending: false, etcd: true, hostname: 'server1' });
    assert.equal(parseRunState(out(300, 200)).restartPending, true);
    assert.equal(parseRunState(out(100, 0, 'inactive')).restartPending, true);
    assert.equal(parseRunState('version=\nchanged=0\nunit=no\nactive=inactive\nstarted=0\netcd=no\nhostname=h\n').restartPending, false);
    assert.deepEqual(parseNodeSchedule('absent'), { exists: false, unschedulable: false, drainedForUpgrade: false });
    assert.deepEqual(parseNodeSchedule(JSON.stringify({ spec: { unschedulable: true }, metadata: { labels: { 'capstan.io/upgrade-drained': 'true' } } })), { exists: true, unschedulable: true, drainedForUpgrade: true });
  });
});

describe('reset pieces', () => {
  it('quorum: a subset leaving fewer than a majority of the etcd members is refused; the whole cluster or a minority is not', () => {
    const s = ['server1', 'server2', 'server3'];
    assert.equal(quorumRefusal(s, ['server2']), undefined);
    assert.equal(quorumRefusal(s, s), undefined);
    assert.equal(quorumRefusal(['server1'], ['server1']), undefined);
    assert.equal(quorumRefusal(s, ['agent1']), undefined);
    assert.equal(quorumRefusal(s, ['server2', 'server3']), 'resetting server2, server3 leaves 1 of the 3 etcd members (server1, server2, server3); the cluster needs 2 to keep quorum and would stop accepting writes');
    assert.match(quorumRefusal(['a', 'b'], ['b']) ?? '', /leaves 1 of the 2 etcd members/);
    assert.equal(wholeCluster(s, [...s, 'agent1']), true);
    assert.equal(wholeCluster(s, ['server1']), false);
  });

  it('uninstall: K3s\'s own scripts, agent first; nothing installed is nothing to do; leftovers without a script are refused', () => {
    const both = plan(k3sUninstall, {}, { st: { scripts: ['/usr/local/bin/k3s-agent-uninstall.sh', '/usr/local/bin/k3s-uninstall.sh'], leftovers: ['/var/lib/rancher/k3s'] } });
    assert.deepEqual(scripts(both), ['/usr/local/bin/k3s-agent-uninstall.sh && /usr/local/bin/k3s-uninstall.sh']);
    assert.match(plan(k3sUninstall, {}, { st: { scripts: [], leftovers: [] } }).noop ?? '', /not installed/);
    assert.match(plan(k3sUninstall, {}, { st: { scripts: [], leftovers: ['/etc/rancher/k3s'] } }).error ?? '', /K3s files remain \(\/etc\/rancher\/k3s\) but neither k3s-uninstall\.sh/);
  });

  it('uninstall with a data directory of its own (k3s_data_dir): what K3s writes there goes after the scripts, the directory only if that empties it', () => {
    const st = { scripts: ['/usr/local/bin/k3s-uninstall.sh'], leftovers: ['/srv/k3s'] };
    const custom = plan(k3sUninstall, { data_dir: '/srv/k3s' }, { st });
    assert.deepEqual(scripts(custom), ['/usr/local/bin/k3s-uninstall.sh && d=/srv/k3s; rm -rf -- "$d/agent" "$d/data" "$d/server" "$d/storage"; rmdir -- "$d" 2>/dev/null || true']);
    assert.match(custom.changes[0]?.summary ?? '', /then remove K3s's data under \/srv\/k3s/);
    assert.deepEqual(scripts(plan(k3sUninstall, {}, { st })), ['/usr/local/bin/k3s-uninstall.sh'], 'the default directory is the scripts\' own');
    assert.deepEqual(k3sPathsOnHost('/srv/k3s').filter((p) => p.includes('k3s') && !p.includes('/bin/') && !p.endsWith('.service')), ['/etc/rancher/k3s', '/var/lib/rancher/k3s', '/srv/k3s']);
  });

  it('kubeconfig: only the cluster\'s context, cluster and user leave; the file goes when nothing else was in it', () => {
    const k3s = "apiVersion: v1\nclusters:\n- cluster:\n    server: https://127.0.0.1:6443\n  name: default\ncontexts:\n- context:\n    cluster: default\n    user: default\n  name: default\ncurrent-context: default\nkind: Config\nusers:\n- name: default\n  user:\n    token: t\n";
    const ours = rewriteKubeconfig(k3s, { server: 'https://10.0.0.5:6443', name: 'lab' });
    const other = 'apiVersion: v1\nkind: Config\nclusters:\n- name: prod\n  cluster: {server: "https://prod:6443"}\nusers:\n- name: prod\n  user: {token: p}\ncontexts:\n- name: prod\n  context: {cluster: prod, user: prod}\ncurrent-context: prod\npreferences: {}\n';
    const merged = mergeKubeconfig(other, ours, 'lab');
    const f = forgetCluster(merged, 'lab');
    assert.equal(f.removed, true);
    const cfg = parse(f.text ?? '') as Record<string, unknown>;
    assert.deepEqual(cfg, { apiVersion: 'v1', kind: 'Config', clusters: [{ name: 'prod', cluster: { server: 'https://prod:6443' } }], users: [{ name: 'prod', user: { token: 'p' } }], contexts: [{ name: 'prod', context: { cluster: 'prod', user: 'prod' } }], preferences: {} });
    assert.deepEqual(forgetCluster(mergeKubeconfig(undefined, ours, 'lab'), 'lab'), { text: null, removed: true });
    assert.deepEqual(forgetCluster(other, 'lab'), { text: other, removed: false });
  });
});

const inventory = fileURLToPath(new URL('../../inventory/k3s-ha/hosts.yml', import.meta.url));
const view = await loadInventoryView([inventory]);
const opts = (extraVars: Record<string, unknown> = {}, limit?: string) => ({ extraVars, tags: [], skipTags: [], ...(limit ? { limit } : {}) });

describe('reset and upgrade playbooks refuse before any connection', () => {
  it('reset without confirm_reset=yes: a validation error naming the key, and no host contacted', async () => {
    let connections = 0;
    const factory = (() => ({ connect: async () => { connections++; throw new Error('must not connect'); }, close: async () => undefined })) as never;
    for (const confirm of [undefined, 'no', 'YES']) {
      await assert.rejects(
        runPlaybook(reset, view, { ...opts(confirm === undefined ? {} : { confirm_reset: confirm }), check: false, diff: false, forks: 5, playbookId: 'reset', connectorFactory: factory }, () => undefined),
        (e: unknown) => e instanceof ConfigError && e.problems.some((p) => p.keyPath === 'confirm_reset' && /confirm_reset must be "yes": a reset uninstalls K3s/.test(p.message)),
      );
    }
    assert.equal(connections, 0);
  });

  it('reset of two of three etcd servers is refused unless reset_allow_quorum_loss; one of three, or everything, is fine', () => {
    assert.throws(() => validatePlaybook(reset, view, opts({ confirm_reset: 'yes' }, 'server2:server3')), (e: unknown) =>
      e instanceof ConfigError && e.problems.some((p) => /reset refused: resetting server2, server3 leaves 1 of the 3 etcd members/.test(p.message) && /reset_allow_quorum_loss=true/.test(p.hint ?? '')));
    assert.deepEqual(validatePlaybook(reset, view, opts({ confirm_reset: 'yes', reset_allow_quorum_loss: 'true' }, 'server2:server3')).allHosts, ['server2', 'server3']);
    assert.deepEqual(validatePlaybook(reset, view, opts({ confirm_reset: 'yes' }, 'server3')).allHosts, ['server3']);
    assert.equal(validatePlaybook(reset, view, opts({ confirm_reset: 'yes' })).allHosts.length, 5);
  });

  it('upgrade: the agents\' batch size comes from upgrade_agent_batch; a bad one is refused', () => {
    const p = validatePlaybook(upgrade, view, opts({ k3s_version: V2, upgrade_agent_batch: '1' }));
    assert.equal(p.plays[2]?.serial, 1);
    assert.equal(validatePlaybook(upgrade, view, opts({ k3s_version: V2 })).plays[2]?.serial, 5);
    assert.throws(() => validatePlaybook(upgrade, view, opts({ k3s_version: V2, upgrade_agent_batch: 'many' })), (e: unknown) => e instanceof ConfigError && e.problems.some((p) => /play "upgrade agents, in batches": serial/.test(p.message)));
  });
});
