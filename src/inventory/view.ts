/**
 * The inventory as the engine sees it (`InventoryView`): selection, layered variables,
 * groups and connection settings over a loaded inventory.
 *
 *   const view = await loadInventoryView(['inventory/hosts.yml']);
 *   view.select('web:!canary', 'web1');
 *   view.hostVars('web1', [{ label: 'play "site" vars', vars: { x: 1 } }]).sourceOf('http_port');
 *   // 'group_vars/web.yml:3:1'
 */
import { relative } from 'node:path';
import type { HostVarsView, InventoryView, VarLayer } from '../engine/inventory-view.ts';
import { formatLocation } from '../errors.ts';
import { connectionFor } from './connection.ts';
import { loadInventory } from './load.ts';
import type { LoadOptions } from './load.ts';
import { groupHosts, selectHosts } from './patterns.ts';
import type { Inventory, InventoryWarning } from './types.ts';
import { hostVars } from './vars.ts';
import type { VarSource } from './vars.ts';

/** Loads inventory sources and wraps them for the engine. */
export async function loadInventoryView(paths: readonly string[], opts: LoadOptions = {}): Promise<InventoryView> {
  return inventoryView(await loadInventory(paths, opts), paths.join(', '));
}

/** Wraps a loaded inventory for the engine; `layers` given to hostVars rank above the inventory, in order. */
export function inventoryView(inv: Inventory, source = inv.sources.join(', ')): InventoryView {
  return {
    source,
    select: (pattern, limit) => selectHosts(inv, pattern, limit),
    hostVars: (host: string, layers: readonly VarLayer[]): HostVarsView => {
      const hv = hostVars(inv, host, { playVars: layers });
      return {
        values: hv.vars,
        sourceOf: (name) => {
          const w = hv.provenance.get(name)?.winner;
          return w ? describeSource(w) : undefined;
        },
        isJinja: (name) => hv.provenance.get(name)?.winner.jinja === true,
      };
    },
    groupHosts: (group) => (inv.groups.has(group) ? groupHosts(inv, group) : []),
    connection: (host) => connectionFor(inv, host),
    warnings: inv.warnings.map(formatWarning),
  };
}

/** `group_vars/web.yml:3:1`, or the layer's label when it has no file. */
export function describeSource(s: VarSource): string {
  if (!s.file || s.file.startsWith('(')) return s.label;
  return formatLocation({ file: relative(process.cwd(), s.file), line: s.line, col: s.col });
}

/** `hosts.yml:12:9: message` */
export function formatWarning(w: InventoryWarning): string {
  const where = formatLocation({ file: w.file ? relative(process.cwd(), w.file) : undefined, line: w.line, col: w.col });
  return where ? `${where}: ${w.message}` : w.message;
}
