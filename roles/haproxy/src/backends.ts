/**
 * The servers behind the load balancer: the `backends` variable, or else every host of the
 * inventory group `backends_group` at its `ansible_host` (the host name when unset) on
 * `backend_port`. Hosts taken from the inventory pass the same checks as given backends;
 * a name or address that could reach haproxy.cfg unchecked is refused with a ConfigError
 * naming the host, before any connection.
 *
 *   resolveBackends(v, { groupHosts: (g) => ['server1'], hostVars: () => ({ ansible_host: '10.0.0.5' }) })
 *   // [{ name: 'server1', address: '10.0.0.5', port: 6443 }]
 */
import { ConfigError } from 'capstan';
import { backend, type Backend, type HaproxyVars } from './vars.ts';

/** The part of a role context the lookup needs. */
export interface InventoryLookup {
  groupHosts(group: string): readonly string[];
  hostVars(host: string): Readonly<Record<string, unknown>>;
}

export function resolveBackends(v: Pick<HaproxyVars, 'backends' | 'backends_group' | 'backend_port'>, inv: InventoryLookup): Backend[] {
  if (v.backends) return v.backends;
  const hosts = inv.groupHosts(v.backends_group);
  if (hosts.length === 0) {
    throw new ConfigError(`no backends: the inventory group ${JSON.stringify(v.backends_group)} has no hosts; set backends, or backends_group to the group of K3s servers`, { keyPath: 'backends' });
  }
  return hosts.map((host) => {
    const address = inv.hostVars(host).ansible_host ?? host;
    const parsed = backend.safeParse({ name: host, address, port: v.backend_port });
    if (parsed.success) return parsed.data;
    const why = parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ');
    throw new ConfigError(`backend from inventory host ${JSON.stringify(host)} (group ${v.backends_group}) is refused: ${why}`, { keyPath: 'backends' });
  });
}
