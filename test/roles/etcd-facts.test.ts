import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { parseHostState, parseNodes, parsePeerPorts, parseInventory } from '@capstan/etcd-migrate';

describe('etcd-migrate fact parsers', () => {
  const host = (lines: string[]) => parseHostState(`${lines.join('\n')}\n`);
  const common = ['version=k3s version v1.32.11+k3s3 (abc)', 'active=active', 'dbbytes=1048576', 'free=2147483648', 'backup=no', 'hostname=server1'];

  it('datastore: etcd directory wins over state.db, datastore-endpoint wins over both, nothing is none', () => {
    const table: [string[], string][] = [
      [['etcd=no', 'statedb=yes', 'migrated=no', 'endpoint=no'], 'sqlite'],
      [['etcd=yes', 'statedb=no', 'migrated=yes', 'endpoint=no'], 'etcd'],
      [['etcd=yes', 'statedb=yes', 'migrated=no', 'endpoint=no'], 'etcd'],
      [['etcd=no', 'statedb=yes', 'migrated=no', 'endpoint=yes'], 'external'],
      [['etcd=no', 'statedb=no', 'migrated=no', 'endpoint=no'], 'none'],
    ];
    for (const [lines, want] of table) assert.equal(host([...lines, ...common]).datastore, want, lines.join(' '));
  });

  it('version, sizes, activity and the backup marker', () => {
    const st = host(['etcd=no', 'statedb=yes', 'migrated=no', 'endpoint=no', ...common]);
    assert.deepEqual(st, { datastore: 'sqlite', etcdDir: false, stateDb: true, stateDbMigrated: false, version: 'v1.32.11+k3s3', active: true, dbBytes: 1048576, freeBytes: 2147483648, backupPresent: false, hostname: 'server1', token: 'unknown' });
  });

  it('the token against the backup manifest: same, differs, unknown', () => {
    for (const t of ['same', 'differs', 'unknown'] as const) assert.equal(host(['etcd=yes', 'statedb=no', 'migrated=yes', 'endpoint=no', ...common, `token=${t}`]).token, t);
  });

  it('K3s not installed: version null, sizes 0', () => {
    const st = parseHostState('version=\netcd=no\nstatedb=no\nmigrated=no\nendpoint=no\nactive=inactive\ndbbytes=\nfree=100\nbackup=no\nhostname=s2\n');
    assert.equal(st.version, null);
    assert.equal(st.dbBytes, 0);
    assert.equal(st.active, false);
  });

  it('peer ports: connected is open, "Connection refused" is refused (reachable), a timeout is filtered', () => {
    const out = [
      '10.0.0.2:2379 rc=0 ',
      '10.0.0.2:2380 capstan-probe: connect: Connection refused capstan-probe: line 1: /dev/tcp/10.0.0.2/2380: Connection refused rc=1 ',
      '10.0.0.3:2379 rc=124 ',
      '10.0.0.3:2380 capstan-probe: connect: No route to host rc=1 ',
    ].join('\n');
    assert.deepEqual(parsePeerPorts(out), { '10.0.0.2:2379': 'open', '10.0.0.2:2380': 'refused', '10.0.0.3:2379': 'filtered', '10.0.0.3:2380': 'filtered' });
  });

  it('nodes: Ready condition, etcd and control-plane roles from the labels; no API answer is null', () => {
    const json = JSON.stringify({ items: [
      { metadata: { name: 'server1', labels: { 'node-role.kubernetes.io/etcd': 'true', 'node-role.kubernetes.io/control-plane': 'true' } }, status: { conditions: [{ type: 'Ready', status: 'True' }], nodeInfo: { kubeletVersion: 'v1.32.11+k3s3' } } },
      { metadata: { name: 'agent1', labels: {} }, status: { conditions: [{ type: 'Ready', status: 'Unknown' }] } },
    ] });
    assert.deepEqual(parseNodes(json), [
      { name: 'server1', ready: true, etcd: true, controlPlane: true, version: 'v1.32.11+k3s3' },
      { name: 'agent1', ready: false, etcd: false, controlPlane: false, version: '' },
    ]);
    assert.equal(parseNodes('unavailable\n'), null);
  });

  it('inventory: counts per kind and a hash equal to sha256sum of the same lines', () => {
    const text = 'ConfigMap/kube-system/coredns u-1 7 -\nNamespace/<none>/default u-2 3 owned\n';
    const inv = parseInventory(text);
    assert.equal(inv.sha256, execFileSync('sha256sum', { input: text, encoding: 'utf8' }).split(' ')[0]);
    assert.deepEqual(inv.counts, { ConfigMap: 1, Namespace: 1 });
    assert.deepEqual(inv.kept, ['ConfigMap/kube-system/coredns u-1']);
    assert.equal(parseInventory('').total, 0);
  });
});
