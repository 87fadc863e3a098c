/**
 * The haproxy role's variables: a zod schema with documented defaults. Every host's values
 * are validated before any connection; errors name the variable (`backends.1.name`).
 *
 *   haproxy.use({
 *     backends: [{ name: 'server1', address: '10.10.10.50' }, { name: 'server2', address: 'k3s-2.lan', port: 6443 }],
 *     metrics_frontend: { enabled: true, bind: ':8404' },
 *     keepalived: { enabled: true, vip: '10.10.10.100/24', interface: 'eth1' },
 *   })
 *
 * Everything that reaches a configuration file is checked here: server names, addresses,
 * ports, durations and interface names have strict shapes, so a hostile string is refused
 * with the variable's path instead of being written into haproxy.cfg or keepalived.conf.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { z } from 'capstan';

/** A HAProxy server name: what the stats page and the Prometheus `server` label show. */
export const backendName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'must be 1-63 letters, digits, ".", "_" or "-", starting with a letter or digit (it becomes a HAProxy server name)');

const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const DNS_NAME = new RegExp(`^(?=.{1,253}$)${LABEL}(?:\\.${LABEL})*\\.?$`);

/** An IPv4 or IPv6 address (without brackets) or a DNS name. */
export function isAddress(s: string): boolean {
  return isIPv4(s) || isIPv6(s) || (DNS_NAME.test(s) && !/^[0-9.]+$/.test(s));
}

export const backendAddress = z.string().refine(isAddress, 'must be an IPv4 address, an IPv6 address (no brackets) or a DNS name');

export const portNumber = z.number({ error: 'must be a port number' }).int('must be a whole number').min(1, 'must be 1-65535').max(65535, 'must be 1-65535');

/** One server behind the frontend. */
export const backend = z.object({
  name: backendName.describe('server name in haproxy.cfg, the stats page and the metrics'),
  address: backendAddress.describe('address HAProxy connects to (a DNS name must resolve on the load balancer)'),
  port: portNumber.default(6443).describe('K3s API port on the server'),
}).strict();

export type Backend = z.output<typeof backend>;

/** A HAProxy duration: digits and a unit (a bare number means milliseconds to HAProxy, so it is refused). */
export const duration = z
  .string({ error: 'must be a duration string such as "10s"' })
  .regex(/^[1-9][0-9]{0,8}(us|ms|s|m|h|d)$/, 'must be a duration with a unit, such as "10s", "500ms" or "1h" (a bare number would mean milliseconds)');

/**
 * A listening address as HAProxy's `bind` takes it: `*:6443`, `:6443`, `10.0.0.5:6443`,
 * `[::]:6443` or `[fd00::5]:6443`.
 */
export const bindAddress = z.string().superRefine((s, ctx) => {
  const m = /^(\*|\[([0-9A-Fa-f:.]+)\]|[0-9.]+)?:([0-9]{1,5})$/.exec(s);
  const host = m?.[1];
  const okHost = host === undefined || host === '*' || (m?.[2] !== undefined ? isIPv6(m[2]) : isIPv4(host));
  const port = Number(m?.[3]);
  if (!m || !okHost || port < 1 || port > 65535) {
    ctx.addIssue({ code: 'custom', message: 'must be ADDRESS:PORT with ADDRESS empty, "*", an IPv4 address or a bracketed IPv6 address, such as "*:6443" or "[::]:6443"' });
  }
});

/** The port of a bind address that passed `bindAddress`. */
export function bindPort(bind: string): number {
  return Number(bind.slice(bind.lastIndexOf(':') + 1));
}

/** Same port and overlapping addresses: the two could not both bind. */
export function bindsClash(a: string, b: string): boolean {
  if (bindPort(a) !== bindPort(b)) return false;
  const host = (s: string) => s.slice(0, s.lastIndexOf(':'));
  const wildcard = (h: string) => h === '' || h === '*' || h === '[::]' || h === '0.0.0.0';
  return wildcard(host(a)) || wildcard(host(b)) || host(a) === host(b);
}

const ipv4Cidr = z.string().refine((s) => {
  const [ip, bits, extra] = s.split('/');
  return extra === undefined && ip !== undefined && isIPv4(ip) && bits !== undefined && /^[0-9]{1,2}$/.test(bits) && Number(bits) <= 32;
}, 'must be an IPv4 address with a prefix length, such as "10.10.10.100/24"');

