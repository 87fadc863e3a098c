import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { etcdJoin, etcdMigrate, NO_OFFSITE_BACKUP } from '@capstan/etcd-migrate';
import { definePlaybook } from '../../src/index.ts';
import { connectorFactory } from '../../src/cli/connectors.ts';
import type { Playbook } from '../../src/define/playbook.ts';
import { runPlaybook } from '../../src/engine/run.ts';
import type { Recap, RunEvent } from '../../src/events.ts';
import { loadInventoryView } from '../../src/inventory/view.ts';
import { dockerSkipReason, startNodes, type NodeSet } from '../../src/testing/index.ts';
import stage1 from '../../playbooks/stage1-single-node.ts';
import { buildTestDoubleAirgap } from '../k3s-double/airgap-test-double.ts';

const skip = await dockerSkipReason();
const V1 = 'v1.32.11+k3s3';
type Step = Extract<RunEvent, { type: 'host.step' }>;
interface Run { recap: Recap; steps: Step[] }

const migrateAndJoin = definePlaybook({
  name: 'etcd-migrate and etcd-join',
  plays: [
    { name: 'convert', hosts: 'server', become: true, anyErrorsFatal: true, roles: [etcdMigrate.use()] },
    { name: 'join', hosts: 'server', become: true, serial: 1, anyErrorsFatal: true, roles: [etcdJoin.use()] },
  ],
});

/** One run; `on` sees every step event as it happens (to interrupt the run or kill a node mid-way). */
async function run(set: NodeSet, playbook: Playbook, extraVars: Record<string, unknown>, o: { limit?: string; signal?: AbortSignal; on?: (s: Step) => void } = {}): Promise<Run> {
  const inventory = await set.writeInventory(join(set.workDir, 'k3s-stage4-faults-inventory.yml'));
  const steps: Step[] = [];
  const recap = await runPlaybook(playbook, await loadInventoryView([inventory]), {
    check: false, diff: false, forks: 20, tags: [], skipTags: [], extraVars, playbookId: 'k3s-stage4-faults', connectorFactory: connectorFactory({}),
    ...(o.limit ? { limit: o.limit } : {}), ...(o.signal ? { signal: o.signal } : {}),
  }, (e) => {
    if (e.type !== 'host.step') return;
    steps.push(e);
    o.on?.(e);
  });
  return { recap, steps };
}

describe('stage 4 faults: an interrupted run and a server lost while joining (K3s TEST DOUBLE)', { skip }, () => {
  let set: NodeSet | undefined;
  after(async () => set?.destroy());
  const k = (host: string, ...args: string[]) => set!.exec(host, ['/usr/local/bin/k3s', 'kubectl', ...args]);
  const members = async () => (await k('server1', 'get', 'nodes', '-l', 'node-role.kubernetes.io/etcd=true', '-o', 'name')).stdout.trim().split('\n');

  it('SIGINT after the backup, then while server2 joins: only the current server is touched; each next run starts from the gates and resumes', async () => {
    set = await startNodes({ groups: { server: 3 }, withPython: true });
    const vars = { airgap_dir: await buildTestDoubleAirgap(join(set.workDir, 'airgap-test-double'), V1), k3s_version: V1, fetch_kubeconfig: false, fetch_backup_to: join(set.workDir, 'backups'), etcd_offsite_backup: NO_OFFSITE_BACKUP };
    // a cluster that started on SQLite: stage 1 on the first server alone (mode single), before the inventory had three servers
    assert.equal((await run(set, stage1, { ...vars, mode: 'single' }, { limit: 'server1' })).recap.exitCode, 0);
    const sh = (host: string, script: string) => set!.exec(host, ['sh', '-c', script]);

    // interrupted right after the backup stopped k3s on server1: nothing else was touched
    const early = new AbortController();
    const r0 = await run(set, migrateAndJoin, vars, { signal: early.signal, on: (s) => { if (s.host === 'server1' && s.step.startsWith('pre-migration backup')) early.abort(); } });
    assert.equal(r0.recap.exitCode, 130);
    assert.equal((await sh('server1', 'systemctl is-active k3s; ls /var/lib/rancher/k3s/server/db; test -f /var/lib/rancher/k3s-premigration/SHA256SUMS && echo backup')).stdout, 'inactive\nstate.db\nbackup\n');
    for (const h of ['server2', 'server3']) assert.equal((await sh(h, 'test -e /usr/local/bin/k3s && echo installed || echo absent')).stdout.trim(), 'absent');

    // the next run starts k3s again for the inventory, converts, and is interrupted while server2 joins
    const stop = new AbortController();
    const r = await run(set, migrateAndJoin, vars, { signal: stop.signal, on: (s) => { if (s.host === 'server2' && s.step === 'K3s config.yaml') stop.abort(); } });
    assert.equal(r.recap.exitCode, 130);
    assert.equal(r.recap.interrupted, true);
    assert.equal(r.steps.find((s) => s.host === 'server1' && s.step === 'object inventory before the migration')?.result.status, 'changed', 'k3s was started to take the inventory');
    assert.equal(r.steps.find((s) => s.host === 'server1' && s.step === 'verify the conversion (or roll back to SQLite)')?.result.status, 'ok');
    assert.ok(!r.steps.some((s) => s.host === 'server3' && s.play === 'join'), 'server3 was never reached in the join play');
    assert.equal((await sh('server3', 'test -e /usr/local/bin/k3s && echo installed || echo absent')).stdout.trim(), 'absent');
    assert.deepEqual(await members(), ['node/server1'], 'server1 is converted and the only member');

    let killed = false;
    const again = await run(set, migrateAndJoin, vars, {
      on: (s) => {
        // synchronously, so that the engine's next step on server3 meets a dead host
        if (s.host === 'server3' && s.step === 'restart k3s' && !killed) killed = Boolean(execFileSync('docker', ['kill', set!.node('server3').containerId]));
      },
    });
    assert.ok(killed, 'server3 was killed right after k3s started on it');
    const first = again.steps[0];
    assert.ok(first?.step.startsWith('gate probe'), `the re-run starts with the gates, not ${first?.step}`);
    assert.equal(again.steps.find((s) => s.host === 'server1' && s.step.startsWith('gates:'))?.result.status, 'ok');
    assert.equal(again.steps.find((s) => s.host === 'server1' && s.step.startsWith('convert'))?.result.status, 'ok', 'server1 is not converted twice');
    assert.equal(again.steps.find((s) => s.host === 'server2' && s.step === 'etcd member and Ready on server1')?.result.status, 'changed');

    // server3 registered and was then lost: the run reports it UNREACHABLE (not failed), the others are fine
    assert.equal(again.recap.exitCode, 4);
    assert.equal(again.recap.hosts.server3?.unreachable, 1);
    assert.equal(again.recap.hosts.server1?.failed, 0);
    assert.equal(again.recap.hosts.server2?.failed, 0);
    // the two healthy members still answer: quorum (2 of 3) holds, the API serves reads and writes
    assert.deepEqual((await members()).filter((m) => m !== 'node/server3'), ['node/server1', 'node/server2']);
    assert.equal((await k('server2', 'create', 'namespace', 'written-after-the-loss')).exitCode, 0);
    assert.match((await k('server1', 'get', 'namespaces', '-o', 'name')).stdout, /^namespace\/written-after-the-loss$/m);
  });
});
