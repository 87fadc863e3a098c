/**
 * Host entries as Ansible writes them: an optional `:port` and `[a:b]` / `[a:b:step]` ranges.
 *
 *   expandHostPattern('web[01:03]');      // { hosts: ['web01', 'web02', 'web03'] }
 *   expandHostPattern('db-[a:c]:2222');   // { hosts: ['db-a', 'db-b', 'db-c'], port: 2222 }
 *   expandHostPattern('[::1]:22');        // { hosts: ['::1'], port: 22 }
 *   expandHostPattern('n[1:10:4]');       // { hosts: ['n1', 'n5', 'n9'] }
 *
 * Zero padding is kept (`[01:10]`), begin and end must then have the same width. A range
 * that yields no host, a step of 0 or a reversed letter range is an error (`RangeError`);
 * so is an entry that would expand to more than 100,000 hosts, counted over all its ranges
 * (`h[1:1000][1:1000]` is a million) before anything is expanded.
 */
import { isIPv6 } from 'node:net';

const NUMERIC_RANGE = String.raw`\[(?:[0-9]+:[0-9]+)(?::[0-9]+)?\]`;
const ALNUM_RANGE = String.raw`\[(?:[a-z]:[a-z]|[0-9]+:[0-9]+)(?::[0-9]+)?\]`;
const WORD = String.raw`[\p{L}\p{N}\p{M}_]`;
const LABEL = `(?:${WORD}|${ALNUM_RANGE})(?:${WORD}|-|${ALNUM_RANGE})*(?<![_-])`;
const IPV4_PART = `(?:[01]?[0-9]{1,2}|2[0-4][0-9]|25[0-5]|${NUMERIC_RANGE})`;

const BRACKETED_HOSTPORT = /^\[(.+)\]:([0-9]+)$/;
const HOSTPORT = /^((?:[^:[\]]|\[[^\]]*\])*):([0-9]+)$/;
const IPV4 = new RegExp(`^(?:${IPV4_PART}\\.){3}${IPV4_PART}$`, 'iu');
const HOSTNAME = new RegExp(`^${LABEL}(?:\\.${LABEL})*$`, 'iu');
const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
/** The most hosts one entry may expand to. */
export const MAX_RANGE_HOSTS = 100_000;

export interface ExpandedHosts {
  hosts: string[];
  port?: number;
}

/** True when `address` is an IPv4/IPv6 address or a host name, ranges allowed (Ansible's parse_address). */
export function isValidAddress(address: string): boolean {
  return IPV4.test(address) || HOSTNAME.test(address) || isIPv6(address);
}

/**
 * Splits `host:port` (or `[host]:port`) the way Ansible does. An entry that is not a valid
 * address keeps its whole text as the host name, port included, like Ansible.
 */
export function splitHostPort(entry: string): { host: string; port?: number } {
  let address = entry;
  let port: number | undefined;
  for (const re of [BRACKETED_HOSTPORT, HOSTPORT]) {
    const m = re.exec(address);
    if (m) {
      address = m[1] ?? '';
      port = Number(m[2]);
    }
  }
  if (!isValidAddress(address)) return { host: entry };
  return port === undefined ? { host: address } : { host: address, port };
}

/** Expands one host entry into host names and an optional port shared by all of them. */
export function expandHostPattern(entry: string): ExpandedHosts {
  const { host, port } = splitHostPort(entry);
  if (host.includes('[')) checkRangeTotal(host);
  const hosts = host.includes('[') ? expandRanges(host) : [host];
  return port === undefined ? { hosts } : { hosts, port };
}

/** Expands every `[begin:end(:step)]` range in a name, left to right. */
export function expandRanges(name: string): string[] {
  const open = name.indexOf('[');
  const close = name.indexOf(']');
  if (open < 0) return [name];
  if (close < open) throw new RangeError(`host range in "${name}" is not closed with ]`);
  const head = name.slice(0, open);
  const tail = name.slice(close + 1);
  const out: string[] = [];
  for (const item of rangeItems(name.slice(open + 1, close), name)) out.push(...expandRanges(head + item + tail));
  return out;
}

/** Refuses an entry whose ranges multiply to more than MAX_RANGE_HOSTS hosts, before expanding it. */
function checkRangeTotal(name: string): void {
  let total = 1;
  for (const m of name.matchAll(/\[([^\]]*)\]/g)) {
    total *= rangeItems(m[1] ?? '', name).length;
    if (total > MAX_RANGE_HOSTS) throw new RangeError(`host ranges in "${name}" expand to more than ${MAX_RANGE_HOSTS} hosts`);
  }
}

function rangeItems(spec: string, name: string): string[] {
  const bounds = spec.split(':');
  if (bounds.length !== 2 && bounds.length !== 3) throw new RangeError(`host range [${spec}] in "${name}" must be begin:end or begin:end:step`);
  const begin = bounds[0] || '0';
  const end = bounds[1] ?? '';
  const step = bounds[2] === undefined ? 1 : Number(bounds[2]);
  if (!end) throw new RangeError(`host range [${spec}] in "${name}" must specify an end`);
  if (!Number.isInteger(step) || step < 1) throw new RangeError(`host range [${spec}] in "${name}" needs a positive whole step`);
  const items = LETTERS.includes(begin) && LETTERS.includes(end) && begin.length === 1 && end.length === 1
    ? letterRange(begin, end, step, spec, name)
    : numberRange(begin, end, step, spec, name);
  if (items.length === 0) throw new RangeError(`host range [${spec}] in "${name}" yields no host (begin is after end)`);
  return items;
}

function letterRange(begin: string, end: string, step: number, spec: string, name: string): string[] {
  const from = LETTERS.indexOf(begin);
  const to = LETTERS.indexOf(end);
  if (from > to) throw new RangeError(`host range [${spec}] in "${name}" must have begin <= end`);
  const out: string[] = [];
  for (let i = from; i <= to; i += step) out.push(LETTERS[i] ?? '');
  return out;
}

function numberRange(begin: string, end: string, step: number, spec: string, name: string): string[] {
  if (!/^[0-9]+$/.test(begin) || !/^[0-9]+$/.test(end)) {
    throw new RangeError(`host range [${spec}] in "${name}" must be numbers (01:20) or single letters (a:f)`);
  }
  const width = begin.length > 1 && begin.startsWith('0') ? begin.length : 0;
  if (width && end.length !== width) throw new RangeError(`host range [${spec}] in "${name}" must give begin and end with the same number of digits`);
  const from = Number(begin);
  const to = Number(end);
  if (to - from >= MAX_RANGE_HOSTS) throw new RangeError(`host range [${spec}] in "${name}" is larger than ${MAX_RANGE_HOSTS} hosts`);
  const out: string[] = [];
  for (let i = from; i <= to; i += step) out.push(width ? String(i).padStart(width, '0') : String(i));
  return out;
}
