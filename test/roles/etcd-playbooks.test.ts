import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { bucketNameProblem, etcdConfigKeys, etcdMigrateVars, NO_OFFSITE_BACKUP, renderCopyScript, renderCopyTimer } from '@capstan/etcd-migrate';
import { ConfigError, runPlaybook, validatePlaybook } from '../../src/index.ts';
import { loadInventoryView } from '../../src/inventory/view.ts';
import restore from '../../playbooks/restore-etcd.ts';
import stage4 from '../../playbooks/stage4-ha.ts';

const inventory = fileURLToPath(new URL('../../inventory/k3s-ha/hosts.yml', import.meta.url));
const inventoryView = await loadInventoryView([inventory]);
const opts = (extraVars: Record<string, unknown> = {}) => ({ extraVars, tags: [], skipTags: [] });

describe('restore-etcd refuses to run without an explicit confirmation', () => {
  it('without confirm_restore: a validation error naming the key, before any connection', async () => {
    let connections = 0;
    // Connectors may be built to check their options; none may connect.
    const factory = (() => ({ connect: async () => { connections++; throw new Error('must not connect'); }, close: async () => undefined })) as never;
    await assert.rejects(
      runPlaybook(restore, await loadInventoryView([inventory]), { ...opts({ snapshot: 'post-migration-server1-1' }), check: false, diff: false, forks: 5, playbookId: 'restore', connectorFactory: factory }, () => undefined),
      (e: unknown) => e instanceof ConfigError && e.problems.some((p) => p.keyPath === 'confirm_restore' && /confirm_restore must be "yes"/.test(p.message)),
    );
    assert.equal(connections, 0);
  });

  it('confirm_restore=no or YES is refused the same way; a missing snapshot is named too', async () => {
    for (const confirm of ['no', 'YES', 'true']) {
      assert.throws(() => validatePlaybook(restore, inventoryView, opts({ confirm_restore: confirm, snapshot: 'x' })), (e: unknown) => e instanceof ConfigError && e.problems.some((p) => p.keyPath === 'confirm_restore'));
    }
    assert.throws(() => validatePlaybook(restore, inventoryView, opts({ confirm_restore: 'yes' })), (e: unknown) => e instanceof ConfigError && e.problems.some((p) => p.keyPath === 'snapshot' && /snapshot is required/.test(p.message)));
  });

  it('with confirm_restore=yes and a snapshot it validates for the three servers', () => {
    const p = validatePlaybook(restore, inventoryView, opts({ confirm_restore: 'yes', snapshot: 'post-migration-server1-1' }));
    assert.deepEqual([...p.allHosts].sort(), ['server1', 'server2', 'server3']);
  });
});


describe('stage 4 against the HA example inventory', () => {
  it('validates: servers, the load balancer and the agents', () => {
    const p = validatePlaybook(stage4, inventoryView, opts());
    assert.deepEqual([...p.allHosts].sort(), ['agent1', 'agent2', 'lb1', 'server1', 'server2', 'server3']);
  });

  it('without S3 and without the copy timer it is refused before any connection, unless the risk is accepted by name', async () => {
    const refused = (e: unknown) => e instanceof ConfigError && e.problems.some((p) => p.keyPath === 'etcd_offsite_backup' && /an HA cluster needs its etcd snapshots off the servers: set etcd_s3 .* or snapshot_copy/.test(p.message));
    assert.throws(() => validatePlaybook(stage4, inventoryView, opts({ snapshot_copy: false })), refused);
    let connections = 0;
    const factory = (() => ({ connect: async () => { connections++; throw new Error('must not connect'); }, close: async () => undefined })) as never;
    await assert.rejects(runPlaybook(stage4, inventoryView, { ...opts({ snapshot_copy: false }), check: true, diff: false, forks: 5, playbookId: 'stage4', connectorFactory: factory }, () => undefined), refused);
    assert.equal(connections, 0);
    assert.throws(() => validatePlaybook(stage4, inventoryView, opts({ snapshot_copy: false, etcd_offsite_backup: 'none' })), (e: unknown) => e instanceof ConfigError && e.problems.some((p) => p.keyPath === 'etcd_offsite_backup'));
    assert.ok(validatePlaybook(stage4, inventoryView, opts({ snapshot_copy: false, etcd_offsite_backup: NO_OFFSITE_BACKUP })));
    assert.ok(validatePlaybook(stage4, inventoryView, opts({ snapshot_copy: false, etcd_s3: { enabled: true, endpoint: 'minio.lan:9000', bucket: 'k3s-etcd' } })));
  });

  it('bad etcd-migrate input is refused with the variable path', () => {
    assert.throws(() => validatePlaybook(stage4, inventoryView, opts({ min_version: 'v1.32.6', snapshot_copy: { target: 'host:/x', identity_file: 'key' } })), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      const paths = new Set(e.problems.map((p) => p.keyPath));
      return paths.has('min_version') && paths.has('snapshot_copy.target') && paths.has('snapshot_copy.identity_file');
    });
  });
});

