/**
 * The inventory model: hosts, groups, variables with their origins, and warnings.
 *
 *   const inv = await loadInventory('inventory/hosts.yml');
 *   inv.groups.get('web')?.children;          // ['canary']
 *   inv.hosts.get('web1')?.vars.get('http_port')?.at(-1)?.origin;  // { file, line: 12, col: 9, keyPath }
 *
 * Every variable assignment keeps where it came from (`VarDef.origin`), so merged host
 * variables can say which layer set a value and which one won (see vars.ts).
 */
import type { VaultKeyring } from '../vault/keyring.ts';

/** Where an assignment was written: file, 1-based line and column, and the key path inside it. */
export interface VarOrigin {
  file: string;
  line?: number;
  col?: number;
  keyPath?: string;
}

/** One assignment of a variable. Several assignments of one name are kept in order; the last wins. */
export interface VarDef {
  value: unknown;
  origin: VarOrigin;
  /** True when the value holds `{{` or `{%` (passed on as literal text, never evaluated). */
  jinja: boolean;
}

/** Variables of one scope: name -> assignments in the order they were read. */
export type VarMap = Map<string, VarDef[]>;

export interface HostNode {
  name: string;
  /** Groups the host was placed in directly, in the order they were read (`all` when listed there). */
  groups: string[];
  /** Variables written on the host in inventory files (inline INI vars, YAML host mappings, `host:port`). */
  vars: VarMap;
  /** Where the host was first declared. */
  origin: VarOrigin;
  /** The implicit `localhost` Ansible provides when no inventory host has that name. */
  implicit?: boolean;
}

export interface GroupNode {
  name: string;
  /** Hosts placed directly in the group, in inventory order. */
  hosts: string[];
  children: string[];
  parents: string[];
  /** Group variables from inventory files (`ansible_group_priority` is kept in `priority` instead). */
  vars: VarMap;
  /** Ansible's `ansible_group_priority` (default 1): breaks ties between groups of the same depth. */
  priority: number;
  /** Longest distance from `all` (0 for `all`, 1 for its direct children). */
  depth: number;
  origin?: VarOrigin;
}

/** One `group_vars`/`host_vars` file and what it sets. */
export interface VarsFile {
  file: string;
  vars: VarMap;
}

/** The `group_vars/` and `host_vars/` found in one directory, by group or host name. */
export interface VarsDir {
  dir: string;
  groups: Map<string, VarsFile[]>;
  hosts: Map<string, VarsFile[]>;
}

/** Something worth telling the user that does not stop the run. */
export interface InventoryWarning {
  message: string;
  file?: string;
  line?: number;
  col?: number;
  keyPath?: string;
  host?: string;
  group?: string;
  variable?: string;
}

export interface Inventory {
  /** Inventory sources in the order given (absolute paths). */
  readonly sources: readonly string[];
  /** Every host in inventory order. */
  readonly hosts: ReadonlyMap<string, HostNode>;
  /** Every group, `all` and `ungrouped` first, then in the order they were read. */
  readonly groups: ReadonlyMap<string, GroupNode>;
  /** `group_vars`/`host_vars` beside each inventory source, in source order. */
  readonly inventoryVarsDirs: readonly VarsDir[];
  /** `group_vars`/`host_vars` beside the playbook, once known. */
  readonly playbookVarsDir?: VarsDir;
  readonly warnings: readonly InventoryWarning[];
  /** The vault passwords it was read with: group_vars/ and host_vars/ found later (beside the playbook) use them too. */
  readonly vault?: VaultKeyring;
}
