/**
 * The etcd-migrate role's variables: a zod schema with documented defaults, validated for
 * every host before any connection; errors name the variable. The k3s-server variables
 * (version, air-gap directory, critical values, tls_san, ...) are accepted too and passed on,
 * so that the converted and the joining servers render the same config.yaml as k3s-server.
 *
 *   etcdMigrate.use({ lb_address: '10.10.10.100', etcd_snapshot: { schedule_cron: '0 *\/6 * * *', retention: 10 },
 *     snapshot_copy: { target: 'backup@10.10.10.9:/srv/k3s-snapshots', identity_file: '/root/.ssh/k3s_backup' } })
 */
import { checkExtraConfig, secretVar, serverVars, k3sVersionVar, K3S_VERSION_PATTERN } from '@capstan/k3s-server';
import { z } from 'capstan';

const { mode: _mode, join_server_url: _url, token_from_server: _from, k3s_version: _v, ...serverShape } = serverVars.shape;

const version = z.string().regex(K3S_VERSION_PATTERN, 'must be a K3s release such as v1.32.6+k3s1');
const oneLine = (what: string) => z.string().min(1, `${what} must not be empty`).refine((s) => !/[\0\r\n]/.test(s), `${what} must be one line`);
const absPath = (what: string) => oneLine(what).refine((p) => p.startsWith('/') && !p.split('/').includes('..'), `${what} must be an absolute path without ".."`);

export const etcdSnapshotVar = z.object({
  schedule_cron: oneLine('etcd_snapshot.schedule_cron').default('0 */12 * * *').describe('etcd-snapshot-schedule-cron'),
  retention: z.number().int().min(1).default(5).describe('etcd-snapshot-retention (local snapshots kept)'),
  compress: z.boolean().default(false).describe('etcd-snapshot-compress'),
  dir: absPath('etcd_snapshot.dir').optional().describe('etcd-snapshot-dir (default ${data-dir}/server/db/snapshots)'),
  name: oneLine('etcd_snapshot.name').optional().describe('etcd-snapshot-name prefix (default etcd-snapshot)'),
}).strict();

export const etcdS3Var = z.object({
  enabled: z.boolean().default(false),
  endpoint: oneLine('etcd_s3.endpoint').default('s3.amazonaws.com'),
  bucket: oneLine('etcd_s3.bucket').optional(),
  folder: oneLine('etcd_s3.folder').optional(),
  region: oneLine('etcd_s3.region').default('us-east-1'),
  access_key: secretVar('etcd_s3.access_key').optional(),
  secret_key: secretVar('etcd_s3.secret_key').optional(),
  config_secret: oneLine('etcd_s3.config_secret').optional().describe('etcd-s3-config-secret: keys in a kube-system Secret (cannot be used for a restore)'),
  endpoint_ca: absPath('etcd_s3.endpoint_ca').optional(),
  skip_ssl_verify: z.boolean().default(false),
  insecure: z.boolean().default(false),
  timeout: oneLine('etcd_s3.timeout').default('5m0s'),
  retention: z.number().int().min(1).optional().describe('etcd-s3-retention (K3s >= v1.32.8+k3s1)'),
}).strict().superRefine((s, ctx) => {
  if (s.enabled && !s.bucket) ctx.addIssue({ code: 'custom', path: ['bucket'], message: 'etcd_s3.enabled needs etcd_s3.bucket' });
  if (s.enabled && !s.config_secret && Boolean(s.access_key) !== Boolean(s.secret_key)) {
    ctx.addIssue({ code: 'custom', path: ['secret_key'], message: 'etcd_s3 needs both access_key and secret_key (or neither, for an IAM role)' });
  }
});

export const snapshotCopyVar = z.object({
  target: z.string().regex(/^[A-Za-z0-9._-]+@[A-Za-z0-9._-]+:\/[A-Za-z0-9._/-]*$/, 'must be user@host:/absolute/dir (letters, digits, ".", "_", "-", "/")').describe('scp destination; snapshots land in <dir>/<server hostname>/'),
  identity_file: absPath('snapshot_copy.identity_file').describe('private key on each server for the backup host'),
  port: z.number().int().min(1).max(65535).default(22),
  on_calendar: oneLine('snapshot_copy.on_calendar').default('*-*-* 00/12:30:00').describe('systemd OnCalendar of the copy timer (default: 30 min after each default snapshot)'),
}).strict();

export const etcdMigrateVars = z.object({
  ...serverShape,
  k3s_version: k3sVersionVar,
  servers_group: oneLine('servers_group').default('server').describe('inventory group of the K3s servers; its first host is the SQLite server converted'),
  lb_address: oneLine('lb_address').optional().describe('load balancer address (VIP or DNS name) added to tls-san; default: ansible_host of the first host of group `loadbalancer`'),
  min_version: version.default('v1.32.6+k3s1').describe('lowest K3s release to migrate on (absolute floor v1.22.2+k3s1)'),
  known_bad_versions: z.array(version).default(['v1.32.5+k3s1']).describe('releases whose SQLite to etcd migration is broken (exact match, +k3sN included)'),
  backup_dir: absPath('backup_dir').default('/var/lib/rancher/k3s-premigration').describe('pre-migration copy of server/db, the token and config.yaml on the first server'),
  fetch_backup_to: z.union([z.literal(false), oneLine('fetch_backup_to')]).default('backups').describe('controller directory for the backup archive (<dir>/<host>/premigration-backup.tar.gz, 0600); false: keep it on the host only'),
  disk_factor: z.number().min(1).default(2).describe('free space needed at /var/lib/rancher, as a multiple of the size of server/db'),
  etcd_expose_metrics: z.boolean().default(true).describe('etcd-expose-metrics (Prometheus scrapes etcd on 2381)'),
  etcd_snapshot: etcdSnapshotVar.default({ schedule_cron: '0 */12 * * *', retention: 5, compress: false }),
  etcd_s3: etcdS3Var.default({ enabled: false, endpoint: 's3.amazonaws.com', region: 'us-east-1', skip_ssl_verify: false, insecure: false, timeout: '5m0s' }),
  snapshot_copy: z.union([z.literal(false), snapshotCopyVar]).default(false).describe('copy snapshots and the token to a backup host over SSH on a systemd timer; false: none'),
  convert_timeout_s: z.number().int().min(5).max(3600).default(300).describe('bound on the wait for the migration'),
  join_timeout_s: z.number().int().min(5).max(7200).default(600).describe('bound on the wait for each joining server'),
  rollback_on_failure: z.boolean().default(true).describe('restore the SQLite backup when the conversion fails its checks'),
}).superRefine(checkExtraConfig('server'));

export type EtcdMigrateVars = z.output<typeof etcdMigrateVars>;
