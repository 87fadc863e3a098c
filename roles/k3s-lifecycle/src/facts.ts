/**
 * What the lifecycle roles read from a host: one read-only command each, with a pure parser.
 *
 *   k3sRunState({ unit: 'k3s', dataDir })   // { installed: 'v1.32.11+k3s3', unitFile: true, active: true, restartPending: false, etcd: true, hostname: 'server1' }
 *   k3sNodeSchedule({ node: 'agent1' })     // { exists: true, unschedulable: false, drainedForUpgrade: false }   (run on a server)
 *   k3sUninstallState({ dataDir })          // { scripts: ['/usr/local/bin/k3s-uninstall.sh'], leftovers: ['/var/lib/rancher/k3s'] }
 *
 * A restart is pending when the binary on disk is newer than the running service (it was
 * replaced after the service started): K3s keeps running the old binary until restarted.
 */
import { DEFAULT_DATA_DIR, K3S_BIN, k3sPaths, keyValues, SYSTEMD_DIR, versionFromK3sOutput, type K3sUnit } from '@capstan/k3s-server';
import { defineFact, sh } from 'capstan';

export const UNINSTALL_SCRIPTS = ['/usr/local/bin/k3s-agent-uninstall.sh', '/usr/local/bin/k3s-uninstall.sh'] as const;
/** What K3s leaves on a host (its data under `dataDir`); any of it without an uninstall script means a broken install. */
export function k3sPathsOnHost(dataDir: string = DEFAULT_DATA_DIR): string[] {
  return [K3S_BIN, '/etc/rancher/k3s', ...new Set([DEFAULT_DATA_DIR, dataDir]), `${SYSTEMD_DIR}/k3s.service`, `${SYSTEMD_DIR}/k3s-agent.service`];
}
/** Label set on a node drained for an upgrade, removed when it is uncordoned: a node cordoned by someone else stays cordoned. */
export const DRAINED_LABEL = 'capstan.io/upgrade-drained';

export interface K3sRunState {
  installed: string | null;
  unitFile: boolean;
  active: boolean;
  /** The binary on disk changed after the service started, or the service is not running. */
  restartPending: boolean;
  etcd: boolean;
  hostname: string;
}

export const k3sRunState = defineFact<{ unit: K3sUnit; dataDir?: string }, K3sRunState>({
  name: 'k3s.runstate',
  command: ({ unit, dataDir }) => sh`b=${K3S_BIN}; n=${unit}; u=${`${SYSTEMD_DIR}/${unit}.service`}; e=${k3sPaths(dataDir).etcd}; ` + [
    'if [ -x "$b" ]; then echo "version=$("$b" --version 2>/dev/null | head -n 1)"; echo "changed=$(stat -c %Z "$b")"; else echo version=; echo changed=0; fi',
    'if [ -f "$u" ]; then echo unit=yes; else echo unit=no; fi',
    'echo "active=$(systemctl is-active "$n" 2>/dev/null)"',
    's=$(systemctl show -p ExecMainStartTimestamp --value "$n" 2>/dev/null); echo "started=$( [ -n "$s" ] && [ "$s" != n/a ] && date -d "$s" +%s 2>/dev/null || echo 0)"',
    'if [ -d "$e" ]; then echo etcd=yes; else echo etcd=no; fi',
    'echo "hostname=$(hostname 2>/dev/null || cat /etc/hostname)"',
  ].join('; '),
  parse: parseRunState,
});

export function parseRunState(out: string): K3sRunState {
  const kv = keyValues(out);
  const active = kv.get('active') === 'active';
  const changed = Number(kv.get('changed') ?? 0);
  const started = Number(kv.get('started') ?? 0);
  const installed = versionFromK3sOutput(kv.get('version') ?? '');
  return {
    installed,
    unitFile: kv.get('unit') === 'yes',
    active,
    restartPending: installed !== null && (!active || changed > started),
    etcd: kv.get('etcd') === 'yes',
    hostname: kv.get('hostname') ?? '',
  };
}

export interface K3sNodeSchedule {
  exists: boolean;
  unschedulable: boolean;
  drainedForUpgrade: boolean;
}

export const k3sNodeSchedule = defineFact<{ node: string }, K3sNodeSchedule>({
  name: 'k3s.nodeschedule',
  command: ({ node }) => sh`${K3S_BIN} kubectl get node ${node} -o json 2>/dev/null || echo absent`,
  parse: parseNodeSchedule,
});

export function parseNodeSchedule(out: string): K3sNodeSchedule {
  if (!out.trim().startsWith('{')) return { exists: false, unschedulable: false, drainedForUpgrade: false };
  const n = JSON.parse(out) as { spec?: { unschedulable?: boolean }; metadata?: { labels?: Record<string, string> } };
  return { exists: true, unschedulable: n.spec?.unschedulable === true, drainedForUpgrade: n.metadata?.labels?.[DRAINED_LABEL] !== undefined };
}

export interface K3sUninstallState {
  /** Uninstall scripts present, agent first. */
  scripts: string[];
  /** K3s files still on the host. */
  leftovers: string[];
}

export const k3sUninstallState = defineFact<{ dataDir?: string }, K3sUninstallState>({
  name: 'k3s.uninstall',
  command: ({ dataDir }) => [...UNINSTALL_SCRIPTS, ...k3sPathsOnHost(dataDir)].map((p) => sh`if [ -e ${p} ]; then echo ${`present=${p}`}; fi`).join('; ') + '; true',
  parse: (out) => {
    const present = out.split('\n').filter((l) => l.startsWith('present=')).map((l) => l.slice('present='.length).trim());
    const scripts: string[] = UNINSTALL_SCRIPTS.filter((s) => present.includes(s));
    return { scripts, leftovers: present.filter((p) => !scripts.includes(p)) };
  },
});
