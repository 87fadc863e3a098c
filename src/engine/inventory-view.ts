/**
 * What the engine needs from an inventory: host selection, layered variables with their
 * sources, groups and connection settings. `src/inventory` provides it for Ansible and TS
 * inventories; tests build one from a plain object.
 *
 *   const inv: InventoryView = await inventoryView(['hosts.yml']);
 *   inv.select('web:!db', '--limit web1');
 */
import type { HostConnection } from '../connectors/connector.ts';

/** A layer of variables above the inventory (play vars, extra vars). */
export interface VarLayer {
  label: string;
  vars: Record<string, unknown>;
}

export interface HostVarsView {
  values: Record<string, unknown>;
  /** Where the winning value of a variable came from (`group_vars/web.yml:3`, `extra vars`). */
  sourceOf(name: string): string | undefined;
  /** True when the winning value holds Jinja text that Capstan passes on unevaluated (not `!unsafe`). */
  isJinja?(name: string): boolean;
}

export interface InventoryView {
  /** Inventory source, for messages. */
  readonly source: string;
  /** Hosts matching an Ansible pattern, in inventory order; a ConfigError when none match. */
  select(pattern: string, limit?: string): string[];
  hostVars(host: string, layers: readonly VarLayer[]): HostVarsView;
  groupHosts(group: string): string[];
  connection(host: string): HostConnection;
  /** Problems found while reading the inventory that are not fatal (Jinja left as text). */
  readonly warnings: readonly string[];
}
