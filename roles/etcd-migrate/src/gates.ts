/**
 * The read-only gates checked before anything changes: pure functions of what the probes saw
 * on every server, so they are table-tested and shown under --check.
 *
 *   evaluateGates({ first: 'server1', desired: 'v1.32.11+k3s3', minVersion: 'v1.32.6+k3s1',
 *                   knownBad: ['v1.32.5+k3s1'], diskFactor: 2, servers: [obs1, obs2, obs3] })
 *   // [{ gate: 'odd server count', ok: true, detail: '3 servers' }, ...]
 */
import { compareK3sVersions } from '@capstan/k3s-server';

export type Datastore = 'sqlite' | 'etcd' | 'external' | 'none';
export type PortReach = 'open' | 'refused' | 'filtered';

/** What the probe saw on one server. */
export interface ServerObservation {
  host: string;
  datastore: Datastore;
  /** Installed K3s version, null when K3s is not installed. */
  version: string | null;
  /** Bytes under server/db. */
  dbBytes: number;
  /** Free bytes on the filesystem holding /var/lib/rancher. */
  freeBytes: number;
  /** Reachability of each peer's etcd ports, `address:port` -> state. */
  ports: Record<string, PortReach>;
}

export interface GateInput {
  first: string;
  desired: string;
  minVersion: string;
  knownBad: readonly string[];
  diskFactor: number;
  servers: readonly ServerObservation[];
}

export interface GateResult {
  gate: string;
  ok: boolean;
  detail: string;
}

/** The absolute floor: older K3s creates a new, empty etcd datastore instead of migrating. */
export const ABSOLUTE_FLOOR = 'v1.22.2+k3s1';

/** Why a version may not run the migration, or undefined when it may. */
export function versionRefusal(version: string, minVersion: string, knownBad: readonly string[]): string | undefined {
  if (knownBad.includes(version)) return `${version} is a known-bad release for the SQLite to etcd migration (k3s-io/k3s#12478); use ${minVersion} or newer`;
  if (compareK3sVersions(version, ABSOLUTE_FLOOR) < 0) return `${version} is older than ${ABSOLUTE_FLOOR}: it would start an empty etcd datastore instead of migrating`;
  if (compareK3sVersions(version, minVersion) < 0) return `${version} is older than the floor ${minVersion}`;
  return undefined;
}

const gib = (n: number) => `${(n / 2 ** 30).toFixed(2)} GiB`;

function datastoreGate(i: GateInput): GateResult {
  const bad: string[] = [];
  for (const s of i.servers) {
    if (s.host === i.first) {
      if (s.datastore === 'external') bad.push(`${s.host} uses an external datastore (datastore-endpoint): only SQLite converts to etcd`);
      if (s.datastore === 'none') bad.push(`${s.host} has no datastore: nothing to migrate (install it with k3s-server mode cluster-init)`);
    } else if (s.datastore === 'sqlite' || s.datastore === 'external') {
      bad.push(`${s.host} already runs its own ${s.datastore} cluster: uninstall K3s there or remove it from the servers`);
    }
  }
  const seen = i.servers.map((s) => `${s.host}=${s.datastore}`).join(', ');
  return { gate: 'datastore', ok: bad.length === 0, detail: bad.length ? bad.join('; ') : seen };
}

function versionGates(i: GateInput): GateResult[] {
  const floor = versionRefusal(i.desired, i.minVersion, i.knownBad);
  const installed = i.servers.filter((s) => s.version !== null);
  const firstVersion = i.servers.find((s) => s.host === i.first)?.version ?? null;
  const firstRefusal = firstVersion ? versionRefusal(firstVersion, i.minVersion, i.knownBad) : undefined;
  const differ = installed.filter((s) => s.version !== i.desired);
  return [
    { gate: 'version floor and known-bad releases', ok: !floor && !firstRefusal, detail: floor ?? (firstRefusal ? `${i.first} runs ${firstRefusal}` : `${i.desired} >= ${i.minVersion}, not in [${i.knownBad.join(', ')}]`) },
    {
      gate: 'same version everywhere', ok: differ.length === 0,
      detail: differ.length
        ? `${differ.map((s) => `${s.host} runs ${s.version}`).join(', ')}, desired ${i.desired}: bring every server to one release with k3s-server first`
        : `${installed.length} installed at ${i.desired}${installed.length < i.servers.length ? `, ${i.servers.length - installed.length} to install` : ''}`,
    },
  ];
}

function countGate(i: GateInput): GateResult {
  const n = i.servers.length;
  const ok = n % 2 === 1;
  return { gate: 'odd server count', ok, detail: ok ? `${n} servers (quorum ${Math.floor(n / 2) + 1})` : `${n} servers: etcd needs an odd count (1, 3, 5, 7) so that a majority survives a failure` };
}

function portGate(i: GateInput): GateResult {
  const blocked = i.servers.flatMap((s) => Object.entries(s.ports).filter(([, st]) => st === 'filtered').map(([to]) => `${s.host} -> ${to}`));
  const pairs = i.servers.reduce((n, s) => n + Object.keys(s.ports).length, 0);
  return { gate: 'etcd ports 2379-2380 between servers', ok: blocked.length === 0, detail: blocked.length ? `no answer (filtered): ${blocked.join(', ')}; open 2379-2380/tcp between the servers` : `${pairs} server-to-port paths answer` };
}

function diskGate(i: GateInput): GateResult {
  const first = i.servers.find((s) => s.host === i.first);
  if (!first) return { gate: 'free disk', ok: false, detail: `${i.first} was not probed` };
  const need = Math.max(first.dbBytes * i.diskFactor, 64 * 2 ** 20);
  const ok = first.freeBytes >= need;
  return { gate: 'free disk', ok, detail: `${i.first}: ${gib(first.freeBytes)} free, ${ok ? '>=' : 'below'} ${gib(need)} (${i.diskFactor} x server/db ${gib(first.dbBytes)}, at least 64 MiB)` };
}

export function evaluateGates(i: GateInput): GateResult[] {
  return [datastoreGate(i), ...versionGates(i), countGate(i), portGate(i), diskGate(i)];
}

/** One line per gate, failed ones first, for a step's message. */
export function gateReport(results: readonly GateResult[]): string {
  return [...results].sort((a, b) => Number(a.ok) - Number(b.ok)).map((r) => `${r.ok ? 'ok    ' : 'FAILED'} ${r.gate}: ${r.detail}`).join('\n');
}
