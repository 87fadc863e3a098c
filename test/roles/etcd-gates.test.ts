import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateGates, gateReport, versionRefusal, type ServerObservation, type GateInput } from '@capstan/etcd-migrate';

const V = 'v1.32.11+k3s3';
const obs = (host: string, o: Partial<ServerObservation> = {}): ServerObservation => ({
  host, datastore: host === 'server1' ? 'sqlite' : 'none', version: host === 'server1' ? V : null,
  dbBytes: 50 * 2 ** 20, freeBytes: 20 * 2 ** 30, ports: { '10.0.0.9:2379': 'refused', '10.0.0.9:2380': 'refused' }, ...o,
});
const input = (servers: ServerObservation[], o: Partial<GateInput> = {}): GateInput => ({
  first: 'server1', desired: V, minVersion: 'v1.32.6+k3s1', knownBad: ['v1.32.5+k3s1'], diskFactor: 2, servers, ...o,
});
const failed = (i: GateInput) => evaluateGates(i).filter((g) => !g.ok).map((g) => g.gate);

describe('etcd-migrate version floor and known-bad releases', () => {
  const table: [string, string | undefined][] = [
    ['v1.32.5+k3s1', 'known-bad'],
    ['v1.32.5+k3s2', 'older than the floor'],
    ['v1.32.6+k3s1', undefined],
    ['v1.32.6+k3s2', undefined],
    ['v1.32.11+k3s3', undefined],
    ['v1.33.0+k3s1', undefined],
    ['v1.21.14+k3s1', 'empty etcd datastore'],
    ['v1.32.6-rc1+k3s1', 'older than the floor'],
  ];
  for (const [version, refusal] of table) {
    it(`${version}: ${refusal ? `refused (${refusal})` : 'allowed'}`, () => {
      const r = versionRefusal(version, 'v1.32.6+k3s1', ['v1.32.5+k3s1']);
      if (refusal) assert.match(r ?? '', new RegExp(refusal));
      else assert.equal(r, undefined);
    });
  }

  it('the +k3sN suffix matters: a floor of v1.32.6+k3s2 refuses v1.32.6+k3s1', () => {
    assert.match(versionRefusal('v1.32.6+k3s1', 'v1.32.6+k3s2', []) ?? '', /older than the floor v1\.32\.6\+k3s2/);
  });

  it('a known-bad entry matches exactly: v1.32.5+k3s1 is bad, so the report says why it is refused', () => {
    assert.match(versionRefusal('v1.32.5+k3s1', 'v1.22.2+k3s1', ['v1.32.5+k3s1']) ?? '', /#12478/);
  });
});

describe('etcd-migrate gates', () => {
  it('three servers, the first on SQLite, the others fresh, ports answering: every gate passes', () => {
    const results = evaluateGates(input([obs('server1'), obs('server2'), obs('server3')]));
    assert.deepEqual(results.filter((r) => !r.ok), []);
    assert.deepEqual(results.map((r) => r.gate), ['datastore', 'version floor and known-bad releases', 'same version everywhere', 'odd server count', 'etcd ports 2379-2380 between servers', 'free disk']);
  });

  it('an even number of servers fails the odd-count gate', () => {
    assert.deepEqual(failed(input([obs('server1'), obs('server2')])), ['odd server count']);
  });

  it('the first server running the known-bad release fails even when the desired version is fine', () => {
    assert.deepEqual(failed(input([obs('server1', { version: 'v1.32.5+k3s1' }), obs('server2'), obs('server3')])), ['version floor and known-bad releases', 'same version everywhere']);
  });

  it('a desired version below the floor fails', () => {
    assert.ok(failed(input([obs('server1', { version: 'v1.32.4+k3s1' })], { desired: 'v1.32.4+k3s1' })).includes('version floor and known-bad releases'));
  });

  it('servers on different releases fail the same-version gate, naming them', () => {
    const r = evaluateGates(input([obs('server1'), obs('server2', { version: 'v1.32.10+k3s1', datastore: 'etcd' }), obs('server3')]));
    const g = r.find((x) => x.gate === 'same version everywhere');
    assert.equal(g?.ok, false);
    assert.match(g?.detail ?? '', /server2 runs v1\.32\.10\+k3s1/);
  });

  it('a filtered etcd port (no answer) fails; a refused one (reachable, nothing listening yet) passes', () => {
    const blocked = obs('server2', { ports: { '10.0.0.1:2379': 'refused', '10.0.0.1:2380': 'filtered' } });
    const g = evaluateGates(input([obs('server1'), blocked, obs('server3')])).find((x) => x.gate.startsWith('etcd ports'));
    assert.equal(g?.ok, false);
    assert.match(g?.detail ?? '', /server2 -> 10\.0\.0\.1:2380/);
  });

  it('free disk below twice the datastore fails', () => {
    assert.deepEqual(failed(input([obs('server1', { dbBytes: 10 * 2 ** 30, freeBytes: 15 * 2 ** 30 }), obs('server2'), obs('server3')])), ['free disk']);
  });

  it('an external datastore or no datastore on the first server fails; SQLite on another server fails', () => {
    assert.deepEqual(failed(input([obs('server1', { datastore: 'external' })])), ['datastore']);
    assert.deepEqual(failed(input([obs('server1', { datastore: 'none' })])), ['datastore']);
    assert.deepEqual(failed(input([obs('server1'), obs('server2', { datastore: 'sqlite', version: V }), obs('server3')])), ['datastore']);
  });

  it('a converted cluster (all on etcd at one version) passes: re-runs are not blocked by the gates', () => {
    const all = ['server1', 'server2', 'server3'].map((h) => obs(h, { datastore: 'etcd', version: V, ports: { x: 'open' } }));
    assert.deepEqual(failed(input(all)), []);
  });

  it('the report lists failed gates first', () => {
    const report = gateReport(evaluateGates(input([obs('server1'), obs('server2')])));
    assert.match(report.split('\n')[0] ?? '', /^FAILED odd server count: 2 servers/);
  });
});
