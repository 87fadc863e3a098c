/**
 * K3s's data directory (`--data-dir`, default /var/lib/rancher/k3s) and the paths under it the
 * K3s roles touch: one function, so every role (server, agent, backups, migration, restore,
 * monitoring manifests) follows a non-default data directory the same way.
 *
 *   k3sPaths('/data/k3s').nodeToken     // '/data/k3s/server/node-token'
 *   k3sPaths().snapshots                // '/var/lib/rancher/k3s/server/db/snapshots'
 *   dataDirConfig('/data/k3s')          // '/data/k3s' (config.yaml data-dir); undefined for the default
 */
import { z } from 'capstan';

export const DEFAULT_DATA_DIR = '/var/lib/rancher/k3s';

export interface K3sPaths {
  dataDir: string;
  server: string;
  db: string;
  etcd: string;
  stateDb: string;
  snapshots: string;
  token: string;
  nodeToken: string;
  manifests: string;
  staticCharts: string;
  images: string;
}

export function k3sPaths(dataDir: string = DEFAULT_DATA_DIR): K3sPaths {
  const server = `${dataDir}/server`;
  const db = `${server}/db`;
  return {
    dataDir, server, db,
    etcd: `${db}/etcd`,
    stateDb: `${db}/state.db`,
    snapshots: `${db}/snapshots`,
    token: `${server}/token`,
    nodeToken: `${server}/node-token`,
    manifests: `${server}/manifests`,
    staticCharts: `${server}/static/charts`,
    images: `${dataDir}/agent/images`,
  };
}

/** The config.yaml `data-dir` value: left out for K3s's default, so existing configs stay byte-equal. */
export function dataDirConfig(dataDir: string): string | undefined {
  return dataDir === DEFAULT_DATA_DIR ? undefined : dataDir;
}

export const dataDirVar = z.string()
  .regex(/^\/[^\0\r\n]*$/, 'must be an absolute path on one line')
  .refine((p) => !p.split('/').includes('..') && p !== '/', 'must not be / or contain ".."')
  .transform((p) => (p.length > 1 ? p.replace(/\/+$/, '') : p))
  .default(DEFAULT_DATA_DIR)
  .describe('K3s data directory (data-dir; k3s-ansible: k3s_server_location): tokens, datastore, snapshots, manifests, images');

/** K3s's configuration directory and the admin kubeconfig it writes (not under the data directory). */
export const CONFIG_DIR = '/etc/rancher/k3s';
export const ADMIN_KUBECONFIG = `${CONFIG_DIR}/k3s.yaml`;
