/**
 * The inventory as `ansible-inventory` shows it.
 *
 *   toAnsibleListJson(inv);
 *   // { _meta: { hostvars: { web1: { http_port: 8080 } } }, all: { children: ['ungrouped', 'web'] },
 *   //   web: { hosts: ['web1'] } }
 *   formatAnsibleListJson(inv);                 // the same, as `ansible-inventory --list` prints it
 *   toAnsibleListJson(inv, { export: true });   // like --list --export: group vars under each group
 *   toGraph(inv);                                // '@all:\n  |--@web:\n  |  |--web1'
 *
 * Shape (ansible-core 2.14): `all` lists children only; other groups have `hosts` and
 * `children`, empty lists dropped, empty groups dropped (still named by their parent);
 * `_meta.hostvars` has each host's merged variables (hosts without any are left out). Keys are
 * sorted. Secrets print as `***`.
 */
import { Secret, redact } from '../commands/secret.ts';
import { ConfigError } from '../errors.ts';
import { nearest } from './suggest.ts';
import { groupHosts } from './patterns.ts';
import type { GroupNode, Inventory, VarMap } from './types.ts';
import { effective } from './values.ts';
import { hostVars } from './vars.ts';
import type { ExtraLayers } from './vars.ts';

export interface ListJsonOptions {
  /** Like `--export`: group variables under each group, host variables unmerged. */
  export?: boolean;
  /** Layers above or below the inventory to include in the merged host variables. */
  layers?: ExtraLayers;
}

export interface AnsibleGroupJson {
  hosts?: string[];
  children?: string[];
  vars?: Record<string, unknown>;
}

export type AnsibleListJson = { _meta: { hostvars: Record<string, Record<string, unknown>> } } & Record<string, unknown>;

/** The JSON object `ansible-inventory --list` prints. */
export function toAnsibleListJson(inv: Inventory, opts: ListJsonOptions = {}): AnsibleListJson {
  const groups = new Map<string, AnsibleGroupJson>();
  const seen = new Set<string>();
  const visit = (name: string) => {
    const g = inv.groups.get(name);
    if (!g) return;
    const entry: AnsibleGroupJson = {};
    if (name !== 'all' && g.hosts.length) entry.hosts = [...g.hosts];
    if (g.children.length) entry.children = [...g.children];
    for (const c of g.children) {
      if (seen.has(c)) continue;
      seen.add(c);
      visit(c);
    }
    if (opts.export) {
      const vars = exportedGroupVars(inv, g);
      if (Object.keys(vars).length) entry.vars = vars;
    }
    if (Object.keys(entry).length) groups.set(name, entry);
  };
  visit('all');
  const hostvars = new Map<string, Record<string, unknown>>();
  for (const h of groupHosts(inv, 'all')) {
    const vars = opts.export ? exportedHostVars(inv, h) : hostVars(inv, h, opts.layers).vars;
    if (Object.keys(vars).length) hostvars.set(h, vars);
  }
  return printable(Object.fromEntries([['_meta', { hostvars: Object.fromEntries(hostvars) }], ...groups])) as AnsibleListJson;
}

/** `ansible-inventory --list` output text (4-space indent, sorted keys), without the final newline. */
export function formatAnsibleListJson(inv: Inventory, opts: ListJsonOptions = {}): string {
  return JSON.stringify(toAnsibleListJson(inv, opts), null, 4);
}

/** `ansible-inventory --graph [group]` output text, without the final newline. */
export function toGraph(inv: Inventory, group = 'all'): string {
  if (!inv.groups.has(group)) {
    const guess = nearest(group, inv.groups.keys());
    throw new ConfigError(`--graph needs a group name; "${group}" is not a group`, { hint: guess ? `did you mean "${guess}"?` : `known groups: ${[...inv.groups.keys()].join(', ')}` });
  }
  const lines: string[] = [];
  const draw = (name: string, depth: number, trail: ReadonlySet<string>) => {
    const g = inv.groups.get(name);
    if (!g || trail.has(name)) return;
    lines.push(graphLine(`@${name}:`, depth));
    const inner = new Set([...trail, name]);
    for (const c of g.children) draw(c, depth + 1, inner);
    if (name !== 'all') for (const h of g.hosts) lines.push(graphLine(h, depth + 1));
  };
  draw(group, 0, new Set());
  return lines.join('\n');
}

function graphLine(text: string, depth: number): string {
  return depth ? `${'  |'.repeat(depth)}--${text}` : text;
}

function exportedGroupVars(inv: Inventory, g: GroupNode): Record<string, unknown> {
  const maps = [g.vars, ...inv.inventoryVarsDirs.flatMap((d) => (d.groups.get(g.name) ?? []).map((f) => f.vars))];
  const out = merged(maps);
  if (g.priority !== 1) out.set('ansible_group_priority', g.priority);
  return Object.fromEntries(out);
}

function exportedHostVars(inv: Inventory, host: string): Record<string, unknown> {
  const maps = [inv.hosts.get(host)?.vars ?? new Map(), ...inv.inventoryVarsDirs.flatMap((d) => (d.hosts.get(host) ?? []).map((f) => f.vars))];
  return Object.fromEntries(merged(maps));
}

/** Winning values of several variable maps, later maps replacing earlier ones. */
function merged(maps: VarMap[]): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const m of maps) for (const [k, d] of effective(m)) out.set(k, d.value);
  return out;
}

/**
 * Deep copy for printing: keys sorted (as Python's json.dumps(sort_keys=True)), Secrets and
 * known secret text masked; `__proto__` and other odd keys stay ordinary keys.
 */
export function printable(value: unknown, depth = 0): unknown {
  if (value instanceof Secret) return '***';
  if (typeof value === 'string') return redact(value);
  if (value === null || typeof value !== 'object' || depth > 100) return value;
  if (Array.isArray(value)) return value.map((v) => printable(v, depth + 1));
  const keys = Object.keys(value).sort();
  return Object.fromEntries(keys.map((k) => [k, printable((value as Record<string, unknown>)[k], depth + 1)]));
}
