/**
 * `haproxy.port-guard`: refuses, before anything is installed, a load balancer whose ports
 * another program already listens on, or a frontend on 6443 on a host where K3s is
 * installed (the K3s server serves its API on 6443 itself). Read-only: it only plans a
 * failure or a no-op, so --check reports the clash too.
 *
 *   haproxyPortGuard({ ports: [{ port: 6443, variable: 'frontend_bind' }, { port: 8404, variable: 'metrics_frontend.bind' }] })
 *
 * Any listener on the port counts, whatever its address (a conservative check); HAProxy's
 * own listeners are fine, so a re-run passes. Where the owner of a socket cannot be seen
 * (root without CAP_SYS_PTRACE, as in a container, cannot read another user's file
 * descriptors) and HAProxy is running, the listener is taken to be HAProxy's, and the
 * no-op says so; with HAProxy not running, an unseen owner is a clash.
 */
import { defineFact, defineModule, fail, noop, sh, z, type Plan } from 'capstan';

export interface Listener {
  local: string;
  processes: { name: string; pid: number }[];
}

export interface PortUse {
  /** False when the host has no `ss`: listeners unknown. */
  ss: boolean;
  listeners: Record<number, Listener[]>;
  k3sUnit: boolean;
  /** A process named haproxy runs on the host. */
  haproxyRunning: boolean;
}

const K3S_UNITS = ['/etc/systemd/system/k3s.service', '/lib/systemd/system/k3s.service', '/usr/lib/systemd/system/k3s.service'];

export const portUse = defineFact<{ ports: number[] }, PortUse>({
  name: 'net.listeners',
  command: (a) => [
    'if command -v ss >/dev/null 2>&1; then',
    ...a.ports.map((p) => `  echo port:${Math.trunc(p)}; ${sh`ss -Hltnp ${`sport = :${Math.trunc(p)}`}`} </dev/null || true`),
    'else echo no-ss; fi',
    `for u in ${K3S_UNITS.join(' ')}; do if [ -e "$u" ]; then echo k3s-unit; break; fi; done`,
    'if pgrep -x haproxy >/dev/null 2>&1; then echo haproxy-running; fi',
  ].join('\n'),
  parse: (out) => parsePortUse(out),
});

/** Pure parser of the fact's output: `port:N` markers, then `ss -Hltnp` lines for that port. */
export function parsePortUse(out: string): PortUse {
  const result: PortUse = { ss: true, listeners: {}, k3sUnit: false, haproxyRunning: false };
  let port: number | undefined;
  for (const line of out.split('\n').map((l) => l.trim()).filter(Boolean)) {
    if (line === 'no-ss') result.ss = false;
    else if (line === 'k3s-unit') result.k3sUnit = true;
    else if (line === 'haproxy-running') result.haproxyRunning = true;
    else if (line.startsWith('port:')) {
      port = Number(line.slice(5));
      result.listeners[port] = [];
    } else if (port !== undefined && line.startsWith('LISTEN')) {
      const local = line.split(/\s+/)[3] ?? '';
      const processes = [...line.matchAll(/\("([^"]*)",pid=(\d+)/g)].map((m) => ({ name: m[1] ?? '', pid: Number(m[2]) }));
      result.listeners[port]?.push({ local, processes });
    }
  }
  return result;
}

const portsArg = z.array(z.object({ port: z.number().int().min(1).max(65535), variable: z.string().min(1) }).strict()).min(1);

export function planPortGuard(ports: z.output<typeof portsArg>, use: PortUse): Plan {
  let unseen = false;
  for (const { port, variable } of ports) {
    const listeners = use.listeners[port] ?? [];
    const hidden = listeners.filter((l) => l.processes.length === 0);
    if (hidden.length && use.haproxyRunning) unseen = true;
    const foreign = listeners.filter((l) => (l.processes.length === 0 ? !use.haproxyRunning : l.processes.some((p) => p.name !== 'haproxy')));
    if (foreign.length) {
      const who = foreign.map((l) => `${l.local} (${l.processes.map((p) => `${p.name} pid ${p.pid}`).join(', ') || 'unknown process'})`).join(', ');
      return fail(`port ${port} (${variable}) is already in use on this host: ${who}; HAProxy could not listen there: choose another port or stop that program`);
    }
    if (use.k3sUnit && port === 6443) {
      return fail(`k3s.service is installed on this host and the K3s server listens on 6443: a load balancer on port 6443 (${variable}) would clash with it; use a dedicated host or another port`);
    }
  }
  const list = ports.map((p) => p.port).join(', ');
  if (!use.ss) return noop(`port ${list}: cannot see listeners (no ss on the host); HAProxy will fail to start if one is taken`);
  return noop(unseen ? `port ${list}: free, or held by a process whose owner cannot be seen while HAProxy runs (taken to be HAProxy)` : `port ${list}: free, or held by HAProxy itself`);
}

export const haproxyPortGuard = defineModule({
  name: 'haproxy.port-guard',
  args: z.object({ ports: portsArg }).strict(),
  describe: (a) => `ports ${a.ports.map((p) => p.port).join(', ')} free for HAProxy`,
  facts: (a) => ({ use: portUse({ ports: a.ports.map((p) => p.port) }) }),
  plan: (a, { use }) => planPortGuard(a.ports, use),
});
