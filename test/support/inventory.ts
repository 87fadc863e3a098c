/**
 * An in-memory inventory for engine tests: groups of hosts with variables.
 *
 *   const inv = testInventory({ web: ['web1', 'web2'], db: ['db1'] }, { web1: { port: 8080 } });
 */
import type { InventoryView, VarLayer } from '../../src/engine/inventory-view.ts';
import type { HostConnection } from '../../src/connectors/connector.ts';
import { ConfigError } from '../../src/errors.ts';

export function testInventory(groups: Record<string, string[]>, hostVars: Record<string, Record<string, unknown>> = {}, groupVars: Record<string, Record<string, unknown>> = {}): InventoryView {
  const hosts = [...new Set(Object.values(groups).flat())];
  const groupsOf = (h: string) => Object.keys(groups).filter((g) => groups[g]?.includes(h));
  const match = (pattern: string): string[] => {
    const out = new Set<string>();
    for (const part of pattern.split(/[:,]/)) {
      if (part === 'all' || part === '*') hosts.forEach((h) => out.add(h));
      else if (groups[part]) groups[part]?.forEach((h) => out.add(h));
      else if (hosts.includes(part)) out.add(part);
    }
    return hosts.filter((h) => out.has(h));
  };
  return {
    source: 'test inventory',
    warnings: [],
    select(pattern, limit) {
      let sel = match(pattern);
      if (limit) {
        const lim = new Set(match(limit));
        sel = sel.filter((h) => lim.has(h));
      }
      if (!sel.length) throw new ConfigError(`pattern "${pattern}"${limit ? ` with limit "${limit}"` : ''} matches no host`);
      return sel;
    },
    hostVars(host: string, layers: readonly VarLayer[]) {
      const values: Record<string, unknown> = {};
      const src: Record<string, string> = {};
      for (const g of groupsOf(host)) for (const [k, v] of Object.entries(groupVars[g] ?? {})) [values[k], src[k]] = [v, `group ${g}`];
      for (const [k, v] of Object.entries(hostVars[host] ?? {})) [values[k], src[k]] = [v, `host ${host}`];
      for (const l of layers) for (const [k, v] of Object.entries(l.vars)) [values[k], src[k]] = [v, l.label];
      return { values, sourceOf: (k: string) => src[k] };
    },
    groupHosts: (g) => groups[g] ?? [],
    connection: (name): HostConnection => ({ name, transport: 'fake', address: name, port: 22, user: 'root', options: {} }),
  };
}
