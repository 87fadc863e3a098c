/**
 * Ansible host patterns: which hosts a play or `--limit` selects.
 *
 *   selectHosts(inv, 'all');                 // every host, inventory order
 *   selectHosts(inv, 'web:db');              // union (also 'web,db')
 *   selectHosts(inv, 'web:&eu');             // intersection
 *   selectHosts(inv, 'web:!canary');         // exclusion
 *   selectHosts(inv, 'web*');                // glob on group and host names
 *   selectHosts(inv, '~db-[0-9]+');          // regular expression (anchored at the start)
 *   selectHosts(inv, 'web[0:2]');            // subscript on a group's hosts (inclusive)
 *   selectHosts(inv, 'web', 'web1,@retry.txt');   // --limit, with @file of names
 *
 * Unlike Ansible, which warns and goes on, a part of the pattern that names nothing known is a
 * ConfigError listing the groups and suggesting the nearest name, and so is an empty result.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError, NoHostsMatched } from '../errors.ts';
import type { ConfigProblem } from '../errors.ts';
import { isValidAddress, splitHostPort } from './host-pattern.ts';
import { nearest } from './suggest.ts';
import type { Inventory } from './types.ts';
import { IMPLICIT_HOSTS } from './vars-files.ts';

const SUBSCRIPT = /^(.+)\[(?:(-?[0-9]+)|([0-9]+)([:-])([0-9]*))\]$/;

export interface SelectOptions {
  /** Directory for `@file` limits (default: the current directory). */
  cwd?: string;
}

/** Hosts matching `pattern`, narrowed by `limit`, in inventory order. */
export function selectHosts(inv: Inventory, pattern: string, limit?: string, opts: SelectOptions = {}): string[] {
  const hosts = evaluate(inv, splitPattern(pattern), pattern, 'pattern');
  if (hosts.length === 0) throw noMatch(inv, `pattern "${pattern}" matches no host`);
  if (limit === undefined || limit.trim() === '') return hosts;
  const allowed = new Set(evaluate(inv, limitPatterns(limit, opts.cwd), limit, 'limit'));
  const out = hosts.filter((h) => allowed.has(h));
  if (out.length === 0) throw noMatch(inv, `--limit "${limit}" leaves no host of pattern "${pattern}" (${hosts.length} matched before the limit)`);
  return out;
}

/** Splits a pattern like Ansible: on commas if there are any, else on colons outside [ranges]. */
export function splitPattern(pattern: string): string[] {
  let parts: string[];
  if (pattern.includes(',')) parts = pattern.split(',');
  else if (isValidAddress(splitHostPort(pattern).host) || isValidAddress(pattern)) parts = [pattern];
  else parts = pattern.match(/(?:[^\s:[\]]|\[[^\]]*\])+/g) ?? [];
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

function limitPatterns(limit: string, cwd = process.cwd()): string[] {
  const out: string[] = [];
  for (const part of splitPattern(limit)) {
    if (!part.startsWith('@')) {
      out.push(part);
      continue;
    }
    const file = resolve(cwd, part.slice(1));
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new ConfigError(`cannot read limit file ${file}: ${(e as Error).message}`, { file });
    }
    out.push(...text.split('\n').map((l) => l.trim()).filter((l) => l !== ''));
  }
  return out;
}

function evaluate(inv: Inventory, parts: string[], whole: string, what: 'pattern' | 'limit'): string[] {
  const regular = parts.filter((p) => !p.startsWith('&') && !p.startsWith('!'));
  const ordered = [...(regular.length ? regular : ['all']), ...parts.filter((p) => p.startsWith('&')), ...parts.filter((p) => p.startsWith('!'))];
  const problems: ConfigProblem[] = [];
  let hosts: string[] = [];
  for (const p of ordered) {
    const bare = p.startsWith('&') || p.startsWith('!') ? p.slice(1) : p;
    const matched = inv.hosts.has(bare) ? { hosts: [bare], known: true } : matchOne(inv, bare);
    if (!matched.known) problems.push(unknownPart(inv, bare, whole, what));
    const set = new Set(matched.hosts);
    if (p.startsWith('!')) hosts = hosts.filter((h) => !set.has(h));
    else if (p.startsWith('&')) hosts = hosts.filter((h) => set.has(h));
    else {
      const have = new Set(hosts);
      hosts = [...hosts, ...matched.hosts.filter((h) => !have.has(h))];
    }
  }
  if (problems.length > 0) throw ConfigError.of(problems);
  return hosts;
}

