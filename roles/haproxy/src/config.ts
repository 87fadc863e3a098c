/**
 * The two files the role owns, as arguments for the `template` module: haproxy.cfg for the
 * K3s API frontend and, when enabled, keepalived.conf for the floating address. Both are
 * validated by the real tool on the uploaded temp file before it replaces the live one.
 *
 *   template(haproxyCfgArgs(v, backends), { notify: 'reload haproxy' })
 *   template(keepalivedConfArgs(v.keepalived, 'lb1', ['lb1', 'lb2']), { notify: 'restart keepalived' })
 *
 * Values are rendered with the template module's `haproxy` escaper; the schema has already
 * refused anything that is not a plain word, so the escaper is a second line of defence.
 */
import { roleFile } from 'capstan';
import type { Backend, HaproxyVars, KeepalivedVars } from './vars.ts';

export const HAPROXY_CFG = '/etc/haproxy/haproxy.cfg';
export const KEEPALIVED_CONF = '/etc/keepalived/keepalived.conf';
/** Checks the uploaded temp file (`%s`) before it is renamed over the live one. */
export const HAPROXY_VALIDATE = 'haproxy -c -f %s';
export const KEEPALIVED_VALIDATE = 'keepalived -t -f %s';

const HAPROXY_TEMPLATE = roleFile(import.meta.url, '../templates/haproxy.cfg.ejs');
const KEEPALIVED_TEMPLATE = roleFile(import.meta.url, '../templates/keepalived.conf.ejs');

/** `address:port`, with an IPv6 address in brackets. */
export function endpoint(b: Backend): string {
  return b.address.includes(':') ? `[${b.address}]:${b.port}` : `${b.address}:${b.port}`;
}

export function haproxyCfgArgs(v: HaproxyVars, backends: readonly Backend[]) {
  return {
    src: HAPROXY_TEMPLATE,
    dest: HAPROXY_CFG,
    mode: '0644',
    escape: 'haproxy' as const,
    validate: HAPROXY_VALIDATE,
    vars: {
      frontend_bind: v.frontend_bind,
      balance: v.balance,
      check_inter: v.check_inter,
      check_downinter: v.check_downinter,
      check_rise: v.check_rise,
      check_fall: v.check_fall,
      timeouts: v.timeouts,
      metrics: v.metrics_frontend,
      servers: backends.map((b) => ({ name: b.name, endpoint: endpoint(b) })),
    },
  };
}

export interface VrrpRole {
  state: 'MASTER' | 'BACKUP';
  priority: number;
}

/**
 * This host's VRRP state and priority: the `state`/`priority` maps when they name it, else
 * MASTER with 200 for the first host of the play and BACKUP with 100, 99, ... for the rest.
 */
export function vrrpRole(k: KeepalivedVars, host: string, playHosts: readonly string[]): VrrpRole {
  const index = Math.max(0, playHosts.indexOf(host));
  const own = <T>(m: Record<string, T>): T | undefined => (Object.hasOwn(m, host) ? m[host] : undefined);
  return {
    state: own(k.state) ?? (index === 0 ? 'MASTER' : 'BACKUP'),
    priority: own(k.priority) ?? (index === 0 ? 200 : Math.max(1, 101 - index)),
  };
}

export function keepalivedConfArgs(k: KeepalivedVars, host: string, playHosts: readonly string[]) {
  if (!k.enabled || !k.vip || !k.interface) throw new Error('keepalivedConfArgs needs keepalived enabled with vip and interface');
  const role = vrrpRole(k, host, playHosts);
  return {
    src: KEEPALIVED_TEMPLATE,
    dest: KEEPALIVED_CONF,
    mode: '0644',
    escape: 'haproxy' as const,
    validate: KEEPALIVED_VALIDATE,
    vars: { iface: k.interface, state: role.state, priority: role.priority, virtual_router_id: k.virtual_router_id, vip: k.vip },
  };
}
