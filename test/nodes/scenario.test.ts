import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { dockerSkipReason, startNodes, type NodeSet } from '../../src/testing/index.ts';
import { runScenario, ScenarioError, comparePredictions } from '../../src/testing/scenario.ts';
import { definePlaybook } from '../../src/define/playbook.ts';
import { shell } from '../../src/modules/command.ts';
import type { RunEvent } from '../../src/events.ts';
import demo from '../../playbooks/lab-demo.ts';

const skip = await dockerSkipReason();

describe('the scenario helper', () => {
  it('flags a certain prediction that apply contradicts', () => {
    const ev = (status: 'ok' | 'changed', uncertain?: string): RunEvent => ({
      type: 'host.step', play: 'p', step: 's', index: 0, host: 'h', handler: false, diffs: [],
      result: { status, changed: status === 'changed', summaries: [], durationMs: 0, ...(uncertain ? { uncertain } : {}) },
    });
    assert.equal(comparePredictions([ev('changed')], [ev('ok')]).length, 1);
    assert.equal(comparePredictions([ev('changed', 'depends on an earlier change')], [ev('ok')]).length, 0);
    assert.equal(comparePredictions([ev('ok')], [ev('ok')]).length, 0);
  });

  describe('on throwaway nodes', { skip }, () => {
    let set: NodeSet;
    after(async () => set?.destroy());

    it('runs the lab demo through check, apply, apply again, check again, verify', async () => {
      set = await startNodes({ count: 2 });
      let verified = false;
      const report = await runScenario({
        playbook: demo, nodes: set,
        verify: async () => {
          const r = await set.exec('node1', ['stat', '-c', '%a', '/opt/demo/.initialized']);
          assert.equal(r.stdout.trim(), '600');
          verified = true;
        },
      });
      assert.ok(verified);
      assert.equal(report.applyAgain.recap.hosts.node1?.changed, 0);
    });

    it('refuses a playbook that is not idempotent', async () => {
      const drifting = definePlaybook({ plays: [{ name: 'drift', hosts: 'all', gatherFacts: false, steps: [
        shell({ script: 'date +%s%N > /tmp/capstan-drift', creates: '/tmp/capstan-drift-never' }),
      ] }] });
      await assert.rejects(runScenario({ playbook: drifting, nodes: set }), (e) => e instanceof ScenarioError && /not idempotent/.test(e.message));
    });
  });
});
