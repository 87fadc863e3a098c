import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { dockerSkipReason, startNodes, diffSnapshots, isEmptyDiff, formatDiff, type NodeSet } from '../../src/testing/index.ts';
import { loadInventoryView } from '../../src/inventory/view.ts';
import { connectorFactory } from '../../src/cli/connectors.ts';
import { runPlaybook, type EngineOptions } from '../../src/engine/run.ts';
import type { RunEvent } from '../../src/events.ts';
import { definePlaybook } from '../../src/define/playbook.ts';
import { shell } from '../../src/modules/command.ts';
import type { Playbook } from '../../src/define/playbook.ts';
import demo from '../../playbooks/lab-demo.ts';
import { waitFor } from '../support/wait.ts';

const skip = await dockerSkipReason();

describe('playbooks over SSH on throwaway nodes', { skip }, () => {
  let set: NodeSet;
  let inventory: string;
  before(async () => {
    set = await startNodes({ count: 3 });
    inventory = await set.writeInventory(join(set.workDir, 'inventory.yml'));
  });
  after(async () => set?.destroy());

  async function run(pb: Playbook, o: Partial<EngineOptions> = {}) {
    const inv = await loadInventoryView([inventory]);
    const events: RunEvent[] = [];
    const recap = await runPlaybook(pb, inv, {
      check: false, diff: false, forks: 10, tags: [], skipTags: [], extraVars: {}, playbookId: 'nodes-test',
      connectorFactory: connectorFactory({ connectTimeoutMs: 5000 }), ...o,
    }, (e) => events.push(e));
    return { recap, events };
  }

  it('check on fresh nodes predicts the changes and leaves every filesystem as it was', async () => {
    const before = await Promise.all(set.nodes.map((n) => set.snapshotFs(n.name)));
    const { recap } = await run(demo, { check: true });
    assert.equal(recap.exitCode, 0);
    // 5 changes each: 3 certain, 2 after the package install that cannot be predicted before it runs
    for (const n of set.nodes) assert.deepEqual([recap.hosts[n.name]?.changed, recap.hosts[n.name]?.uncertain], [3, 2], n.name);
    const afterSnap = await Promise.all(set.nodes.map((n) => set.snapshotFs(n.name)));
    before.forEach((b, i) => {
      const d = diffSnapshots(b, afterSnap[i]!);
      assert.ok(isEmptyDiff(d), `check changed ${set.nodes[i]?.name}:\n${formatDiff(d)}`);
    });
  });

  it('apply converges all three nodes in parallel over one connection each', async () => {
    const { recap } = await run(demo);
    assert.equal(recap.exitCode, 0);
    for (const n of set.nodes) {
      assert.deepEqual(recap.hosts[n.name], { ok: 5, changed: 5, uncertain: 0, failed: 0, skipped: 0, unreachable: 0, ignored: 0 });
      assert.equal(recap.transport[n.name]?.connections, 1);
    }
    const motd = await set.exec('node2', ['cat', '/etc/motd']);
    assert.equal(motd.stdout, 'This node (node2) is managed by Capstan.\n');
  });

  it('apply again changes nothing, in at most three round trips per host', async () => {
    const { recap } = await run(demo);
    for (const n of set.nodes) {
      assert.equal(recap.hosts[n.name]?.changed, 0);
      assert.ok((recap.transport[n.name]?.roundTrips ?? 99) <= 3, `round trips on ${n.name}: ${recap.transport[n.name]?.roundTrips}`);
    }
    const check = await run(demo, { check: true });
    for (const n of set.nodes) assert.equal(check.recap.hosts[n.name]?.changed, 0);
  });

  it('a node stopped in the middle of a play is UNREACHABLE, the others complete, and a re-run converges', async () => {
    // The slow step says it started, then waits (at most 60 s) until the test releases it.
    const slow = definePlaybook({
      plays: [{ name: 'slow', hosts: 'all', gatherFacts: false, steps: [
        shell({
          script: 'touch /tmp/capstan-slow-started; i=0; until [ -e /tmp/capstan-slow-release ] || [ $i -ge 600 ]; do sleep 0.1; i=$((i+1)); done; touch /tmp/capstan-slow-done',
          creates: '/tmp/capstan-slow-done',
        }, { name: 'slow step' }),
        shell({ script: 'touch /tmp/capstan-after', creates: '/tmp/capstan-after' }, { name: 'after' }),
      ] }],
    });
    const release = (...names: string[]) => Promise.all(names.map((n) => set.exec(n, ['touch', '/tmp/capstan-slow-release'])));
    const running = run(slow);
    await waitFor('the slow step to start on node3', async () => (await set.exec('node3', ['test', '-e', '/tmp/capstan-slow-started'])).exitCode === 0, { timeoutMs: 60_000 });
    await set.stop('node3', { kill: true });
    await release('node1', 'node2');
    const { recap } = await running;
    assert.equal(recap.hosts.node3?.unreachable, 1);
    assert.equal(recap.hosts.node1?.changed, 2);
    assert.equal(recap.hosts.node2?.changed, 2);
    assert.equal(recap.exitCode, 4);
    await set.start('node3');
    await release('node3');
    // The killed run's lock on node3 stays until its heartbeat has been silent long enough: wait for the takeover.
    const again = await run(slow, { lockWaitMs: 120_000 });
    assert.equal(again.recap.exitCode, 0);
    assert.equal(again.recap.hosts.node1?.changed, 0);
    assert.equal(again.recap.hosts.node3?.failed, 0);
  });
});
