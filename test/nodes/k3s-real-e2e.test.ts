/**
 * Real K3s, end to end, stages 1 to 4, from real air-gap artifacts (never the test double):
 * CAPSTAN_K3S_AIRGAP_DIR holds the K3s binary `k3s`, `install.sh` and the image archive of one
 * release, as listed in README.md ("End-to-end test with real K3s"). Skipped, with the reason,
 * when it is not set.
 *
 *   CAPSTAN_K3S_AIRGAP_DIR=/srv/k3s-airgap node --import tsx --test test/nodes/k3s-real-e2e.test.ts
 *
 * Each stage runs check, apply, apply again (zero changes) and check again (zero changes) on
 * privileged throwaway nodes: 3 servers, 1 agent, 1 load balancer. Stage 2 installs real Helm
 * charts, which pull images: it runs when the nodes can reach the chart repositories and
 * registries (CAPSTAN_K3S_E2E_ONLINE=1) or with CAPSTAN_K3S_E2E_CHARTS_DIR holding the chart
 * archives (and the images in the air-gap directory), and is skipped saying so otherwise.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { versionFromK3sOutput } from '@capstan/k3s-server';
import { connectorFactory } from '../../src/cli/connectors.ts';
import type { Playbook } from '../../src/define/playbook.ts';
import { runPlaybook } from '../../src/engine/run.ts';
import type { Recap, RunEvent } from '../../src/events.ts';
import { loadInventoryView } from '../../src/inventory/view.ts';
import { dockerSkipReason, startNodes, type NodeSet } from '../../src/testing/index.ts';
import stage1 from '../../playbooks/stage1-single-node.ts';
import stage2 from '../../playbooks/stage2-observability.ts';
import stage3 from '../../playbooks/stage3-multi-node.ts';
import stage4 from '../../playbooks/stage4-ha.ts';

const airgap = process.env.CAPSTAN_K3S_AIRGAP_DIR;
const charts = process.env.CAPSTAN_K3S_E2E_CHARTS_DIR;
const online = process.env.CAPSTAN_K3S_E2E_ONLINE === '1';
const skip = !airgap
  ? 'CAPSTAN_K3S_AIRGAP_DIR is not set: no real K3s air-gap artifacts (k3s, install.sh, images) to run the end-to-end test with'
  : await dockerSkipReason();
const stage2Skip = !charts && !online
  ? 'stage 2 installs real Helm charts: set CAPSTAN_K3S_E2E_ONLINE=1 (nodes reach the chart repositories and registries) or CAPSTAN_K3S_E2E_CHARTS_DIR (chart archives)'
  : false;

type Step = Extract<RunEvent, { type: 'host.step' }>;
interface Run { recap: Recap; steps: Step[] }

async function run(set: NodeSet, playbook: Playbook, extraVars: Record<string, unknown>, check: boolean, limit?: string): Promise<Run> {
  const inventory = await set.writeInventory(join(set.workDir, 'k3s-real-e2e-inventory.yml'));
  const events: RunEvent[] = [];
  const recap = await runPlaybook(playbook, await loadInventoryView([inventory]), {
    check, diff: false, forks: 20, tags: [], skipTags: [], extraVars, playbookId: 'k3s-real-e2e', connectorFactory: connectorFactory({}), ...(limit ? { limit } : {}),
  }, (e) => events.push(e));
  return { recap, steps: events.filter((e): e is Step => e.type === 'host.step') };
}

const failures = (r: Run) => r.steps.filter((s) => s.result.status === 'failed' || s.result.status === 'unreachable').map((s) => `${s.host}: ${s.step}: ${s.result.msg ?? ''}`).join('\n');
const changed = (r: Run) => r.steps.filter((s) => s.result.status === 'changed').map((s) => `${s.host}: ${s.step}`);

/** check, apply, apply again and check again: the last two change nothing. */
async function converge(set: NodeSet, playbook: Playbook, vars: Record<string, unknown>, limit?: string): Promise<void> {
  for (const [check, idempotent] of [[true, false], [false, false], [false, true], [true, true]] as const) {
    const r = await run(set, playbook, vars, check, limit);
    assert.equal(r.recap.exitCode, 0, `${check ? 'check' : 'apply'}: ${failures(r)}`);
    if (idempotent) assert.deepEqual(changed(r), [], `${check ? 'check' : 'apply'} after apply changes nothing`);
  }
}

