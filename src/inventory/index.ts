/**
 * Inventories: Ansible YAML/INI files, TypeScript definitions, group_vars/host_vars,
 * patterns, merged variables with provenance, connection settings and Ansible-shaped output.
 *
 *   import { loadInventory, selectHosts, hostVars, connectionFor, explainVar } from './inventory/index.ts';
 *   const inv = await loadInventory(['inventory/hosts.yml']);
 *   for (const host of selectHosts(inv, 'web:!canary', process.env.LIMIT)) {
 *     const conn = connectionFor(inv, host);
 *     const { vars } = hostVars(inv, host, { extraVars: { label: 'extra vars (-e)', vars: { version: '1.2' } } });
 *   }
 *   console.log(formatExplanation(explainVar(inv, 'web1', 'http_port')));
 */
export { loadInventory, withPlaybookDir } from './load.ts';
export type { LoadOptions } from './load.ts';
export { selectHosts, groupHosts, splitPattern } from './patterns.ts';
export type { SelectOptions } from './patterns.ts';
export { hostVars, sortedGroups } from './vars.ts';
export type { ExtraLayers, HostVars, LayerKind, ResolvedVar, VarLayer, VarSource } from './vars.ts';
export { connectionFor, connectionsFor, connectionFromVars, IGNORED_CONNECTION_VARS } from './connection.ts';
export { toAnsibleListJson, formatAnsibleListJson, toGraph, printable } from './output.ts';
export type { AnsibleGroupJson, AnsibleListJson, ListJsonOptions } from './output.ts';
export { explainVar, formatExplanation } from './explain.ts';
export type { ExplainedLayer, VarExplanation } from './explain.ts';
export { defineInventory, isInventoryDefinition } from './define.ts';
export type { GroupDefinition, HostsDefinition, InventoryDefinition, InventoryDefinitionInput, InventoryVars } from './define.ts';
export { inventoryView, loadInventoryView, formatWarning } from './view.ts';
export { parseYamlStrict } from './yaml-safe.ts';
export type { GroupNode, HostNode, Inventory, InventoryWarning, VarDef, VarOrigin } from './types.ts';
