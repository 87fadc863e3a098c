/**
 * Two K3s servers in one play whose step lists differ: `registries_yaml` is set in the first
 * server's host_vars only, so it has one step more before the handlers are flushed. Both
 * servers must still run every one of their steps (K3s TEST DOUBLE, air-gap path). The first
 * server is installed by a play of its own first, so that the second can join it with its token.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { k3sServer } from '@capstan/k3s-server';
import { definePlaybook } from '../../src/index.ts';
import { dockerSkipReason, startNodes, type NodeSet } from '../../src/testing/index.ts';
import { buildTestDoubleAirgap } from '../k3s-double/airgap-test-double.ts';
import { runOnce } from '../k3s-double/run-playbook.ts';

const skip = await dockerSkipReason();
const V1 = 'v1.32.11+k3s3';
const MIRRORS = 'mirrors:\n  docker.io:\n    endpoint:\n      - "https://registry.example.lan:5000"\n';
const servers = definePlaybook({ name: 'two servers', plays: [
  { name: 'first server', hosts: 'server1', become: true, roles: [k3sServer.use()] },
  { name: 'k3s servers', hosts: 'server', become: true, roles: [k3sServer.use()] },
] });

describe('k3s-server with registries_yaml in one server\'s host_vars only (K3s TEST DOUBLE)', { skip }, () => {
  let set: NodeSet | undefined;
  after(async () => set?.destroy());

  it('both servers run every step: the registries file on one, the service enabled and running on both', async () => {
    set = await startNodes({ groups: { server: 2 }, withPython: true });
    const nodes = set;
    const airgap = await buildTestDoubleAirgap(join(nodes.workDir, 'airgap-test-double'), V1);
    await mkdir(join(nodes.workDir, 'host_vars'), { recursive: true });
    await writeFile(join(nodes.workDir, 'host_vars', 'server1.yml'), `mode: cluster-init\nregistries_yaml: ${JSON.stringify(MIRRORS)}\n`);
    const url = `https://${nodes.node('server1').address}:6443`;
    await writeFile(join(nodes.workDir, 'host_vars', 'server2.yml'), `mode: join\njoin_server_url: ${JSON.stringify(url)}\ntoken_from_server: server1\n`);

    const r = await runOnce(nodes, servers, { airgap_dir: airgap, k3s_version: V1, fetch_kubeconfig: false });
    assert.equal(r.recap.exitCode, 0, r.steps.filter((s) => s.result.status === 'failed').map((s) => `${s.host}: ${s.step}: ${s.result.msg}`).join('\n'));
    const play = r.events.map((e) => e.type).lastIndexOf('play.start');
    const both = r.events.slice(play).filter((e): e is (typeof r.steps)[number] => e.type === 'host.step');
    const ran = (host: string) => both.filter((s) => s.host === host && !s.handler).map((s) => s.step);
    const one = ran('server1');
    assert.ok(one.includes('K3s registries.yaml') && one.includes('k3s service enabled and running'), one.join(', '));
    assert.deepEqual(ran('server2'), one.filter((s) => s !== 'K3s registries.yaml'), 'server2 runs the same steps but the registries file');
    assert.equal(both.filter((s) => s.result.status === 'skipped').length, 0);
    assert.deepEqual(both.filter((s) => s.handler).map((s) => `${s.host}: ${s.step} ${s.result.status}`), ['server2: restart k3s changed'], 'the joining server starts once');
    for (const host of ['server1', 'server2']) {
      const sh = async (script: string) => (await nodes.exec(host, ['sh', '-c', script])).stdout.trim();
      assert.equal(await sh('systemctl is-enabled k3s; systemctl is-active k3s'), 'enabled\nactive', `k3s on ${host}`);
      assert.equal(await sh('/usr/local/bin/k3s kubectl get --raw=/readyz'), 'ok', `API of ${host}`);
      assert.equal(await sh('cat /etc/rancher/k3s/registries.yaml 2>/dev/null || echo absent'), host === 'server1' ? MIRRORS.trim() : 'absent');
    }
    const again = await runOnce(nodes, servers, { airgap_dir: airgap, k3s_version: V1, fetch_kubeconfig: false });
    assert.deepEqual([again.recap.exitCode, again.recap.hosts.server1?.changed, again.recap.hosts.server2?.changed], [0, 0, 0]);
  });
});
