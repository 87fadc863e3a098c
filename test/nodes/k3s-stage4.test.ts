import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { INVENTORY_PIPELINE, NO_OFFSITE_BACKUP, parseInventory } from '@capstan/etcd-migrate';
import { etcdMigrate } from '@capstan/etcd-migrate';
import { helmChart, monitoringVars } from '@capstan/helm-monitoring';
import { definePlaybook, Secret } from '../../src/index.ts';
import { connectorFactory } from '../../src/cli/connectors.ts';
import type { Playbook } from '../../src/define/playbook.ts';
import { runPlaybook } from '../../src/engine/run.ts';
import type { Recap, RunEvent } from '../../src/events.ts';
import { loadInventoryView } from '../../src/inventory/view.ts';
import { comparePredictions, diffSnapshots, dockerSkipReason, formatDiff, isEmptyDiff, startNodes, type NodeSet } from '../../src/testing/index.ts';
import stage1 from '../../playbooks/stage1-single-node.ts';
import stage3 from '../../playbooks/stage3-multi-node.ts';
import restore from '../../playbooks/restore-etcd.ts';
import stage4 from '../../playbooks/stage4-ha.ts';
import { buildTestDoubleAirgap } from '../k3s-double/airgap-test-double.ts';
import { waitFor } from '../support/wait.ts';

const skip = await dockerSkipReason();
const V1 = 'v1.32.11+k3s3';
const FAIL_MARKER = '/var/lib/rancher/k3s/test-double-fail-migration';
const LOSE_MARKER = '/var/lib/rancher/k3s/test-double-lose-object';
/** While it exists, the double creates and deletes owned ConfigMaps and Events all the time, as a live cluster's controllers do. */
const CHURN_MARKER = '/var/lib/rancher/k3s/test-double-churn';
const KPS_MANIFEST = '/var/lib/rancher/k3s/server/manifests/monitoring-kube-prometheus-stack.yaml';
/** Files the running K3s test double rewrites by itself (heartbeats, the churning controllers' objects), and logs. */
const MOVING = ['/var/lib/rancher/k3s/server/test-double-nodes.json', '/var/lib/rancher/k3s/server/db/state.db*', '/var/log', '/var/lib/systemd'];

type Step = Extract<RunEvent, { type: 'host.step' }>;
interface Run { recap: Recap; events: RunEvent[]; steps: Step[] }

async function run(set: NodeSet, playbook: Playbook, extraVars: Record<string, unknown>, o: { check?: boolean; limit?: string } = {}): Promise<Run> {
  const inventory = await set.writeInventory(join(set.workDir, 'k3s-stage4-inventory.yml'));
  const events: RunEvent[] = [];
  const recap = await runPlaybook(playbook, await loadInventoryView([inventory]), {
    check: o.check ?? false, diff: false, forks: 20, tags: [], skipTags: [], extraVars, playbookId: 'k3s-stage4', connectorFactory: connectorFactory({}),
    ...(o.limit ? { limit: o.limit } : {}),
  }, (e) => events.push(e));
  return { recap, events, steps: events.filter((e): e is Step => e.type === 'host.step') };
}

const failures = (r: Run) => r.steps.filter((s) => s.result.status === 'failed' || s.result.status === 'unreachable').map((s) => `${s.host}: ${s.step}: ${s.result.msg ?? ''}`).join('\n');
const changed = (r: Run) => r.steps.filter((s) => s.result.status === 'changed').map((s) => `${s.host}: ${s.step}`);