/** Hosts for one pattern part; `known` is false when it names no group or host at all. */
function matchOne(inv: Inventory, part: string): { hosts: string[]; known: boolean } {
  const [expr, subscript] = splitSubscript(part);
  const test = matcher(expr);
  const groups = [...inv.groups.keys()].filter(test);
  const out: string[] = [];
  for (const g of groups) out.push(...groupHosts(inv, g));
  const special = expr.startsWith('~') || /[.?*[]/.test(expr);
  if (groups.length === 0 || special) out.push(...[...inv.hosts.keys()].filter(test));
  let hosts = [...new Set(out)];
  if (hosts.length === 0 && IMPLICIT_HOSTS.has(expr)) hosts = [expr];
  const known = groups.length > 0 || hosts.length > 0;
  return { hosts: subscript ? applySubscript(hosts, subscript, part) : hosts, known };
}

/** Hosts of a group and its descendants, breadth first: the group's own hosts, then each level of children. */
export function groupHosts(inv: Inventory, group: string): string[] {
  const out = new Set<string>();
  const seen = new Set<string>([group]);
  let level = [group];
  while (level.length > 0) {
    const next: string[] = [];
    for (const name of level) {
      const g = inv.groups.get(name);
      for (const h of g?.hosts ?? []) out.add(h);
      for (const c of g?.children ?? []) {
        if (seen.has(c)) continue;
        seen.add(c);
        next.push(c);
      }
    }
    level = next;
  }
  return [...out];
}

function matcher(expr: string): (name: string) => boolean {
  if (expr.startsWith('~')) {
    let re: RegExp;
    try {
      re = new RegExp(expr.slice(1), 'yu');
    } catch (e) {
      throw new ConfigError(`invalid regular expression in host pattern "${expr}": ${(e as Error).message}`);
    }
    return (name) => {
      re.lastIndex = 0;
      return re.test(name);
    };
  }
  const re = globToRegExp(expr);
  return (name) => re.test(name);
}

/** Python's fnmatch: `*`, `?`, `[abc]`, `[!abc]`; case-sensitive; the whole name must match. */
export function globToRegExp(glob: string): RegExp {
  let src = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i] as string;
    if (ch === '*') src += '.*';
    else if (ch === '?') src += '.';
    else if (ch === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end < 0) src += '\\[';
      else {
        let body = glob.slice(i + 1, end).replace(/\\/g, '\\\\');
        if (body.startsWith('!')) body = `^${body.slice(1)}`;
        else if (body.startsWith('^')) body = `\\${body}`;
        src += `[${body}]`;
        i = end;
      }
    } else src += ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^(?:${src})$`, 'su');
}

function splitSubscript(part: string): [string, [number, number | undefined] | undefined] {
  if (part.startsWith('~')) return [part, undefined];
  const m = SUBSCRIPT.exec(part);
  if (!m) return [part, undefined];
  if (m[2] !== undefined) return [m[1] ?? part, [Number(m[2]), undefined]];
  return [m[1] ?? part, [Number(m[3]), m[5] ? Number(m[5]) : -1]];
}

function applySubscript(hosts: string[], [start, end]: [number, number | undefined], part: string): string[] {
  if (hosts.length === 0) return hosts;
  if (end === undefined) {
    const h = hosts.at(start);
    if (h === undefined) throw new ConfigError(`no host at index ${start} in "${part}" (it has ${hosts.length} hosts)`);
    return [h];
  }
  return hosts.slice(start, end === -1 ? hosts.length : end + 1);
}

function unknownPart(inv: Inventory, part: string, whole: string, what: string): ConfigProblem {
  const names = [...inv.groups.keys(), ...inv.hosts.keys()];
  const guess = nearest(part.replace(/^[~]/, ''), names);
  return {
    message: `${what} "${whole}": "${part}" matches no group or host`,
    hint: `${guess ? `did you mean "${guess}"? ` : ''}known groups: ${knownGroups(inv)}`,
  };
}

function noMatch(inv: Inventory, message: string): NoHostsMatched {
  return new NoHostsMatched(message, { hint: `known groups: ${knownGroups(inv)}` });
}

function knownGroups(inv: Inventory): string {
  const names = [...inv.groups.keys()];
  return names.length > 40 ? `${names.slice(0, 40).join(', ')}, ...` : names.join(', ');
}