describe('real K3s end to end, stages 1 to 4, from CAPSTAN_K3S_AIRGAP_DIR', { skip, timeout: 3_600_000 }, () => {
  let set: NodeSet | undefined;
  let vars: Record<string, unknown> = {};
  let version = '';
  const kubectl = async (host: string, ...args: string[]) => (await set!.exec(host, ['/usr/local/bin/k3s', 'kubectl', ...args])).stdout;
  const readyAt = (out: string, node: string) => new RegExp(`^${node}\\s+Ready\\s.*${version.replace(/[.+]/g, '\\$&')}`, 'm').test(out);

  before(async () => {
    const dir = airgap as string;
    version = process.env.CAPSTAN_K3S_VERSION ?? versionFromK3sOutput(execFileSync(join(dir, 'k3s'), ['--version'], { encoding: 'utf8' })) ?? '';
    assert.ok(version, 'could not tell the K3s version of the artifacts; set CAPSTAN_K3S_VERSION');
    set = await startNodes({ groups: { server: 3, agent: 1, loadbalancer: 1 }, withPython: true, privileged: true });
    vars = { airgap_dir: dir, k3s_version: version, ready_timeout_s: 600, fetch_kubeconfig: { dest: join(set.workDir, 'k3s.yaml'), context: 'e2e' } };
  });
  after(async () => set?.destroy());

  it('stage 1: one server on SQLite, Ready at the artifacts\' version', async () => {
    await converge(set!, stage1, vars, 'server1');
    assert.ok(readyAt(await kubectl('server1', 'get', 'nodes', '--no-headers'), 'server1'));
    assert.equal((await set!.exec('server1', ['sh', '-c', 'ls /var/lib/rancher/k3s/server/db/state.db'])).exitCode, 0, 'SQLite datastore');
  });

  it('stage 2: the monitoring releases deployed by the real Helm controller', { skip: stage2Skip }, async () => {
    const v2 = { ...vars, grafana: { admin_password: 'e2e-grafana-admin' }, wait_timeout_s: 1800, ...(charts ? { airgap: { charts_dir: charts } } : {}) };
    await converge(set!, stage2, v2, 'server1');
    const jobs = await kubectl('server1', '-n', 'kube-system', 'get', 'jobs', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.status.succeeded}{"\\n"}{end}');
    for (const j of ['kube-prometheus-stack', 'loki', 'tempo', 'alloy']) assert.match(jobs, new RegExp(`^helm-install-${j}=1$`, 'm'));
  });

  it('stage 3: the agent joins with the server\'s token and is Ready', async () => {
    await converge(set!, stage3, vars, 'server1:agent1');
    assert.ok(readyAt(await kubectl('server1', 'get', 'nodes', '--no-headers'), 'agent1'));
  });

  it('stage 4: embedded etcd on three servers behind HAProxy; every node Ready', async () => {
    const v4 = { ...vars, fetch_backup_to: join(set!.workDir, 'backups') };
    await converge(set!, stage4, v4);
    const nodes = await kubectl('server1', 'get', 'nodes', '--no-headers');
    for (const n of ['server1', 'server2', 'server3', 'agent1']) assert.ok(readyAt(nodes, n), `${n} Ready:\n${nodes}`);
    assert.equal((await kubectl('server1', 'get', 'nodes', '-l', 'node-role.kubernetes.io/etcd=true', '-o', 'name')).trim(), 'node/server1\nnode/server2\nnode/server3');
    const lb = set!.node('loadbalancer1').address;
    assert.match(await kubectl('server1', '--server', `https://${lb}:6443`, 'get', '--raw=/readyz'), /^ok/, 'the API answers through HAProxy, its certificate naming the load balancer');
  });
});
