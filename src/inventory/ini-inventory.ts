/**
 * Ansible's INI inventory format.
 *
 *   bastion ansible_host=203.0.113.5     # before any section: ungrouped
 *   [web]
 *   web[01:03] http_port=8080
 *   [web:vars]
 *   ntp = "pool.ntp.org"
 *   [dc:children]
 *   web
 *
 *   readIniInventory(text, 'hosts.ini', builder);
 *
 * Lines starting with `#` or `;` are comments; host lines are split like a shell line with
 * `#` comments; values are read as Python literals when they are one (see py-literal.ts).
 * `[g:vars]` and `[g:children]` may name groups declared later in the file. Unlike Ansible,
 * which only warns and skips a broken file, every problem is an error with file:line.
 */
import type { InventoryBuilder } from './builder.ts';
import type { VarOrigin } from './types.ts';
import { expandHostPattern } from './host-pattern.ts';
import { iniValue } from './py-literal.ts';
import { ShlexError, splitWords } from './shlex.ts';

const SECTION = /^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:#.*)?$/;
const GROUP_NAME = /^([^:\]\s]+)\s*(?:#.*)?$/;
const LOSSY_FLOAT = /^[-+]?[0-9]*\.[0-9]*0(?:[eE][-+]?[0-9]+)?$/;

type State = 'hosts' | 'vars' | 'children';

interface Pending {
  line: number;
  state: 'vars' | 'children';
  parents: string[];
}

interface Ctx {
  file: string;
  b: InventoryBuilder;
  group: string;
  state: State;
  lineNo: number;
  pending: Map<string, Pending>;
}

/** Reads an INI inventory into the builder; problems are collected on the builder. */
export function readIniInventory(text: string, file: string, b: InventoryBuilder): void {
  const ctx: Ctx = { file, b, group: 'ungrouped', state: 'hosts', lineNo: 0, pending: new Map() };
  for (const raw of text.split(/\r?\n/)) {
    ctx.lineNo++;
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const m = SECTION.exec(line);
    if (m) section(ctx, m[1] ?? '', m[2] ?? 'hosts', line);
    else if (line.startsWith('[') && line.endsWith(']')) b.problem(`invalid section header ${line}: a section is [group], [group:vars] or [group:children], without spaces`, at(ctx, 1));
    else if (ctx.state === 'hosts') hostLine(ctx, line, raw.indexOf(line) + 1);
    else if (ctx.state === 'vars') varLine(ctx, line);
    else childLine(ctx, line);
  }
  for (const [name, p] of ctx.pending) {
    const origin = { file, line: p.line, col: 1 };
    if (p.state === 'vars') b.problem(`section [${name}:vars] is for a group that is never declared`, origin, `declare it with [${name}] or list it under some [parent:children]`);
    else b.problem(`section [${p.parents.at(-1)}:children] names group "${name}", which is never declared`, origin, `add a [${name}] section (it may be empty)`);
  }
}

function section(ctx: Ctx, group: string, state: string, line: string): void {
  if (state !== 'hosts' && state !== 'vars' && state !== 'children') {
    ctx.b.problem(`section ${line} has unknown type "${state}"; use :vars or :children`, at(ctx, 1));
    return;
  }
  ctx.group = group;
  ctx.state = state;
  const known = ctx.b.groups.has(group);
  if (!known && state === 'vars' && !ctx.pending.has(group)) ctx.pending.set(group, { line: ctx.lineNo, state, parents: [] });
  ctx.b.addGroup(group, at(ctx, 2, `[${line.slice(1, line.indexOf(']'))}]`));
  const waiting = ctx.pending.get(group);
  if (waiting && state !== 'vars') {
    if (waiting.state === 'children') addPendingChildren(ctx, group);
    else ctx.pending.delete(group);
  }
}

function addPendingChildren(ctx: Ctx, group: string): void {
  const p = ctx.pending.get(group);
  if (!p) return;
  ctx.pending.delete(group);
  for (const parent of p.parents) {
    ctx.b.addChild(parent, group, { file: ctx.file, line: p.line });
    if (ctx.pending.get(parent)?.state === 'children') addPendingChildren(ctx, parent);
  }
}

function hostLine(ctx: Ctx, line: string, indent: number): void {
  let words;
  try {
    words = splitWords(line);
  } catch (e) {
    if (!(e instanceof ShlexError)) throw e;
    ctx.b.problem(`cannot read host line: ${e.message}`, at(ctx, e.col + indent - 1));
    return;
  }
  const [first, ...rest] = words;
  if (!first) return;
  const entry = first.text;
  const origin = at(ctx, first.col + indent - 1, `${ctx.group}.${entry}`);
  if (entry === '---') return ctx.b.problem('"---" is not a host: this looks like a YAML file; name it .yml or .yaml', origin);
  if (entry.endsWith(':')) return ctx.b.problem(`host "${entry}" ends with ":", which is reserved for a port`, origin);
  let expanded;
  try {
    expanded = expandHostPattern(entry);
  } catch (e) {
    return ctx.b.problem((e as Error).message, origin);
  }
  const vars: [string, unknown, VarOrigin][] = [];
  for (const w of rest) {
    const eq = w.text.indexOf('=');
    const wOrigin = at(ctx, w.col + indent - 1);
    if (eq < 0) {
      ctx.b.problem(`expected key=value after the host name, got "${w.text}"`, wOrigin, 'quote values that contain spaces: motd="hello world"');
      return;
    }
    const key = w.text.slice(0, eq);
    vars.push([key, readValue(ctx, w.text.slice(eq + 1), wOrigin, key), { ...wOrigin, keyPath: `${ctx.group}.${entry}.${key}` }]);
  }
  for (const host of expanded.hosts) {
    ctx.b.addHost(host, ctx.group, origin, expanded.port);
    for (const [k, v, o] of vars) ctx.b.setHostVar(host, k, v, o);
  }
}

function varLine(ctx: Ctx, line: string): void {
  const eq = line.indexOf('=');
  if (eq < 0) return ctx.b.problem(`expected key=value in [${ctx.group}:vars], got "${line}"`, at(ctx, 1));
  const key = line.slice(0, eq).trim();
  const origin = at(ctx, 1, `${ctx.group}:vars.${key}`);
  ctx.b.setGroupVar(ctx.group, key, readValue(ctx, line.slice(eq + 1).trim(), origin, key), origin);
}

function childLine(ctx: Ctx, line: string): void {
  const m = GROUP_NAME.exec(line);
  const child = m?.[1];
  if (!child) return ctx.b.problem(`expected a group name in [${ctx.group}:children], got "${line}"`, at(ctx, 1));
  if (ctx.b.groups.has(child)) return ctx.b.addChild(ctx.group, child, at(ctx, 1, `${ctx.group}:children.${child}`));
  const p = ctx.pending.get(child);
  if (p) p.parents.push(ctx.group);
  else ctx.pending.set(child, { line: ctx.lineNo, state: 'children', parents: [ctx.group] });
}

function readValue(ctx: Ctx, text: string, origin: VarOrigin, key: string): unknown {
  const value = iniValue(text);
  if (typeof value === 'number' && LOSSY_FLOAT.test(text)) {
    ctx.b.warnings.push({ message: `${key}=${text} is read as the number ${value} (as Ansible does), dropping the trailing zero; write ${key}='"${text}"' on a host line or ${key}="${text}" in a :vars section to keep the text`, ...origin, variable: key });
  } else if (typeof value === 'string' && /^[[{(]/.test(text)) {
    ctx.b.warnings.push({ message: `${key} looks like a list or mapping but is not valid Python literal syntax, so it is kept as the text ${JSON.stringify(text)}`, ...origin, variable: key });
  }
  return value;
}

function at(ctx: Ctx, col: number, keyPath?: string): VarOrigin {
  return { file: ctx.file, line: ctx.lineNo, col, ...(keyPath ? { keyPath } : {}) };
}
