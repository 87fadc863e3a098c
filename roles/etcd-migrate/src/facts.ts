/**
 * What etcd-migrate reads from a server: one read-only command each, with a pure parser.
 *
 *   etcdHostState({ backupDir: '/var/lib/rancher/k3s-premigration', dataDir: '/var/lib/rancher/k3s' })
 *   // { datastore: 'sqlite', etcdDir: false, stateDb: true, version: 'v1.32.11+k3s3', freeBytes, dbBytes, active: true, ... }
 *   etcdPeerPorts(['10.0.0.2', '10.0.0.3'])   // { '10.0.0.2:2379': 'refused', ... }  (refused = reachable, nothing listening yet)
 *   clusterInventory()                        // ObjectInventory | null when the API server does not answer
 *   etcdSnapshots(dir)                        // file names in the snapshot directory
 */
import { dirname } from 'node:path';
import { DEFAULT_DATA_DIR, K3S_BIN, k3sPaths, versionFromK3sOutput } from '@capstan/k3s-server';
import { defineFact, sh } from 'capstan';
import type { Datastore, PortReach } from './gates.ts';
import { INVENTORY_PIPELINE, parseInventory, type ObjectInventory } from './inventory.ts';

/** Paths under K3s's default data directory; the modules take the data directory (k3s_data_dir) as an argument. */
export const SERVER_DIR = k3sPaths().server;
export const DB_DIR = k3sPaths().db;
export const SNAPSHOT_DIR = k3sPaths().snapshots;
export const CONFIG_FILE = '/etc/rancher/k3s/config.yaml';

export interface EtcdHostState {
  datastore: Datastore;
  etcdDir: boolean;
  stateDb: boolean;
  stateDbMigrated: boolean;
  version: string | null;
  active: boolean;
  dbBytes: number;
  freeBytes: number;
  /** The backup directory holds a verified manifest (SHA256SUMS). */
  backupPresent: boolean;
  /** The node name K3s registers unless node-name is set. */
  hostname: string;
  /** server/token against the one in the pre-migration backup's manifest: same, differs, or unknown (no backup or no token). */
  token: 'same' | 'differs' | 'unknown';
}

export const etcdHostState = defineFact<{ backupDir: string; dataDir?: string }, EtcdHostState>({
  name: 'etcd.host',
  command: ({ backupDir, dataDir = DEFAULT_DATA_DIR }) => sh`b=${K3S_BIN}; d=${k3sPaths(dataDir).db}; c=${CONFIG_FILE}; bk=${backupDir}; p=${dirname(dataDir)}; ` + [
    'if [ -x "$b" ]; then echo "version=$("$b" --version 2>/dev/null | head -n 1)"; else echo version=; fi',
    'if [ -d "$d/etcd" ]; then echo etcd=yes; else echo etcd=no; fi',
    'if [ -f "$d/state.db" ]; then echo statedb=yes; else echo statedb=no; fi',
    'if [ -f "$d/state.db.migrated" ]; then echo migrated=yes; else echo migrated=no; fi',
    'if cat "$c" /etc/rancher/k3s/config.yaml.d/*.yaml 2>/dev/null | grep -Eq "^datastore-endpoint:"; then echo endpoint=yes; else echo endpoint=no; fi',
    'echo "active=$(systemctl is-active k3s 2>/dev/null)"',
    'echo "dbbytes=$(du -sb "$d" 2>/dev/null | cut -f1)"',
    'while [ ! -d "$p" ]; do p=$(dirname "$p"); done; echo "free=$(df -P -B1 "$p" | awk \'NR==2 {print $4}\')"',
    'if [ -f "$bk/SHA256SUMS" ]; then echo backup=yes; else echo backup=no; fi',
    'echo "hostname=$(hostname 2>/dev/null || cat /etc/hostname)"',
    'tk="$(dirname "$d")/token"; if [ -f "$bk/SHA256SUMS" ] && [ -f "$tk" ]; then w=$(awk \'$2 == "token" { print $1 }\' "$bk/SHA256SUMS"); g=$(sha256sum < "$tk" | cut -d " " -f 1); if [ "$w" = "$g" ]; then echo token=same; else echo token=differs; fi; else echo token=unknown; fi',
  ].join('; '),
  parse: parseHostState,
});

export function parseHostState(out: string): EtcdHostState {
  const kv = new Map(out.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1).trim()] as const));
  const yes = (k: string) => kv.get(k) === 'yes';
  const etcdDir = yes('etcd');
  const stateDb = yes('statedb');
  const datastore: Datastore = yes('endpoint') ? 'external' : etcdDir ? 'etcd' : stateDb ? 'sqlite' : 'none';
  return {
    datastore, etcdDir, stateDb, stateDbMigrated: yes('migrated'),
    version: versionFromK3sOutput(kv.get('version') ?? ''),
    active: kv.get('active') === 'active',
    dbBytes: Number(kv.get('dbbytes') || 0),
    freeBytes: Number(kv.get('free') || 0),
    backupPresent: yes('backup'),
    hostname: kv.get('hostname') ?? '',
    token: kv.get('token') === 'same' ? 'same' : kv.get('token') === 'differs' ? 'differs' : 'unknown',
  };
}

/** TCP reachability of 2379 and 2380 on each peer: open, refused (reachable, nothing listening yet) or filtered. */
export const etcdPeerPorts = defineFact<readonly string[], Record<string, PortReach>>({
  name: 'etcd.ports',
  command: (peers) => [
    'probe() { timeout 3 bash -c \': <"/dev/tcp/$1/$2"\' capstan-probe "$1" "$2" 2>&1; echo "rc=$?"; }',
    ...peers.flatMap((p) => [2379, 2380].map((port) => sh`r=$(probe ${p} ${String(port)}); echo ${`${p}:${port}`} "$r" | tr '\n' ' '; echo`)),
  ].join('\n'),
  parse: parsePeerPorts,
});

export function parsePeerPorts(out: string): Record<string, PortReach> {
  const res: Record<string, PortReach> = {};
  for (const line of out.split('\n').filter((l) => l.trim())) {
    const [target = '', ...rest] = line.trim().split(/\s+/);
    const text = rest.join(' ');
    res[target] = /rc=0\b/.test(text) ? 'open' : /refused/i.test(text) ? 'refused' : 'filtered';
  }
  return res;
}

export const clusterInventory = defineFact<void, ObjectInventory | null>({
  name: 'etcd.inventory',
  command: () => `if ! ${K3S_BIN} kubectl get --raw=/readyz >/dev/null 2>&1; then echo unavailable; exit 0; fi\n${INVENTORY_PIPELINE}`,
  parse: (out, rc) => (out.trim() === 'unavailable' || rc !== 0 ? null : parseInventory(out)),
});

export const etcdSnapshots = defineFact<string, string[]>({
  name: 'etcd.snapshots',
  command: (dir) => sh`if [ -d ${dir} ]; then ls -1 -- ${dir}; fi`,
  parse: (out) => out.split('\n').map((l) => l.trim()).filter(Boolean).sort(),
});
