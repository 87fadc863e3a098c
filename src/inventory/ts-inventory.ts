/**
 * Turns a `defineInventory(...)` value into the same model as a YAML inventory.
 *
 *   readDefinition(defineInventory({ groups: { web: { hosts: ['web1'] } } }), 'inventory/lab.ts', builder);
 *
 * Line numbers are not known for TypeScript sources: origins name the file and key path.
 */
import type { InventoryBuilder } from './builder.ts';
import type { GroupDefinition, HostsDefinition, InventoryDefinition, InventoryVars } from './define.ts';
import { expandHostPattern } from './host-pattern.ts';
import type { VarOrigin } from './types.ts';

/** Reads a validated definition into the builder; problems are collected on the builder. */
export function readDefinition(def: InventoryDefinition, file: string, b: InventoryBuilder): void {
  const origin = (keyPath: string): VarOrigin => ({ file, keyPath });
  for (const [k, v] of Object.entries(def.vars ?? {})) b.setGroupVar('all', k, v, origin(`vars.${k}`));
  if (def.hosts) readHosts(def.hosts, 'ungrouped', 'hosts', b, origin);
  for (const [name, group] of Object.entries(def.groups ?? {})) readGroup(name, group, `groups.${name}`, b, origin);
}

function readGroup(name: string, group: GroupDefinition | null | undefined, path: string, b: InventoryBuilder, origin: (k: string) => VarOrigin): void {
  b.addGroup(name, origin(path));
  if (!group) return;
  for (const [k, v] of Object.entries(group.vars ?? {})) b.setGroupVar(name, k, v, origin(`${path}.vars.${k}`));
  if (group.hosts) readHosts(group.hosts, name, `${path}.hosts`, b, origin);
  const children = group.children ?? [];
  if (Array.isArray(children)) {
    for (const child of children as readonly string[]) b.addChild(name, child, origin(`${path}.children`));
    return;
  }
  for (const [child, body] of Object.entries(children as Record<string, GroupDefinition | null | undefined>)) {
    readGroup(child, body, `${path}.children.${child}`, b, origin);
    b.addChild(name, child, origin(`${path}.children.${child}`));
  }
}

function readHosts(hosts: HostsDefinition, group: string, path: string, b: InventoryBuilder, origin: (k: string) => VarOrigin): void {
  const entries: [string, InventoryVars | null | undefined][] = Array.isArray(hosts)
    ? (hosts as readonly string[]).map((h) => [h, undefined])
    : Object.entries(hosts as Record<string, InventoryVars | null | undefined>);
  for (const [entry, vars] of entries) {
    const at = origin(`${path}.${entry}`);
    let expanded;
    try {
      expanded = expandHostPattern(entry);
    } catch (e) {
      b.problem((e as Error).message, at);
      continue;
    }
    for (const host of expanded.hosts) {
      b.addHost(host, group, at, expanded.port);
      for (const [k, v] of Object.entries(vars ?? {})) b.setHostVar(host, k, v, origin(`${path}.${entry}.${k}`));
    }
  }
}
