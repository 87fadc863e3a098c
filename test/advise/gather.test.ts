import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LocalConnector } from '../../src/connectors/local.ts';
import type { HostConnection } from '../../src/connectors/connector.ts';
import { adviseTargets, measureHost } from '../../src/advise/gather.ts';
import { loadInventoryView } from '../../src/inventory/view.ts';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { FakeConnector } from '../support/fake-connector.ts';

const local: HostConnection = { name: 'localhost', transport: 'local', address: 'localhost', port: 22, options: {} };

describe('measureHost: the real probe script on this machine', () => {
  it('one exec returns CPU over the window, memory, disk, load and the K3s layout', async () => {
    const c = new LocalConnector(local);
    const r = await measureHost(c, local, 'server', 1);
    assert.equal(r.status, 'ok', r.message);
    assert.equal(c.stats.roundTrips, 1, 'one batched command');
    const m = r.metrics!;
    assert.equal(m.cpu.windowSeconds, 1);
    for (const v of [m.cpu.average, m.cpu.peak, m.memory.percent, m.disk!.percent]) assert.ok(v >= 0 && v <= 100, `${v} is a percentage`);
    assert.ok(m.cpu.peak >= m.cpu.average - 1e-9, 'the peak interval is at least the average');
    assert.ok(m.load!.cpus >= 1);
    assert.ok(r.k3s, 'the K3s probe answered');
  });
});

describe('measureHost: cost', () => {
  it('one connection and one command per host, whatever the window', async () => {
    const fake = new FakeConnector('s1');
    const r = await measureHost(fake, { ...local, name: 's1' }, 'server', 2);
    assert.equal(r.status, 'ok', r.message);
    assert.deepEqual({ connections: fake.stats.connections, roundTrips: fake.stats.roundTrips, commands: fake.scripts.length }, { connections: 1, roundTrips: 1, commands: 1 });
    assert.equal(r.metrics?.cpu.windowSeconds, 2);
  });
});

describe('measureHost: hosts in trouble are data, not exceptions', () => {
  it('a refused connection is unreachable, with the reason', async () => {
    const r = await measureHost(new FakeConnector('a1', { unreachable: true }), { ...local, name: 'a1' }, 'agent', 1);
    assert.deepEqual(r, { name: 'a1', declaredRole: 'agent', status: 'unreachable', message: 'connection refused (fake)' });
  });

  it('a command that ran and failed (sudo wants a password) is failed, with its stderr', async () => {
    const fake = new FakeConnector('s1', { failMatching: { pattern: /proc\/stat/, stderr: 'sudo: a password is required' } });
    const r = await measureHost(fake, { ...local, name: 's1' }, 'server', 1);
    assert.equal(r.status, 'failed');
    assert.match(r.message ?? '', /sudo: a password is required/);
  });

  it('a connection that drops during the sample is unreachable', async () => {
    const r = await measureHost(new FakeConnector('s1', { dropAfter: 1 }), { ...local, name: 's1' }, 'server', 1);
    assert.equal(r.status, 'unreachable');
  });
});

describe('adviseTargets: which hosts are looked at', () => {
  const inv = async (groups: Record<string, string[]>) => {
    const dir = mkdtempSync(join(tmpdir(), 'capstan-advise-inv-'));
    try {
      const children = Object.fromEntries(Object.entries(groups).map(([g, hosts]) => [g, { hosts: Object.fromEntries(hosts.map((h) => [h, null])) }]));
      writeFileSync(join(dir, 'hosts.yml'), stringify({ all: { children } }, { nullStr: '' }));
      return await loadInventoryView([join(dir, 'hosts.yml')]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  it('the k3s-ansible groups server and agent, not the load balancers', async () => {
    assert.deepEqual(adviseTargets(await inv({ server: ['s1'], agent: ['a1', 'a2'], lb: ['lb1'] })), [
      { name: 's1', declaredRole: 'server' }, { name: 'a1', declaredRole: 'agent' }, { name: 'a2', declaredRole: 'agent' },
    ]);
  });

  it('every host when the inventory has no server group', async () => {
    assert.deepEqual(adviseTargets(await inv({ web: ['w1'] })).map((t) => t.declaredRole), [null]);
  });

  it('--limit narrows them', async () => {
    assert.deepEqual(adviseTargets(await inv({ server: ['s1'], agent: ['a1'] }), 'a1').map((t) => t.name), ['a1']);
  });
});
