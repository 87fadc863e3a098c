/**
 * Flag values checked as they are parsed: each checker is a yargs `coerce` function that
 * returns the typed value or throws a ConfigError naming the flag, what it got and what it
 * takes. A flag given twice keeps its last value, as with Ansible's flags.
 *
 *   .option('forks', { alias: 'f', type: 'string', default: '10', coerce: wholeNumber('--forks', 1, 1000) })
 *   // capstan run site.ts -i hosts.yml -f abc
 *   // error: invalid input, nothing was run: --forks takes a whole number from 1 to 1000, got "abc"
 */
import { statSync } from 'node:fs';
import { ConfigError } from '../errors.ts';
import { fsCause } from '../inventory/fs-errors.ts';
import { parseSlice, type Slice } from '../engine/slice.ts';

/** The last value of a flag given more than once. */
function last(v: unknown): unknown {
  return Array.isArray(v) ? v[v.length - 1] : v;
}

function shown(v: unknown): string {
  return JSON.stringify(v === undefined ? '' : v);
}

function parseNumber(v: unknown): number {
  const x = last(v);
  if (typeof x === 'number') return x;
  if (typeof x !== 'string' || !/^\s*[-+]?(\d+\.?\d*|\.\d+)\s*$/.test(x)) return NaN;
  return Number(x);
}

/** A whole number from `min` to `max` (`--forks 20`). */
export function wholeNumber(flag: string, min: number, max: number): (v: unknown) => number {
  return (v) => {
    const n = parseNumber(v);
    if (Number.isInteger(n) && n >= min && n <= max) return n;
    throw new ConfigError(`${flag} takes a whole number from ${min} to ${max}, got ${shown(last(v))}`);
  };
}

/** A whole number from `min` to `max`, or undefined when not given (`--ssh-max-channels 4`). */
export function optionalWholeNumber(flag: string, min: number, max: number): (v: unknown) => number | undefined {
  const check = wholeNumber(flag, min, max);
  return (v) => (v === undefined ? undefined : check(v));
}

/**
 * A duration in seconds up to `max` (`--connect-timeout 2.5`), above 0 unless `min` is 0
 * (`--lock-wait 0`); undefined when not given.
 */
export function seconds(flag: string, max = 86_400, min?: 0): (v: unknown) => number | undefined {
  return (v) => {
    if (v === undefined) return undefined;
    const n = parseNumber(v);
    if (Number.isFinite(n) && (min === 0 ? n >= 0 : n > 0) && n <= max) return n;
    throw new ConfigError(`${flag} takes a number of seconds ${min === 0 ? 'from 0' : 'above 0'} and up to ${max}, got ${shown(last(v))}`);
  };
}

/** A percentage strictly between 0 and 100 (`--uptime-sla 99.9`); undefined when not given. */
export function percentage(flag: string): (v: unknown) => number | undefined {
  return (v) => {
    if (v === undefined) return undefined;
    const n = parseNumber(v);
    if (n > 0 && n < 100) return n;
    throw new ConfigError(`${flag} takes a percentage between 0 and 100 such as 99.9, got ${shown(last(v))}`);
  };
}

/** A non-empty text (`--limit web1`); undefined when not given. */
export function text(flag: string): (v: unknown) => string | undefined {
  return (v) => {
    if (v === undefined) return undefined;
    const s = last(v);
    if (typeof s === 'string' && s.trim() !== '') return s;
    throw new ConfigError(`${flag} needs a value, got ${shown(s)}`);
  };
}

/** A required text, such as a positional argument (`PLAYBOOK`). */
export function word(name: string): (v: unknown) => string {
  return (v) => text(name)(v) ?? '';
}

/** Texts of a repeatable flag, none of them empty, at least `min` of them (`-i a.yml -i b.yml`). */
export function texts(flag: string, min = 0): (v: unknown) => string[] {
  return (v) => {
    const list = (Array.isArray(v) ? v : v === undefined ? [] : [v]).map(String);
    if (list.length < min || list.some((s) => s.trim() === '')) throw new ConfigError(`${flag} needs a value, got ""`);
    return list;
  };
}

/** Comma-separated lists of a repeatable flag (`--tags a,b --tags c`); an empty name is refused. */
export function nameList(flag: string): (v: unknown) => string[] {
  return (v) => {
    const parts = (Array.isArray(v) ? v : v === undefined ? [] : [v]).flatMap((x) => String(x).split(',')).map((x) => x.trim());
    if (parts.some((p) => p === '')) throw new ConfigError(`${flag} takes names separated by commas, got ${shown((Array.isArray(v) ? v : [v]).join(','))}`);
    return parts;
  };
}

/**
 * A file that may not exist yet (`--known-hosts`, `--log-file`): when it exists it must be a
 * file, and its directory must exist.
 */
export function filePath(flag: string): (v: unknown) => string | undefined {
  return (v) => {
    const path = text(flag)(v);
    if (path === undefined) return undefined;
    let info;
    try {
      info = statSync(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return path;
      throw new ConfigError(`${flag} ${path}: ${fsCause(e)}`);
    }
    if (info.isDirectory()) throw new ConfigError(`${flag} ${path}: it is a directory; name a file in it`);
    return path;
  };
}

/**
 * Boolean switches take no value, or `=true` / `=false`: yargs would read `--check=maybe`
 * as false, and run for real what was meant as a check.
 */
export function checkSwitchValues(argv: readonly string[], switches: readonly string[]): void {
  for (const arg of argv) {
    if (arg === '--') return;
    const m = /^--(?:no-)?([^=]+)=(.*)$/s.exec(arg);
    if (m && switches.includes(m[1] as string) && m[2] !== 'true' && m[2] !== 'false') {
      throw new ConfigError(`--${m[1]} is a switch: give it alone (--${m[1]}), or as --${m[1]}=true or --${m[1]}=false, got ${JSON.stringify(m[2])}`);
    }
  }
}

/** `--slice K/N`: the K-th of N slices (slice.ts); undefined when not given. */
export function sliceFlag(flag: string): (v: unknown) => Slice | undefined {
  return (v) => {
    const s = text(flag)(v);
    return s === undefined ? undefined : parseSlice(s);
  };
}
