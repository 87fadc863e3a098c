import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { dockerSkipReason, startNodes, runScenario, type NodeSet } from '../../src/testing/index.ts';
import workload from '../../bench/workload/site.ts';

const skip = await dockerSkipReason();

describe('the reference workload on three throwaway nodes', { skip }, () => {
  let set: NodeSet;
  after(async () => set?.destroy());

  it('converges: check changes nothing, apply, apply again and check report zero changes, services run', async () => {
    set = await startNodes({ groups: { nodes: 3 } });
    const inventoryPath = await set.writeInventory(join(set.workDir, 'root-inventory.yml'), { user: 'root' });
    const report = await runScenario({
      playbook: workload, nodes: set, inventoryPath,
      verify: async () => {
        for (const n of set.nodes) {
          const services = await set.exec(n.name, ['systemctl', 'is-active', 'benchapp', 'haproxy']);
          assert.equal(services.stdout, 'active\nactive\n', `${n.name}: ${services.stdout}`);
          const secret = await set.exec(n.name, ['stat', '-c', '%U:%G %a', '/etc/benchapp/secret']);
          assert.equal(secret.stdout.trim(), 'benchapp:benchapp 600');
          const sysctl = await set.exec(n.name, ['sysctl', '-n', 'net.ipv4.tcp_fin_timeout', 'net.core.somaxconn']);
          assert.equal(sysctl.stdout, '30\n1024\n');
          const conf = await set.exec(n.name, ['cat', '/etc/benchapp/app.conf']);
          assert.match(conf.stdout, new RegExp(`^APP_NODE=${n.name}$`, 'm'));
          assert.match(conf.stdout, /^FEATURE_CACHE=on\nFEATURE_METRICS=on\nFEATURE_TRACING=off\n$/m);
        }
      },
    });
    for (const n of set.nodes) {
      assert.equal(report.applyAgain.recap.hosts[n.name]?.changed, 0);
      assert.ok((report.applyAgain.recap.transport[n.name]?.roundTrips ?? 99) <= 2, `round trips: ${report.applyAgain.recap.transport[n.name]?.roundTrips}`);
    }
  });
});
