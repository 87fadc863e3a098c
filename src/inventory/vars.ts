/**
 * A host's variables, merged layer by layer with provenance: for every variable, every
 * layer that set it (lowest precedence first) and the one that wins.
 *
 *   const hv = hostVars(inv, 'web1', { extraVars: { label: 'extra vars (-e)', vars: { version: '1.2' } } });
 *   hv.vars.http_port;                                 // 8080
 *   hv.provenance.get('http_port')?.winner;            // { kind: 'group_vars', label: 'group_vars/web', file, line, ... }
 *
 * Precedence, lowest first (Ansible's defaults, including its VARIABLE_PRECEDENCE order):
 *
 *    1. role defaults                       (extra layer from the engine)
 *    2. inventory file vars of `all`
 *    3. inventory file vars of the host's groups, sorted by depth (parents before children),
 *       then ansible_group_priority, then name
 *    4. group_vars/all beside each inventory source, in source order
 *    5. group_vars/all beside the playbook
 *    6. group_vars/<group> beside each inventory source (source order, then group order as in 3)
 *    7. group_vars/<group> beside the playbook
 *    8. inventory file host vars (inline INI vars, YAML host mappings, host:port)
 *    9. host_vars/<host> beside each inventory source
 *   10. host_vars/<host> beside the playbook
 *   11. play vars                           (extra layer from the engine)
 *   12. extra vars (-e)                     (extra layer from the engine)
 *
 * A later layer replaces a value whole (Ansible's default hash_behaviour=replace, no deep merge).
 */
import { ConfigError } from '../errors.ts';
import type { GroupNode, HostNode, Inventory, VarDef, VarMap, VarsDir } from './types.ts';
import { containsJinja, toRecord } from './values.ts';
import { nearest } from './suggest.ts';
import { IMPLICIT_HOSTS } from './vars-files.ts';

export type LayerKind =
  | 'role defaults'
  | 'inventory all'
  | 'inventory group'
  | 'group_vars/all'
  | 'playbook group_vars/all'
  | 'group_vars'
  | 'playbook group_vars'
  | 'inventory host'
  | 'host_vars'
  | 'playbook host_vars'
  | 'play vars'
  | 'extra vars';

/** Variables from outside the inventory, with a label saying where they came from. */
export interface VarLayer {
  label: string;
  vars: Readonly<Record<string, unknown>>;
  file?: string;
}

/** Layers the engine adds around the inventory; several layers of one kind apply in order. */
export interface ExtraLayers {
  roleDefaults?: VarLayer | readonly VarLayer[];
  playVars?: VarLayer | readonly VarLayer[];
  extraVars?: VarLayer | readonly VarLayer[];
}

/** One layer's assignment of one variable. */
export interface VarSource {
  kind: LayerKind;
  label: string;
  value: unknown;
  file?: string;
  line?: number;
  col?: number;
  keyPath?: string;
  /** The value holds Jinja text, passed on literally. */
  jinja: boolean;
}

export interface ResolvedVar {
  name: string;
  value: unknown;
  winner: VarSource;
  /** Every assignment, lowest precedence first; the last one is the winner. */
  sources: VarSource[];
}

export interface HostVars {
  host: string;
  /** The host's groups in the order their variables apply (lowest first), without `all`. */
  groups: string[];
  vars: Record<string, unknown>;
  provenance: ReadonlyMap<string, ResolvedVar>;
}

