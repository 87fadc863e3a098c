/**
 * The k3s-server variables every server of the etcd cluster is rendered with, from the
 * etcd-migrate variables: one function, so the conversion and a later k3s-server run produce
 * byte-equal config.yaml (no restart on a re-run).
 *
 *   const sv = clusterServerVars(v, ctx, 'server2');   // mode join, server: https://<first>:6443, token from the first server
 *   etcdConfigKeys(v)   // { 'etcd-expose-metrics': true, 'etcd-snapshot-schedule-cron': '0 *\/12 * * *', ... }
 */
import { serverVars, type ServerVars } from '@capstan/k3s-server';
import type { RoleContext } from 'capstan';
import type { EtcdMigrateVars } from './vars.ts';

/** The K3s config keys for the etcd datastore: metrics, snapshot schedule and retention, S3. */
export function etcdConfigKeys(v: EtcdMigrateVars): Record<string, string | number | boolean> {
  const s = v.etcd_snapshot;
  const keys: Record<string, string | number | boolean | undefined> = {
    'etcd-expose-metrics': v.etcd_expose_metrics || undefined,
    'etcd-snapshot-schedule-cron': s.schedule_cron,
    'etcd-snapshot-retention': s.retention,
    'etcd-snapshot-compress': s.compress || undefined,
    'etcd-snapshot-dir': s.dir,
    'etcd-snapshot-name': s.name,
  };
  const s3 = v.etcd_s3;
  if (s3.enabled) {
    Object.assign(keys, {
      'etcd-s3': true,
      'etcd-s3-endpoint': s3.endpoint,
      'etcd-s3-bucket': s3.bucket,
      'etcd-s3-folder': s3.folder,
      'etcd-s3-region': s3.region,
      'etcd-s3-access-key': s3.access_key?.reveal(),
      'etcd-s3-secret-key': s3.secret_key?.reveal(),
      'etcd-s3-config-secret': s3.config_secret,
      'etcd-s3-endpoint-ca': s3.endpoint_ca,
      'etcd-s3-skip-ssl-verify': s3.skip_ssl_verify || undefined,
      'etcd-s3-insecure': s3.insecure || undefined,
      'etcd-s3-timeout': s3.timeout,
      'etcd-s3-retention': s3.retention,
    });
  }
  return Object.fromEntries(Object.entries(keys).filter((e): e is [string, string | number | boolean] => e[1] !== undefined));
}

export interface Cluster {
  servers: readonly string[];
  first: string;
  /** Address other hosts use for a server: ansible_host, else the inventory name. */
  address(host: string): string;
  lbAddress: string | undefined;
}

export function clusterOf(v: EtcdMigrateVars, ctx: RoleContext): Cluster {
  const servers = ctx.groupHosts(v.servers_group);
  const first = servers[0];
  if (!first) throw new Error(`etcd-migrate: inventory group "${v.servers_group}" (servers_group) has no hosts`);
  const address = (h: string) => String(ctx.hostVars(h).ansible_host ?? h);
  const lb = ctx.groupHosts('loadbalancer')[0];
  return { servers, first, address, lbAddress: v.lb_address ?? (lb ? address(lb) : undefined) };
}

/** k3s-server variables for `host`: cluster-init on the first server, join on the others. */
export function clusterServerVars(v: EtcdMigrateVars, c: Cluster, host: string): ServerVars {
  const join = host !== c.first;
  return serverVars.parse({
    ...v,
    mode: join ? 'join' : 'cluster-init',
    join_server_url: join ? `https://${c.address(c.first)}:${v.api_port}` : undefined,
    token_from_server: join && !v.token ? c.first : undefined,
    tls_san: [...v.tls_san, ...(c.lbAddress ? [c.lbAddress] : [])],
    extra_config: { ...etcdConfigKeys(v), ...v.extra_config },
    fetch_kubeconfig: false,
  });
}
