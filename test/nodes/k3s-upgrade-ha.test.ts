/**
 * playbooks/upgrade.ts on a three-server embedded-etcd cluster with no agents (K3s TEST DOUBLE,
 * air-gap path): the servers go one at a time, each Ready at the new version and an etcd
 * member again before the next one restarts; the agents' play, whose group is empty, is
 * skipped with a warning.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { connectorFactory } from '../../src/cli/connectors.ts';
import type { Playbook } from '../../src/define/playbook.ts';
import { runPlaybook } from '../../src/engine/run.ts';
import type { RunEvent } from '../../src/events.ts';
import { loadInventoryView } from '../../src/inventory/view.ts';
import { dockerSkipReason, startNodes, type NodeSet } from '../../src/testing/index.ts';
import stage1 from '../../playbooks/stage1-single-node.ts';
import upgrade from '../../playbooks/upgrade.ts';
import { buildTestDoubleAirgap } from '../k3s-double/airgap-test-double.ts';
import type { StepEvent } from '../k3s-double/run-playbook.ts';

const skip = await dockerSkipReason();
const V1 = 'v1.32.11+k3s3';
const V2 = 'v1.32.12+k3s1';
const SERVERS = ['server1', 'server2', 'server3'];

describe('upgrade of a three-server cluster, servers only (K3s TEST DOUBLE, air-gap path)', { skip }, () => {
  let set: NodeSet | undefined;
  after(async () => set?.destroy());

  it(`${V1} → ${V2}: one server at a time, each Ready and an etcd member before the next restarts; again: zero changes`, async () => {
    set = await startNodes({ groups: { server: 3 }, withPython: true });
    const nodes = set;
    const airgap = { [V1]: await buildTestDoubleAirgap(join(nodes.workDir, 'airgap-v1'), V1), [V2]: await buildTestDoubleAirgap(join(nodes.workDir, 'airgap-v2'), V2) };
    // The inventory a servers-only cluster has: its agent group is there, and empty.
    const inv = parse(nodes.inventoryYaml()) as { all: { children: Record<string, unknown> } };
    inv.all.children.agent = { hosts: {} };
    const inventory = join(nodes.workDir, 'servers-only.yml');
    await writeFile(inventory, stringify(inv, { nullStr: '' }), { mode: 0o600 });
    const run = async (pb: Playbook, extraVars: Record<string, unknown>) => {
      const events: RunEvent[] = [];
      const recap = await runPlaybook(pb, await loadInventoryView([inventory]), {
        check: false, diff: false, forks: 20, tags: [], skipTags: [], extraVars, playbookId: 'k3s-test-double', connectorFactory: connectorFactory({}),
      }, (e) => events.push(e));
      const steps = events.filter((e): e is StepEvent => e.type === 'host.step');
      const failed = steps.filter((s) => s.result.status === 'failed').map((s) => `${s.host}: ${s.step}: ${s.result.msg ?? ''}`).join('\n');
      return { recap, events, steps, failed };
    };

    const install = await run(stage1, { airgap_dir: airgap[V1], k3s_version: V1, fetch_kubeconfig: false });
    assert.equal(install.recap.exitCode, 0, install.failed);
    const members = await nodes.exec('server1', ['/usr/local/bin/k3s', 'kubectl', 'get', 'nodes', '-o', 'name']);
    assert.deepEqual(members.stdout.trim().split('\n').sort(), SERVERS.map((s) => `node/${s}`), 'one cluster of three servers');

    const up = await run(upgrade, { airgap_dir: airgap[V2], k3s_version: V2, ready_timeout_s: 180 });
    assert.equal(up.recap.exitCode, 0, up.failed);
    assert.ok(up.events.some((e) => e.type === 'warning' && /play "upgrade agents, in batches": pattern "agent" matches no host: skipped/.test(e.message)), 'the empty agent group is skipped with a warning');
    const order = up.steps.map((s) => `${s.host}: ${s.step}`);
    const at = (x: string) => {
      const i = order.indexOf(x);
      assert.ok(i >= 0, `${x} in:\n${order.join('\n')}`);
      return i;
    };
    for (let i = 0; i < SERVERS.length; i++) {
      const s = SERVERS[i] as string;
      const restarted = at(`${s}: restart k3s onto ${V2}`);
      const member = at(`${s}: etcd member and Ready (kubectl on server1)`);
      assert.ok(restarted < member, `${s} is waited for after its restart`);
      const next = SERVERS[i + 1];
      if (next) assert.ok(member < at(`${next}: restart k3s onto ${V2}`), `${s} is Ready and an etcd member before ${next} restarts`);
    }
    for (const s of SERVERS) {
      assert.match((await nodes.exec(s, ['/usr/local/bin/k3s', '--version'])).stdout, new RegExp(`^k3s version ${V2.replace('+', '\\+')} `), s);
      assert.equal((await nodes.exec(s, ['systemctl', 'is-active', 'k3s'])).stdout.trim(), 'active', s);
    }

    const again = await run(upgrade, { airgap_dir: airgap[V2], k3s_version: V2, ready_timeout_s: 180 });
    assert.equal(again.recap.exitCode, 0, again.failed);
    assert.deepEqual(SERVERS.map((s) => again.recap.hosts[s]?.changed), [0, 0, 0], 'a second upgrade changes nothing');
  });
});