/** Merges every layer for one host. Throws a ConfigError (with a suggestion) for an unknown host. */
export function hostVars(inv: Inventory, host: string, layers: ExtraLayers = {}): HostVars {
  const node = hostNode(inv, host);
  const groups = sortedGroups(inv, node).map((g) => g.name);
  const acc = new Map<string, VarSource[]>();
  const fromMap = (kind: LayerKind, label: string, map: VarMap | undefined) => {
    for (const [name, defs] of map ?? []) for (const d of defs) push(acc, name, source(kind, label, d));
  };
  const fromDirs = (kind: LayerKind, dirs: readonly (VarsDir | undefined)[], scope: 'groups' | 'hosts', names: readonly string[]) => {
    for (const dir of dirs) for (const name of names) for (const f of dir?.[scope].get(name) ?? []) fromMap(kind, `${scope === 'groups' ? 'group' : 'host'}_vars/${name}`, f.vars);
  };
  const playbook = [inv.playbookVarsDir];
  fromLayers(acc, 'role defaults', layers.roleDefaults);
  fromMap('inventory all', 'inventory group all', inv.groups.get('all')?.vars);
  for (const g of groups) fromMap('inventory group', `inventory group ${g}`, inv.groups.get(g)?.vars);
  fromDirs('group_vars/all', inv.inventoryVarsDirs, 'groups', ['all']);
  fromDirs('playbook group_vars/all', playbook, 'groups', ['all']);
  fromDirs('group_vars', inv.inventoryVarsDirs, 'groups', groups);
  fromDirs('playbook group_vars', playbook, 'groups', groups);
  fromMap('inventory host', `inventory host ${host}`, node.vars);
  fromDirs('host_vars', inv.inventoryVarsDirs, 'hosts', [host]);
  fromDirs('playbook host_vars', playbook, 'hosts', [host]);
  fromLayers(acc, 'play vars', layers.playVars);
  fromLayers(acc, 'extra vars', layers.extraVars);
  const provenance = new Map<string, ResolvedVar>();
  for (const [name, sources] of acc) {
    const winner = sources.at(-1);
    if (winner) provenance.set(name, { name, value: winner.value, winner, sources });
  }
  const values = new Map([...provenance].map(([k, r]) => [k, r.value]));
  return { host, groups, vars: toRecord(values), provenance };
}

/** The host's node, or Ansible's implicit localhost, or a ConfigError suggesting the nearest name. */
export function hostNode(inv: Inventory, host: string): HostNode {
  const node = inv.hosts.get(host);
  if (node) return node;
  if (IMPLICIT_HOSTS.has(host)) return implicitLocalhost(host);
  const guess = nearest(host, inv.hosts.keys());
  throw new ConfigError(`unknown host "${host}"`, { hint: guess ? `did you mean "${guess}"?` : `known hosts: ${[...inv.hosts.keys()].slice(0, 20).join(', ')}` });
}

/** Ansible's implicit localhost: local connection, in no group, yet `all` variables apply. */
export function implicitLocalhost(name: string): HostNode {
  const origin = { file: '(implicit localhost)' };
  return { name, groups: [], implicit: true, origin, vars: new Map([['ansible_connection', [{ value: 'local', origin, jinja: false }]]]) };
}

/** Every group a host belongs to (directly or through parents) except `all`, in variable precedence order. */
export function sortedGroups(inv: Inventory, host: HostNode): GroupNode[] {
  const seen = new Set<string>();
  const stack = [...host.groups];
  while (stack.length > 0) {
    const name = stack.pop() as string;
    if (seen.has(name)) continue;
    seen.add(name);
    stack.push(...(inv.groups.get(name)?.parents ?? []));
  }
  seen.delete('all');
  return [...seen]
    .map((n) => inv.groups.get(n))
    .filter((g): g is GroupNode => g !== undefined)
    .sort((a, b) => a.depth - b.depth || a.priority - b.priority || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function fromLayers(acc: Map<string, VarSource[]>, kind: LayerKind, layers: VarLayer | readonly VarLayer[] | undefined): void {
  const list: readonly VarLayer[] = layers === undefined ? [] : Array.isArray(layers) ? layers : [layers as VarLayer];
  for (const layer of list) {
    for (const [name, value] of Object.entries(layer.vars)) {
      push(acc, name, { kind, label: layer.label, value, ...(layer.file ? { file: layer.file } : {}), jinja: containsJinja(value) });
    }
  }
}

function source(kind: LayerKind, label: string, d: VarDef): VarSource {
  return { kind, label, value: d.value, ...d.origin, jinja: d.jinja };
}

function push(acc: Map<string, VarSource[]>, name: string, s: VarSource): void {
  const list = acc.get(name);
  if (list) list.push(s);
  else acc.set(name, [s]);
}
