/**
 * Ansible's YAML (and JSON) inventory format: top-level groups, each with `hosts`, `vars`
 * and `children`, nested to any depth; host keys may carry `:port` and ranges.
 *
 *   all:
 *     vars: { ntp: pool.ntp.org }
 *     children:
 *       web:
 *         hosts:
 *           web[01:03]: { http_port: 8080 }
 *
 *   readYamlInventory(text, 'hosts.yml', builder);
 *
 * Ansible only warns about unknown keys and non-mapping groups; here they are errors, with
 * the file:line:col and key path of each.
 */
import { formatKeyPath, loadYaml, pathId } from './yaml-safe.ts';
import type { VaultKeyring } from '../vault/keyring.ts';
import type { LoadedYaml, PathKey } from './yaml-safe.ts';
import type { InventoryBuilder } from './builder.ts';
import type { VarOrigin } from './types.ts';
import { expandHostPattern } from './host-pattern.ts';
import { nearest } from './suggest.ts';

const SECTIONS = ['hosts', 'vars', 'children'] as const;

interface Ctx {
  file: string;
  doc: LoadedYaml;
  b: InventoryBuilder;
}

/** Reads a YAML/JSON inventory into the builder. Syntax problems throw; structure problems are collected. */
export function readYamlInventory(text: string, file: string, b: InventoryBuilder, vault?: VaultKeyring): void {
  const doc = loadYaml(text, file, vault ? { vault } : {});
  const ctx: Ctx = { file, doc, b };
  const data = doc.value;
  if (data === null || data === undefined) return b.problem('the inventory file is empty', { file, line: 1, col: 1 });
  if (!isRecord(data)) return b.problem('a YAML inventory must be a mapping of group names (all:, web:, ...)', { file, line: 1, col: 1 });
  if ('plugin' in data) return b.problem('this is an inventory plugin configuration, which Capstan does not run', where(ctx, ['plugin']));
  for (const [name, body] of Object.entries(data)) readGroup(ctx, name, body, [name]);
}

function readGroup(ctx: Ctx, name: string, body: unknown, path: PathKey[]): void {
  ctx.b.addGroup(name, where(ctx, path));
  if (body === null || body === undefined) return;
  if (!isRecord(body)) return ctx.b.problem(`group "${name}" must be a mapping with hosts, vars or children`, where(ctx, path));
  for (const [key, value] of Object.entries(body)) {
    if (!(SECTIONS as readonly string[]).includes(key)) {
      const guess = nearest(key, SECTIONS);
      ctx.b.problem(`unknown key "${key}" in group "${name}"; a group has only hosts, vars and children`, where(ctx, [...path, key]), guess ? `did you mean "${guess}"?` : undefined);
      continue;
    }
    const section = typeof value === 'string' ? { [value]: null } : value;
    if (section === null || section === undefined) continue;
    if (!isRecord(section)) {
      ctx.b.problem(`"${key}" of group "${name}" must be a mapping`, where(ctx, [...path, key]));
      continue;
    }
    if (key === 'vars') readVars(ctx, section, [...path, key], (k, v, o, j) => ctx.b.setGroupVar(name, k, v, o, j));
    else if (key === 'children') readChildren(ctx, name, section, [...path, key]);
    else readHosts(ctx, name, section, [...path, key]);
  }
}

function readChildren(ctx: Ctx, parent: string, children: Record<string, unknown>, path: PathKey[]): void {
  for (const [child, body] of Object.entries(children)) {
    readGroup(ctx, child, body, [...path, child]);
    ctx.b.addChild(parent, child, where(ctx, [...path, child]));
  }
}

function readHosts(ctx: Ctx, group: string, hosts: Record<string, unknown>, path: PathKey[]): void {
  for (const [entry, vars] of Object.entries(hosts)) {
    const hostPath = [...path, entry];
    const origin = where(ctx, hostPath);
    let expanded;
    try {
      expanded = expandHostPattern(entry);
    } catch (e) {
      ctx.b.problem((e as Error).message, origin);
      continue;
    }
    if (vars !== null && vars !== undefined && !isRecord(vars)) {
      ctx.b.problem(`variables of host "${entry}" must be a mapping, got ${describe(vars)}`, origin);
      continue;
    }
    for (const host of expanded.hosts) {
      ctx.b.addHost(host, group, origin, expanded.port);
      if (vars) readVars(ctx, vars, hostPath, (k, v, o, j) => ctx.b.setHostVar(host, k, v, o, j));
    }
  }
}

type SetVar = (name: string, value: unknown, origin: VarOrigin, jinjaChecked: boolean) => void;

function readVars(ctx: Ctx, vars: Record<string, unknown>, path: PathKey[], set: SetVar): void {
  for (const [k, v] of Object.entries(vars)) {
    const varPath = [...path, k];
    set(k, v, where(ctx, varPath), !ctx.doc.unsafe.has(pathId(varPath)));
  }
}

function where(ctx: Ctx, path: PathKey[]): VarOrigin {
  const loc = ctx.doc.locate(path);
  return { file: ctx.file, ...(loc ? { line: loc.line, col: loc.col } : {}), keyPath: formatKeyPath(path) };
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function describe(v: unknown): string {
  return Array.isArray(v) ? 'a list' : typeof v === 'string' ? `the text ${JSON.stringify(v)}` : String(v);
}
