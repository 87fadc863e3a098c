import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { versionFromK3sOutput } from '@capstan/k3s-server';
import { dockerSkipReason, runScenario, startNodes, type NodeSet } from '../../src/testing/index.ts';
import stage3 from '../../playbooks/stage3-multi-node.ts';

/**
 * Real K3s, end to end, from real air-gap artifacts: CAPSTAN_K3S_AIRGAP_DIR must hold the
 * K3s binary `k3s`, `install.sh` and the image archive(s) of one release (see the role README).
 */
const airgap = process.env.CAPSTAN_K3S_AIRGAP_DIR;
const skip = !airgap
  ? 'CAPSTAN_K3S_AIRGAP_DIR is not set: no real K3s air-gap artifacts (k3s, install.sh, images) to run the end-to-end test with'
  : await dockerSkipReason();

describe('real K3s end to end (stage 3: one server, one agent) from CAPSTAN_K3S_AIRGAP_DIR', () => {
  let set: NodeSet | undefined;
  after(async () => set?.destroy());

  it('converges, is idempotent, and every node is Ready at the artifacts\' version', { skip, timeout: 1_200_000 }, async () => {
    const dir = airgap as string;
    const version = process.env.CAPSTAN_K3S_VERSION ?? versionFromK3sOutput(execFileSync(join(dir, 'k3s'), ['--version'], { encoding: 'utf8' }));
    assert.ok(version, 'could not tell the K3s version of the artifacts; set CAPSTAN_K3S_VERSION');
    set = await startNodes({ groups: { server: 1, agent: 1 }, withPython: true, privileged: true });
    const nodes = set;
    await runScenario({
      playbook: stage3, nodes,
      extraVars: { airgap_dir: dir, k3s_version: version, fetch_kubeconfig: { dest: join(nodes.workDir, 'k3s.yaml'), context: 'e2e' }, ready_timeout_s: 600 },
      verify: async () => {
        const out = (await nodes.exec('server1', ['/usr/local/bin/k3s', 'kubectl', 'get', 'nodes', '--no-headers'])).stdout;
        for (const n of ['server1', 'agent1']) assert.match(out, new RegExp(`^${n}\\s+Ready\\s.*${version.replace(/[.+]/g, '\\$&')}`, 'm'));
      },
    });
  });
});