describe('snapshot policy and off-host copies', () => {
  it('K3s config keys: schedule, retention, metrics; S3 keys only when enabled', () => {
    const v = etcdMigrateVars.parse({ etcd_offsite_backup: NO_OFFSITE_BACKUP });
    assert.deepEqual(etcdConfigKeys(v), { 'etcd-expose-metrics': true, 'etcd-snapshot-schedule-cron': '0 */12 * * *', 'etcd-snapshot-retention': 5 });
    const s3 = etcdConfigKeys(etcdMigrateVars.parse({ etcd_s3: { enabled: true, bucket: 'k3s', endpoint: 'minio.lan:9000', access_key: 'AK', secret_key: 'SK', retention: 10 } }));
    assert.equal(s3['etcd-s3'], true);
    assert.equal(s3['etcd-s3-bucket'], 'k3s');
    assert.equal(s3['etcd-s3-secret-key'], 'SK');
    assert.equal(s3['etcd-s3-retention'], 10);
  });

  it('S3 enabled without a bucket, or with only one of the keys, is refused naming the field', () => {
    const r = etcdMigrateVars.safeParse({ etcd_s3: { enabled: true, access_key: 'AK' } });
    assert.ok(!r.success);
    assert.deepEqual(r.error.issues.map((i) => i.path.join('.')).sort(), ['etcd_s3.bucket', 'etcd_s3.secret_key']);
  });

  it('S3 settings follow what K3s and S3 accept: endpoint host[:port] without scheme, bucket naming rules, folder inside the bucket', () => {
    const problems = (s3: Record<string, unknown>) => etcdMigrateVars.safeParse({ etcd_s3: { enabled: true, bucket: 'k3s-etcd', ...s3 } }).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];
    assert.deepEqual(problems({ endpoint: 'minio.lan:9000' }), []);
    assert.deepEqual(problems({ endpoint: '[fd00::9]:9000', bucket: 'backups.k3s-1' }), []);
    assert.match(problems({ endpoint: 'https://minio.lan:9000' }).join('\n'), /^etcd_s3\.endpoint: etcd_s3\.endpoint is a host\[:port\] without a scheme/m);
    assert.match(problems({ endpoint: 'minio.lan/bucket' }).join('\n'), /^etcd_s3\.endpoint: etcd_s3\.endpoint must be a host name or address/m);
    assert.match(problems({ folder: '/prod' }).join('\n'), /^etcd_s3\.folder: /m);
    assert.match(problems({ region: 'EU West' }).join('\n'), /^etcd_s3\.region: /m);
    assert.match(problems({ insecure: true }).join('\n'), /^etcd_s3\.insecure: etcd_s3\.insecure sends the keys in clear text/m);
    const bad: Array<[string, RegExp]> = [['K3s', /lowercase/], ['ab', /3 to 63/], ['a'.repeat(64), /3 to 63/], ['k3s..etcd', /adjacent dots/], ['192.168.5.4', /IP address/],
      ['-k3s', /starting and ending/], ['k3s_etcd', /lowercase/], ['xn--k3s', /reserves/], ['k3s-s3alias', /reserves/]];
    for (const [name, why] of bad) {
      assert.match(bucketNameProblem(name) ?? '', why, name);
      assert.match(problems({ bucket: name }).join('\n'), /^etcd_s3\.bucket: etcd_s3\.bucket /m, name);
    }
    for (const ok of ['k3s', 'k3s-etcd', 'my.backups.2026', 'a'.repeat(63)]) assert.equal(bucketNameProblem(ok), undefined, ok);
  });

  it('S3 secrets are Secrets in the variables (they print masked)', () => {
    const v = etcdMigrateVars.parse({ etcd_s3: { enabled: true, bucket: 'k3s-b', access_key: 'AKIA-CANARY', secret_key: 'SK-CANARY' } });
    assert.ok(!JSON.stringify(v).includes('CANARY'));
  });

  it('the copy script sends the snapshots and the token with host keys checked; the timer has the schedule', () => {
    const c = { target: 'backup@10.0.0.9:/srv/k3s', identity_file: '/root/.ssh/k3s_backup', port: 2222, on_calendar: '*-*-* 00/6:00:00' };
    const script = renderCopyScript(c, '/var/lib/rancher/k3s/server/db/snapshots');
    assert.match(script, /StrictHostKeyChecking=yes/);
    assert.match(script, /scp -q -p -i "\$key" -P "\$port" \$opts "\$token" "\$src"\/\* "\$login:\$dir\/"/);
    assert.match(script, /^token='\/var\/lib\/rancher\/k3s\/server\/token'$/m);
    assert.match(script, /^dir='\/srv\/k3s'\/"\$\(hostname\)"$/m);
    assert.match(renderCopyTimer(c), /^OnCalendar=\*-\*-\* 00\/6:00:00$/m);
  });
});
