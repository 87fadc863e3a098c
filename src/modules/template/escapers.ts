/**
 * Escapers for template values, one per output format. A template's `escape` picks the one
 * `<%= %>` uses; every template can also call them by name for one value.
 *
 *   <%= name %>                 escape 'none': the value as text (never HTML-escaped)
 *   password: <%= yaml(pw) %>   a YAML scalar, double-quoted when it must be: "it's: \"x\""
 *   "port": <%= json(port) %>   a JSON literal
 *   ExecStart=/bin/app <%= shell(args) %>   POSIX single quotes; an array becomes several words
 *   name = <%= ini(name) %>     refused when it holds a newline or control character
 *   server <%= haproxy(n) %> <%= haproxy(addr) %>   one HAProxy word, single-quoted when needed
 *
 * Every escaper refuses undefined (a missing property), and all but yaml/json refuse null,
 * objects and functions, so that a mistake fails instead of writing `undefined` or
 * `[object Object]` into a config file. A helper's result is not escaped a second time by `<%=`.
 */
import { quote } from '../../commands/quote.ts';

export const ESCAPE_NAMES = ['none', 'yaml', 'json', 'shell', 'ini', 'haproxy'] as const;
export type EscapeName = (typeof ESCAPE_NAMES)[number];

/** A value's problem, reported with the template's file and line. */
export class TemplateValueError extends Error {}

/** Text already escaped by a helper: `<%=` writes it as it is. */
export class Escaped {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
  toJSON(): string {
    return this.text;
  }
}

export type Escaper = (value: unknown) => string;

export const escapers: Record<EscapeName, Escaper> = {
  none: (v) => scalarText(v, 'none'),
  yaml: (v) => yamlValue(v),
  json: (v) => jsonValue(v),
  shell: (v) => (Array.isArray(v) ? v.map((x) => quote(scalarText(x, 'shell'))).join(' ') : quote(scalarText(v, 'shell'))),
  ini: (v) => iniValue(v),
  haproxy: (v) => haproxyWord(v),
};

/** The helpers every template can call: yaml(v), json(v), shell(v), ini(v), haproxy(v). */
export function helperFunctions(): Record<Exclude<EscapeName, 'none'>, (v: unknown) => Escaped> {
  const wrap = (e: Escaper) => (v: unknown) => new Escaped(e(v));
  return { yaml: wrap(escapers.yaml), json: wrap(escapers.json), shell: wrap(escapers.shell), ini: wrap(escapers.ini), haproxy: wrap(escapers.haproxy) };
}

/** A string, number, bigint or boolean as text; anything else is refused with the reason. */
export function scalarText(v: unknown, escaper: EscapeName): string {
  if (typeof v === 'string') return v;
  if (v instanceof Escaped) return v.text;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new TemplateValueError(`the value is ${v}, not a usable number`);
    return String(v);
  }
  if (typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  throw new TemplateValueError(refusal(v, 'text', escaper));
}

function describeValue(v: unknown): string {
  if (v === undefined) return 'the value is undefined (a missing variable or property)';
  if (v === null) return 'the value is null';
  if (typeof v === 'function') return 'the value is a function (missing parentheses?)';
  if (Array.isArray(v)) return 'the value is an array';
  return `the value is ${typeof v === 'object' ? 'an object' : `a ${typeof v}`}`;
}

/** Why a value cannot be written in a format, with a hint when there is one. */
function refusal(v: unknown, format: string, escaper?: EscapeName): string {
  if (v === undefined || v === null || typeof v === 'function') return describeValue(v);
  const hint = typeof v === 'object' && escaper !== 'yaml' && escaper !== 'json' ? '; render it with json(v) or yaml(v), or pick one of its fields' : '';
  return `${describeValue(v)}, which cannot be written as ${format}${hint}`;
}

/** Control characters (tab excepted) and Unicode line breaks: no line-based format can hold them. */
function hasControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || (c >= 0x7f && c <= 0x9f) || c === 0x2028 || c === 0x2029) return true;
  }
  return false;
}

function iniValue(v: unknown): string {
  const s = scalarText(v, 'ini');
  if (hasControl(s)) throw new TemplateValueError('the value holds a newline or control character, which an INI value cannot hold');
  if (s !== s.trim()) throw new TemplateValueError('the value starts or ends with whitespace, which INI parsers strip');
  return s;
}

/**
 * One HAProxy configuration word: as is unless it holds a character HAProxy's tokenizer
 * treats specially (space, #, quotes, backslash, $), else single-quoted, where nothing is
 * interpreted ('\'' for a quote, as in a POSIX shell).
 */
function haproxyWord(v: unknown): string {
  const s = scalarText(v, 'haproxy');
  if (hasControl(s) || s.includes('\t')) throw new TemplateValueError('the value holds a newline, tab or control character, which a HAProxy word cannot hold');
  if (s !== '' && !/[\s#'"\\$]/.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

function jsonValue(v: unknown): string {
  if (v === undefined) throw new TemplateValueError(describeValue(v));
  let out: string | undefined;
  try {
    out = JSON.stringify(v);
  } catch (e) {
    throw new TemplateValueError(`the value cannot be written as JSON: ${(e as Error).message}`);
  }
  if (out === undefined) throw new TemplateValueError(refusal(v, 'JSON'));
  return out;
}

/** YAML 1.1 and 1.2 words that a plain scalar would turn into a boolean or null. */
const YAML_WORDS = /^(?:y|n|yes|no|on|off|true|false|null)$/i;

/** A YAML node on one line: a plain scalar when unambiguous, else double-quoted; collections in flow style. */
export function yamlValue(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (typeof v === 'number') return Number.isNaN(v) ? '.nan' : v === Infinity ? '.inf' : v === -Infinity ? '-.inf' : String(v);
  if (v instanceof Escaped) return yamlValue(v.text);
  if (typeof v === 'string') return /^[A-Za-z_][A-Za-z0-9_./-]*$/.test(v) && !YAML_WORDS.test(v) ? v : yamlQuoted(v);
  if (Array.isArray(v)) return `[${v.map(yamlValue).join(', ')}]`;
  if (isPlainObject(v)) return `{${Object.keys(v).map((k) => `${yamlValue(k)}: ${yamlValue(v[k])}`).join(', ')}}`;
  throw new TemplateValueError(refusal(v, 'YAML'));
}

const YAML_ESCAPES: Record<string, string> = { '"': '\\"', '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\0': '\\0', '\u2028': '\\L', '\u2029': '\\P' };

function yamlQuoted(s: string): string {
  let out = '"';
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    if (YAML_ESCAPES[ch] !== undefined) out += YAML_ESCAPES[ch];
    else if (code >= 0xd800 && code <= 0xdfff) throw new TemplateValueError('the value holds a lone UTF-16 surrogate, which is not valid text');
    else if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else if (code === 0xfeff || code === 0xfffe || code === 0xffff) out += `\\u${code.toString(16)}`;
    else out += ch;
  }
  return `${out}"`;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}