/** A Linux network interface name (at most 15 characters, no slash or whitespace). */
export const interfaceName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.@-]{0,14}$/, 'must be a network interface name such as "eth1" (1-15 letters, digits, "_", ".", "@", "-")');

export const keepalivedVars = z.object({
  enabled: z.boolean().default(false).describe('run keepalived to hold a floating address on one load balancer'),
  vip: ipv4Cidr.optional().describe('the floating address with its prefix, e.g. 10.10.10.100/24'),
  interface: interfaceName.optional().describe('interface that carries the floating address and the VRRP traffic'),
  virtual_router_id: z.number().int().min(1).max(255).default(51).describe('VRRP router id: equal on every load balancer, unique on the network'),
  priority: z.record(z.string(), z.number().int().min(1).max(254)).default({}).describe('host -> VRRP priority; default: 200 for the first host of the play, then 100, 99, ...'),
  state: z.record(z.string(), z.enum(['MASTER', 'BACKUP'])).default({}).describe('host -> initial VRRP state; default: MASTER for the first host of the play, BACKUP for the others'),
}).strict().superRefine((k, ctx) => {
  if (!k.enabled) return;
  if (!k.vip) ctx.addIssue({ code: 'custom', path: ['vip'], message: 'keepalived.enabled needs vip (such as "10.10.10.100/24")' });
  if (!k.interface) ctx.addIssue({ code: 'custom', path: ['interface'], message: 'keepalived.enabled needs interface (such as "eth1")' });
});

export type KeepalivedVars = z.output<typeof keepalivedVars>;

export const haproxyVars = z.object({
  backends: z.array(backend).optional()
    .describe('servers to balance across; unset: every host of `backends_group`, at its ansible_host, on `backend_port`'),
  backends_group: z.string().min(1).default('server').describe('inventory group the backends come from when `backends` is unset'),
  backend_port: portNumber.default(6443).describe('port of the backends taken from the inventory group'),
  frontend_bind: bindAddress.default('*:6443').describe('where the load balancer listens for K3s API and supervisor traffic'),
  balance: z.enum(['roundrobin', 'leastconn', 'source', 'first']).default('roundrobin').describe('how connections are spread over the servers'),
  check_inter: duration.default('10s').describe('health check interval while a server is up'),
  check_downinter: duration.default('5s').describe('health check interval while a server is down'),
  check_rise: z.number().int().min(1).max(100).default(2).describe('successful checks before a server counts as up'),
  check_fall: z.number().int().min(1).max(100).default(3).describe('failed checks before a server counts as down'),
  timeouts: z.object({
    connect: duration.default('5s'),
    client: duration.default('1h'),
    server: duration.default('1h'),
    check: duration.default('10s'),
  }).strict().default({ connect: '5s', client: '1h', server: '1h', check: '10s' })
    .describe('long client/server timeouts keep idle API watches open through the proxy'),
  metrics_frontend: z.object({
    enabled: z.boolean().default(false),
    bind: bindAddress.default(':8404'),
  }).strict().default({ enabled: false, bind: ':8404' })
    .describe('HTTP frontend with the Prometheus exporter on /metrics and the stats page on /'),
  keepalived: keepalivedVars.default({ enabled: false, virtual_router_id: 51, priority: {}, state: {} }),
  apt_cache_valid_time: z.number().int().nonnegative().default(3600).describe('seconds the apt package lists stay valid before an update'),
}).strict().superRefine((v, ctx) => {
  if (v.metrics_frontend.enabled && bindsClash(v.metrics_frontend.bind, v.frontend_bind)) {
    ctx.addIssue({ code: 'custom', path: ['metrics_frontend', 'bind'], message: `${v.metrics_frontend.bind} clashes with frontend_bind ${v.frontend_bind}: pick another port` });
  }
  const seen = new Set<string>();
  v.backends?.forEach((b, i) => {
    if (seen.has(b.name)) ctx.addIssue({ code: 'custom', path: ['backends', i, 'name'], message: `duplicate backend name ${b.name}` });
    seen.add(b.name);
  });
  if (v.backends?.length === 0) ctx.addIssue({ code: 'custom', path: ['backends'], message: 'give at least one backend, or leave backends unset to use the hosts of backends_group' });
});

export type HaproxyVars = z.output<typeof haproxyVars>;
