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

/** Why `name` breaks S3's bucket naming rules, or undefined when it follows them. */
export function bucketNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 63) return 'must be 3 to 63 characters long';
  if (!/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(name)) return 'must be lowercase letters, digits, "." and "-", starting and ending with a letter or digit';
  if (name.includes('..')) return 'must not contain two adjacent dots';
  if (/^\d+\.\d+\.\d+\.\d+$/.test(name)) return 'must not look like an IP address';
  if (/^(xn--|sthree-)/.test(name) || /(-s3alias|--ol-s3)$/.test(name)) return 'must not use a prefix (xn--, sthree-) or suffix (-s3alias, --ol-s3) S3 reserves';
  return undefined;
}

/** K3s's etcd-s3-endpoint: host[:port], no scheme (etcd_s3.insecure picks http) and no path. */
const s3Endpoint = oneLine('etcd_s3.endpoint').superRefine((e, ctx) => {
  if (/^[a-z]+:\/\//i.test(e)) ctx.addIssue({ code: 'custom', message: `etcd_s3.endpoint is a host[:port] without a scheme (K3s adds https://, or http:// with etcd_s3.insecure: true), got ${JSON.stringify(e)}` });
  else if (!/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?$/.test(e) && !/^\[[0-9a-fA-F:]+\](:[0-9]{1,5})?$/.test(e)) ctx.addIssue({ code: 'custom', message: `etcd_s3.endpoint must be a host name or address with an optional :port, got ${JSON.stringify(e)}` });
});

export const etcdS3Var = z.object({
  enabled: z.boolean().default(false),
  endpoint: s3Endpoint.default('s3.amazonaws.com'),
  bucket: oneLine('etcd_s3.bucket').superRefine((b, ctx) => {
    const p = bucketNameProblem(b);
    if (p) ctx.addIssue({ code: 'custom', message: `etcd_s3.bucket ${p}, got ${JSON.stringify(b)}` });
  }).optional(),
  folder: oneLine('etcd_s3.folder').refine((f) => !f.startsWith('/') && !f.split('/').includes('..'), 'etcd_s3.folder is a path inside the bucket, without a leading "/" or ".."').optional(),
  region: oneLine('etcd_s3.region').regex(/^[a-z0-9-]+$/, 'etcd_s3.region must be a region name such as us-east-1').default('us-east-1'),
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
  if (s.insecure && s.endpoint === 's3.amazonaws.com') ctx.addIssue({ code: 'custom', path: ['insecure'], message: 'etcd_s3.insecure sends the keys in clear text: use it only with your own endpoint, never AWS' });
});

/** The value that lets an HA cluster go without off-site snapshots. */
export const NO_OFFSITE_BACKUP = 'none-i-accept-the-risk';

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
  etcd_offsite_backup: z.enum(['required', NO_OFFSITE_BACKUP]).default('required')
    .describe(`required: refuse to run unless etcd_s3 or snapshot_copy sends snapshots off the servers; '${NO_OFFSITE_BACKUP}' to run without`),
}).superRefine(checkExtraConfig('server')).superRefine((v, ctx) => {
  if (v.etcd_offsite_backup === 'required' && !v.etcd_s3.enabled && v.snapshot_copy === false) {
    ctx.addIssue({
      code: 'custom', path: ['etcd_offsite_backup'],
      message: 'an HA cluster needs its etcd snapshots off the servers: set etcd_s3 (enabled, endpoint, bucket, keys) or snapshot_copy (target, identity_file), ' +
        `or etcd_offsite_backup: '${NO_OFFSITE_BACKUP}' to run without (a lost disk set then loses the cluster)`,
    });
  }
});

export type EtcdMigrateVars = z.output<typeof etcdMigrateVars>;
