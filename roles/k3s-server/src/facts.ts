/**
 * What the K3s roles read from a host: one read-only command each, with a pure parser.
 *
 *   k3sInstallState({ unit: 'k3s' })   // { version: 'v1.32.11+k3s3' | null, unit: true, env: true, enabled: true, active: true, hostname: 'server1' }
 *   k3sServerReady({ node: 'server1' }) // { readyz: 'ok', nodeReady: 'True', kubeletVersion: 'v1.32.11+k3s3' }
 *   k3sSecretFile('/var/lib/rancher/k3s/server/node-token')   // Secret | null
 */
import { defineFact, Secret, sh } from 'capstan';
import { versionFromK3sOutput } from './version.ts';

export const K3S_BIN = '/usr/local/bin/k3s';
export const SYSTEMD_DIR = '/etc/systemd/system';

export type K3sUnit = 'k3s' | 'k3s-agent';

export interface K3sInstallState {
  version: string | null;
  unit: boolean;
  env: boolean;
  enabled: boolean;
  active: boolean;
  /** The host's hostname: the node name K3s registers unless node-name is set. */
  hostname: string;
}

export const k3sInstallState = defineFact<{ unit: K3sUnit }, K3sInstallState>({
  name: 'k3s.install',
  command: ({ unit }) => sh`b=${K3S_BIN}; u=${`${SYSTEMD_DIR}/${unit}.service`}; n=${unit}; ` + [
    'if [ -x "$b" ]; then echo "version=$("$b" --version 2>/dev/null | head -n 1)"; else echo version=; fi',
    'if [ -f "$u" ]; then echo unit=yes; else echo unit=no; fi',
    'if [ -f "$u.env" ]; then echo env=yes; else echo env=no; fi',
    'echo "enabled=$(systemctl is-enabled "$n" 2>/dev/null)"',
    'echo "active=$(systemctl is-active "$n" 2>/dev/null)"',
    'echo "hostname=$(hostname 2>/dev/null || cat /etc/hostname)"',
  ].join('; '),
  parse: parseInstallState,
});

export function parseInstallState(out: string): K3sInstallState {
  const kv = keyValues(out);
  return {
    version: versionFromK3sOutput(kv.get('version') ?? ''),
    unit: kv.get('unit') === 'yes',
    env: kv.get('env') === 'yes',
    enabled: kv.get('enabled') === 'enabled',
    active: kv.get('active') === 'active',
    hostname: kv.get('hostname') ?? '',
  };
}

export interface K3sNodeStatus {
  /** Body of /readyz ('ok' when ready), or the error. Empty when the node is not asked. */
  readyz: string;
  /** The Ready condition: 'True', 'False', 'Unknown', or '' when the node is not registered. */
  nodeReady: string;
  kubeletVersion: string;
}

/** Readiness as the API server sees it; run on a server (agents are checked by delegation). */
export const k3sNodeStatus = defineFact<{ node: string; apiserver: boolean }, K3sNodeStatus>({
  name: 'k3s.node',
  command: ({ node, apiserver }) => sh`b=${K3S_BIN}; n=${node}; ` + [
    'if [ ! -x "$b" ]; then echo readyz=; echo ready=; echo version=; exit 0; fi',
    apiserver ? 'echo "readyz=$("$b" kubectl get --raw=/readyz 2>&1 | head -n 1)"' : 'echo readyz=',
    'echo "ready=$("$b" kubectl get node "$n" -o jsonpath=\'{.status.conditions[?(@.type=="Ready")].status}\' 2>/dev/null)"',
    'echo "version=$("$b" kubectl get node "$n" -o jsonpath=\'{.status.nodeInfo.kubeletVersion}\' 2>/dev/null)"',
  ].join('; '),
  parse: (out) => {
    const kv = keyValues(out);
    return { readyz: kv.get('readyz') ?? '', nodeReady: kv.get('ready') ?? '', kubeletVersion: kv.get('version') ?? '' };
  },
});

/** A root-only file read as a Secret (node token, admin kubeconfig); null when absent. */
export const k3sSecretFile = defineFact<string, Secret | null>({
  name: 'k3s.secretfile',
  command: (path) => sh`if [ -f ${path} ]; then echo present; cat -- ${path}; else echo absent; fi`,
  parse: (out, _rc, path) => {
    if (out.startsWith('absent')) return null;
    const body = out.replace(/^present\n/, '');
    return new Secret(path.endsWith('token') ? body.trim() : body, path);
  },
});

/** `key=value` lines of a probe's output, as a map (the last value of a key wins). */
export function keyValues(out: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of out.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) m.set(line.slice(0, i).trim(), line.slice(i + 1).trim());
  }
  return m;
}