describe('stage 4: SQLite to embedded etcd, three servers, HAProxy (K3s TEST DOUBLE, air-gap path)', { skip }, () => {
  let set: NodeSet | undefined;
  let vars: Record<string, unknown> = {};
  after(async () => set?.destroy());
  const k = (host: string, ...args: string[]) => set!.exec(host, ['/usr/local/bin/k3s', 'kubectl', ...args]);
  const sh = (host: string, script: string) => set!.exec(host, ['sh', '-c', script]);
  const inventoryOf = async (host: string) => (await sh(host, INVENTORY_PIPELINE)).stdout;
  /** What a migration must keep: the objects without an owner, with their UIDs. */
  const keptOf = async (host: string) => parseInventory(await inventoryOf(host)).kept;
  const churned = async (host: string) => (await k(host, 'get', 'configmaps,events', '-n', 'kube-system', '-o', 'name')).stdout.split('\n').filter((l) => l.includes('/churn-'));

  it('stage 1 then stage 3: one SQLite server and an agent, with workloads and secrets in the cluster', async () => {
    set = await startNodes({ groups: { server: 3, agent: 1, loadbalancer: 1 }, withPython: true });
    const airgap = await buildTestDoubleAirgap(join(set.workDir, 'airgap-test-double'), V1);
    vars = { airgap_dir: airgap, k3s_version: V1, fetch_kubeconfig: false, etcd_offsite_backup: NO_OFFSITE_BACKUP };
    // a cluster that started on SQLite: stages 1 and 3 on the first server alone (mode single), before the inventory had three servers
    const s1 = await run(set, stage1, { ...vars, mode: 'single' }, { limit: 'server1' });
    assert.equal(s1.recap.exitCode, 0, failures(s1));
    // from here on the cluster is live: objects come and go while every later step runs
    await sh('server1', `touch ${CHURN_MARKER}`);
    const first = await churned('server1');
    await waitFor('the churning controller to replace its objects', async () => (await churned('server1')).some((o) => !first.includes(o)) && first.length > 0, { timeoutMs: 20_000, intervalMs: 300 });
    const s3 = await run(set, stage3, { ...vars, mode: 'single' }, { limit: 'server1:agent1' });
    assert.equal(s3.recap.exitCode, 0, failures(s3));
    for (const cmd of [['create', 'namespace', 'shop'], ['create', 'deployment', 'web', '-n', 'shop', '--image=nginx'], ['create', 'configmap', 'web-config', '-n', 'shop', '--from-literal=a=b'],
      ['create', 'secret', 'generic', 'db-password', '-n', 'shop', '--from-literal=password=x']]) {
      const r = await k('server1', ...cmd);
      assert.equal(r.exitCode, 0, r.stderr);
    }
    assert.equal((await sh('server1', 'test -f /var/lib/rancher/k3s/server/db/state.db && echo sqlite')).stdout.trim(), 'sqlite');
    assert.match(await inventoryOf('server1'), /^Secret\/shop\/db-password [0-9a-f-]{36} \d+ -$/m);
  });

  it('a migration failing midway is rolled back: SQLite data, token and config are back, k3s runs, the run fails saying so', async () => {
    assert.ok(set);
    const before = await keptOf('server1');
    const token = (await sh('server1', 'cat /var/lib/rancher/k3s/server/token')).stdout;
    const config = (await sh('server1', 'cat /etc/rancher/k3s/config.yaml')).stdout;
    await sh('server1', `touch ${FAIL_MARKER}`);
    const migrateOnly = definePlaybook({ name: 'etcd-migrate only', plays: [{ name: 'convert', hosts: 'server', become: true, anyErrorsFatal: true, roles: [etcdMigrate.use()] }] });
    const r = await run(set, migrateOnly, { ...vars, convert_timeout_s: 60, fetch_backup_to: join(set.workDir, 'backups') });
    assert.notEqual(r.recap.exitCode, 0);
    const convert = r.steps.find((s) => s.host === 'server1' && s.step === 'convert to embedded etcd (cluster-init)');
    assert.equal(convert?.result.status, 'failed');
    assert.match(convert?.result.msg ?? '', /K3s runs on etcd but state\.db was not migrated/);
    const outcome = r.steps.find((s) => s.host === 'server1' && s.step === 'verify the conversion (or roll back to SQLite)');
    assert.equal(outcome?.result.status, 'failed');
    assert.match(outcome?.result.msg ?? '', /conversion to etcd failed: the conversion step failed; state\.db is still in place.*Rolled back: server\/db, the token and config\.yaml restored.*every object without an owner .* is back with its UID/s);
    const files = await sh('server1', 'cd /var/lib/rancher/k3s/server/db && ls -d state.db etcd state.db.migrated 2>/dev/null; ls -d ../db.failed-etcd-* | wc -l');
    assert.deepEqual(files.stdout.trim().split('\n'), ['state.db', '1']);
    assert.equal((await sh('server1', 'systemctl is-active k3s')).stdout.trim(), 'active');
    assert.deepEqual(await keptOf('server1'), before);
    assert.equal((await sh('server1', 'cat /var/lib/rancher/k3s/server/token')).stdout, token);
    assert.equal((await sh('server1', 'cat /etc/rancher/k3s/config.yaml')).stdout, config);
    for (const h of ['server2', 'server3']) assert.equal((await sh(h, 'test -e /usr/local/bin/k3s && echo installed || echo absent')).stdout.trim(), 'absent');
    await sh('server1', `rm -f ${FAIL_MARKER}`);
  });

  it('a migration that loses one pre-existing object is rolled back, naming it, even on a churning cluster', async () => {
    assert.ok(set);
    const before = await keptOf('server1');
    const lost = before.find((l) => l.startsWith('Secret/shop/db-password '));
    assert.ok(lost, 'the secret is in the inventory');
    await sh('server1', `echo Secret/shop/db-password > ${LOSE_MARKER}`);
    const migrateOnly = definePlaybook({ name: 'etcd-migrate only', plays: [{ name: 'convert', hosts: 'server', become: true, anyErrorsFatal: true, roles: [etcdMigrate.use()] }] });
    const r = await run(set, migrateOnly, { ...vars, convert_timeout_s: 60, fetch_backup_to: join(set.workDir, 'backups') });
    await sh('server1', `rm -f ${LOSE_MARKER}`);
    assert.notEqual(r.recap.exitCode, 0);
    assert.equal(r.steps.find((s) => s.host === 'server1' && s.step === 'convert to embedded etcd (cluster-init)')?.result.status, 'changed', 'the conversion itself reported success');
    const outcome = r.steps.find((s) => s.host === 'server1' && s.step === 'verify the conversion (or roll back to SQLite)');
    assert.equal(outcome?.result.status, 'failed');
    assert.match(outcome?.result.msg ?? '', new RegExp(`conversion to etcd failed: 1 object that existed before is gone: Secret/shop/db-password \\(uid ${lost.split(' ')[1]}\\)\\. Rolled back`));
    assert.equal((await sh('server1', 'ls /var/lib/rancher/k3s/server/db | grep -c ^state.db$; systemctl is-active k3s')).stdout, '1\nactive\n');
    assert.deepEqual(await keptOf('server1'), before, 'the secret is back, same UID');
  });

  it('stage 4: check predicts and changes nothing; apply converts, joins and fronts the API with HAProxy; again: zero changes', async () => {
    assert.ok(set);
    const nodes = set;
    const before = await keptOf('server1');
    const lb = nodes.node('loadbalancer1').address;
    // as if stage 2 had run against the single-server inventory: kube-prometheus-stack without etcd
    const kps = helmChart(monitoringVars.parse({ grafana: { admin_password: new Secret('x') }, etcd_endpoints: [] }), 'kps').text;
    assert.match(kps, /kubeEtcd:\n\s+enabled: false/);
    assert.equal((await nodes.exec('server1', ['sh', '-c', `mkdir -p /var/lib/rancher/k3s/server/manifests && cat > ${KPS_MANIFEST} && chmod 0600 ${KPS_MANIFEST}`], { stdin: kps })).exitCode, 0);
    const v4 = { ...vars, fetch_kubeconfig: { dest: join(nodes.workDir, 'kubeconfig-via-lb.yaml'), context: 'ha' }, fetch_backup_to: join(nodes.workDir, 'backups') };
    const names = nodes.nodes.map((n) => n.name);
    const snap = () => Promise.all(names.map((n) => nodes.snapshotFs(n, { exclude: MOVING })));
    const fsBefore = await snap();
    const check = await run(nodes, stage4, v4, { check: true });
    assert.equal(check.recap.exitCode, 0, failures(check));
    const fsAfter = await snap();
    names.forEach((n, i) => {
      const d = diffSnapshots(fsBefore[i]!, fsAfter[i]!);
      assert.ok(isEmptyDiff(d), `check changed ${n}:\n${formatDiff(d)}`);
    });
    const gates = check.steps.find((s) => s.host === 'server1' && s.step.startsWith('gates:'));
    assert.equal(gates?.result.status, 'ok');
    assert.match(gates?.result.reason ?? '', /all gates pass[\s\S]*odd server count: 3 servers/);
    assert.ok(check.steps.some((s) => s.host === 'server1' && s.step.startsWith('pre-migration backup') && s.result.status === 'changed'), 'check predicts the backup');

    const apply = await run(nodes, stage4, v4);
    assert.equal(apply.recap.exitCode, 0, failures(apply));
    assert.deepEqual(comparePredictions(check.events, apply.events), []);

    const again = await run(nodes, stage4, v4);
    assert.equal(again.recap.exitCode, 0, failures(again));
    assert.deepEqual(changed(again), []);
    const checkAgain = await run(nodes, stage4, v4, { check: true });
    assert.deepEqual(changed(checkAgain), []);

    const db = await sh('server1', 'cd /var/lib/rancher/k3s/server/db && ls -d state.db etcd state.db.migrated 2>/dev/null');
    assert.deepEqual(db.stdout.trim().split('\n'), ['etcd', 'state.db.migrated']);
    assert.equal((await k('server1', 'get', 'nodes', '-l', 'node-role.kubernetes.io/etcd=true', '-o', 'name')).stdout.trim(), 'node/server1\nnode/server2\nnode/server3');
    assert.deepEqual(await keptOf('server1'), before, 'every object without an owner is kept, same UID');
    assert.deepEqual(await keptOf('server3'), before, 'a joined server sees the same objects');
    const verify = apply.steps.find((s) => s.host === 'server1' && s.step === 'verify the conversion (or roll back to SQLite)');
    assert.equal(verify?.result.status, 'ok', 'kept while objects came and went');
    assert.ok((await churned('server1')).length > 0, 'the cluster churned through the migration');
    const servers = ['server1', 'server2', 'server3'].map((h) => nodes.node(h).address);
    assert.match((await sh('server1', `cat ${KPS_MANIFEST}`)).stdout, new RegExp(`kubeEtcd:\\n\\s+enabled: true\\n\\s+endpoints:\\n${servers.map((a) => `\\s+- ${a.replace(/\./g, '\\.')}\\n`).join('')}`), 'stage 2 now scrapes etcd on every server');
    assert.ok(apply.steps.some((s) => s.host === 'server1' && s.step.startsWith('monitoring stack') && s.result.status === 'changed'));
    assert.match((await sh('server1', '/usr/local/bin/k3s etcd-snapshot ls')).stdout, /^post-migration-server1-\d+ +file:\/\/\/var\/lib\/rancher\/k3s\/server\/db\/snapshots\//m);
    assert.match((await sh('server1', 'cat /etc/rancher/k3s/config.yaml')).stdout, new RegExp(`cluster-init: true[\\s\\S]*etcd-snapshot-retention: 5[\\s\\S]*tls-san:\\n(  - .*\\n)*  - ${lb.replace(/\./g, '\\.')}\\n`));
    assert.match((await sh('server2', 'cat /etc/rancher/k3s/config.yaml')).stdout, /^server: https:\/\/[\d.]+:6443$/m);
    const archive = await stat(join(nodes.workDir, 'backups', 'server1', 'premigration-backup.tar.gz'));
    assert.equal(archive.mode & 0o777, 0o600);
    assert.match((await sh('agent1', 'cat /etc/rancher/k3s/config.yaml')).stdout, new RegExp(`^server: https://${lb.replace(/\./g, '\\.')}:6443$`, 'm'));
    assert.match((await k('server1', 'get', 'nodes')).stdout, /^agent1\s+Ready\s/m);
    const password = (await sh('server1', 'cat /var/lib/rancher/k3s/server/token')).stdout.trim().split(':').at(-1) ?? '';
    assert.ok(password.length >= 16);
    for (const phase of [check, apply, again, checkAgain]) assert.ok(!JSON.stringify(phase.events).includes(password), 'the token never appears in events');
  });

  it('snapshot_copy: a later run only installs the copy timer on each server; the service copies snapshots and the token to the backup host', async () => {
    assert.ok(set);
    const nodes = set;
    const lb = nodes.node('loadbalancer1').address;
    const user = await sh('loadbalancer1', 'useradd -m k3scopy && usermod -p "*" k3scopy && mkdir -p /srv/k3s-snapshots /home/k3scopy/.ssh && chown k3scopy /srv/k3s-snapshots && chmod 0700 /home/k3scopy/.ssh');
    assert.equal(user.exitCode, 0, user.stderr);
    for (const h of ['server1', 'server2', 'server3']) {
      const key = await sh(h, `mkdir -p -m 0700 /root/.ssh && ssh-keygen -q -t ed25519 -N '' -f /root/.ssh/k3s_backup && ssh-keyscan -t ed25519 ${lb} >> /root/.ssh/known_hosts 2>/dev/null && cat /root/.ssh/k3s_backup.pub`);
      assert.equal(key.exitCode, 0, key.stderr);
      const auth = await nodes.exec('loadbalancer1', ['sh', '-c', 'cat >> /home/k3scopy/.ssh/authorized_keys && chown -R k3scopy /home/k3scopy/.ssh'], { stdin: key.stdout });
      assert.equal(auth.exitCode, 0, auth.stderr);
    }
    const v = { ...vars, fetch_kubeconfig: false, fetch_backup_to: join(nodes.workDir, 'backups'), snapshot_copy: { target: `k3scopy@${lb}:/srv/k3s-snapshots`, identity_file: '/root/.ssh/k3s_backup' } };
    const r = await run(nodes, stage4, v);
    assert.equal(r.recap.exitCode, 0, failures(r));
    const expected = ['server1', 'server2', 'server3'].flatMap((h) => ['snapshot copy script', 'snapshot copy service', 'snapshot copy timer', 'snapshot copy timer enabled and running'].map((s) => `${h}: ${s}`));
    assert.deepEqual(changed(r).sort(), expected.sort());
    assert.equal((await sh('server2', 'systemctl is-active k3s-etcd-snapshot-copy.timer')).stdout.trim(), 'active');
    const copy = await sh('server1', 'systemctl start k3s-etcd-snapshot-copy.service; rc=$?; journalctl -u k3s-etcd-snapshot-copy.service -o cat --no-pager | tail -n 5; exit $rc');
    assert.equal(copy.exitCode, 0, copy.stdout);
    const copied = (await sh('loadbalancer1', 'ls /srv/k3s-snapshots/server1')).stdout;
    assert.match(copied, /^token$/m);
    assert.match(copied, /^post-migration-server1-\d+$/m);
    assert.equal((await sh('loadbalancer1', 'cat /srv/k3s-snapshots/server1/token')).stdout, (await sh('server1', 'cat /var/lib/rancher/k3s/server/token')).stdout);
    assert.deepEqual(changed(await run(nodes, stage4, v)), [], 'and again: zero changes');
  });

  it('restore-etcd with confirm_restore=yes brings back the post-migration snapshot on all three servers', async () => {
    assert.ok(set);
    const before = await keptOf('server1');
    assert.equal((await k('server1', 'create', 'namespace', 'created-after-snapshot')).exitCode, 0);
    assert.notDeepEqual(await keptOf('server1'), before);
    const snapshot = (await sh('server1', 'ls /var/lib/rancher/k3s/server/db/snapshots | grep ^post-migration-')).stdout.trim();
    const r = await run(set, restore, { confirm_restore: 'yes', snapshot });
    assert.equal(r.recap.exitCode, 0, failures(r));
    assert.deepEqual(await keptOf('server1'), before, 'the object created after the snapshot is gone');
    const members = async () => (await k('server1', 'get', 'nodes', '-l', 'node-role.kubernetes.io/etcd=true', '-o', 'name')).stdout.trim();
    await waitFor('the three etcd members to be back', async () => (await members()) === 'node/server1\nnode/server2\nnode/server3', { timeoutMs: 30_000, intervalMs: 500 });
    assert.deepEqual(await keptOf('server2'), before);
    assert.equal((await sh('server2', 'ls -d /var/lib/rancher/k3s/server/db.pre-restore-* | wc -l')).stdout.trim(), '1');
  });
});
