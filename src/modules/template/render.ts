/**
 * EJS rendering on the controller, with variables kept as data.
 *
 *   renderTemplate({ text: 'listen <%= port %>\n', file: 'haproxy.cfg.ejs', vars: { port: 6443 }, escape: 'haproxy' })
 *   // → { text: 'listen 6443\n', secret: false }
 *   renderTemplate({ text: '<%= prot %>', file: 't.ejs', vars: { port: 1 }, escape: 'none' })
 *   // throws TemplateError: t.ejs:1: undefined variable "prot" (not in vars)
 *
 * - EJS gets the three-argument call with fixed options: no variable (`delimiter`, `debug`,
 *   `client`, `escape`, …) can change how the template is compiled.
 * - Variables are reached through a Proxy: a name that is neither a variable, a helper nor a
 *   standard JavaScript global fails with its name and the template's file:line; `<%=` of an
 *   undefined value fails too, with `<%=` and `<%-` alike. `typeof x === 'undefined'` and
 *   `defined('x')` test optional ones. Variables take precedence over helpers of the same
 *   name; EJS's own names (`__append`, `__line`, `escapeFn`, …) are not variables.
 * - Values are output once and never rendered again: `<%` inside a value is just text.
 * - `Secret`s anywhere in the variables render as their values, and mark the result secret.
 * - `include('part')` renders `part.ejs` beside the including file with the same variables.
 */
import ejs from 'ejs';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, extname, resolve } from 'node:path';
import { Secret } from '../../commands/secret.ts';
import { Escaped, escapers, helperFunctions, scalarText, TemplateValueError, type EscapeName } from './escapers.ts';

export interface RenderOptions {
  text: string;
  /** Where the template comes from, as messages name it. */
  file: string;
  /** The template's path on the controller, for include(); absent for inline text. */
  path?: string;
  vars: Record<string, unknown>;
  escape: EscapeName;
}

export interface Rendered {
  text: string;
  /** A Secret was among the variables: the output must be treated as secret. */
  secret: boolean;
}

/** A template that cannot be rendered, with the place and (when known) the variable. */
export class TemplateError extends Error {
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    readonly detail: string,
    readonly variable?: string,
  ) {
    super(`${file}${line === undefined ? '' : `:${line}`}: ${detail}`);
  }
}

class UndefinedVariable extends Error {
  constructor(readonly variable: string) {
    super(`undefined variable "${variable}" (not in vars)`);
  }
}

interface Scope {
  file: string;
  path: string | undefined;
  vars: Record<string, unknown>;
  escape: EscapeName;
  depth: number;
  secret: { found: boolean };
}

const MAX_INCLUDE_DEPTH = 16;

export function renderTemplate(o: RenderOptions): Rendered {
  const secret = { found: false };
  const vars = revealSecrets(o.vars, secret) as Record<string, unknown>;
  const text = renderScope(o.text, { file: o.file, path: o.path, vars, escape: o.escape, depth: 0, secret });
  return { text, secret: secret.found };
}

function renderScope(text: string, scope: Scope): string {
  const token = `capstan-template-${randomUUID()}`;
  const state: RenderState = { line: 1, output: [] };
  const escaper = escapers[scope.escape];
  const escapeFn = (v: unknown): string => (v === token ? token : v instanceof Escaped ? v.text : escaper(v));
  const data = scopeProxy(scope.vars, helpers(scope), state);
  try {
    ejs.render(text, data, {
      escape: escapeFn, filename: token, compileDebug: true, client: false, strict: false, _with: true, localsName: 'locals',
      delimiter: '%', openDelimiter: '<', closeDelimiter: '>', rmWhitespace: false, async: false, cache: false, debug: false,
      context: undefined, outputFunctionName: undefined, destructuredLocals: undefined, views: undefined, root: undefined,
    });
  } catch (e) {
    throw templateError(e, scope, state.line, token, text);
  }
  return state.output.join('');
}

/** Helpers every template sees (variables of the same name take precedence). */
function helpers(scope: Scope): Record<string, unknown> {
  return {
    ...helperFunctions(),
    defined: (name: string) => Object.hasOwn(scope.vars, name) && scope.vars[name] !== undefined,
    include: (name: string, extra?: Record<string, unknown>) => new Escaped(renderInclude(scope, name, extra)),
  };
}

function renderInclude(scope: Scope, name: string, extra: Record<string, unknown> | undefined): string {
  if (scope.path === undefined) throw new TemplateValueError('include() needs a template file (src), not inline content');
  if (scope.depth >= MAX_INCLUDE_DEPTH) throw new TemplateValueError(`includes nest deeper than ${MAX_INCLUDE_DEPTH} levels`);
  const path = resolve(dirname(scope.path), extname(name) ? name : `${name}.ejs`);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new TemplateValueError(`cannot read included template ${path}: ${(e as Error).message}`);
  }
  const vars = extra === undefined ? scope.vars : { ...scope.vars, ...(revealSecrets(extra, scope.secret) as Record<string, unknown>) };
  return renderScope(text, { ...scope, file: path, path, vars, depth: scope.depth + 1 });
}

/** EJS's own names inside the generated function: never taken from the variables. */
const EJS_NAMES = new Set(['__output', '__lines', '__filename', 'escapeFn', 'rethrow']);

/** Standard globals a template may use; any other global name counts as an undefined variable. */
const GLOBALS = new Set([
  'Array', 'BigInt', 'Boolean', 'Buffer', 'Date', 'Error', 'Infinity', 'Intl', 'JSON', 'Map', 'Math', 'NaN', 'Number', 'Object',
  'RegExp', 'Set', 'String', 'Symbol', 'URL', 'decodeURI', 'decodeURIComponent', 'encodeURI', 'encodeURIComponent',
  'isFinite', 'isNaN', 'parseFloat', 'parseInt', 'undefined',
]);

interface RenderState {
  line: number;
  output: string[];
}

/**
 * The object EJS's `with` block resolves names on. It also takes EJS's `__line` (so the line
 * being rendered is known whatever EJS does with its error text) and `__append` (so that
 * `<%-` output is checked like `<%=`: an undefined value or an object fails instead of
 * writing "undefined" or "[object Object]").
 */
function scopeProxy(vars: Record<string, unknown>, help: Record<string, unknown>, state: RenderState): Record<string, unknown> {
  const append = (v: unknown) => {
    state.output.push(v instanceof Escaped ? v.text : scalarText(v, 'none'));
  };
  const assigned = new Map<string, unknown>();
  const own = (k: string) => Object.hasOwn(vars, k);
  return new Proxy(Object.create(null) as Record<string, unknown>, {
    has(_t, key) {
      if (typeof key !== 'string' || EJS_NAMES.has(key)) return false;
      if (key === '__line' || key === '__append' || key === 'include' || assigned.has(key) || own(key) || Object.hasOwn(help, key)) return true;
      return key in globalThis && !GLOBALS.has(key);
    },
    get(_t, key) {
      if (typeof key !== 'string') return undefined;
      if (key === '__line') return state.line;
      if (key === '__append') return append;
      if (assigned.has(key)) return assigned.get(key);
      if (own(key)) return vars[key];
      if (Object.hasOwn(help, key)) return help[key];
      if (key === 'toJSON' || key === 'then') return undefined;
      throw new UndefinedVariable(key);
    },
    set(_t, key, value) {
      if (key === '__line') state.line = Number(value);
      else if (typeof key === 'string' && key !== '__append') assigned.set(key, value);
      return true;
    },
    ownKeys: () => Object.keys(vars),
    getOwnPropertyDescriptor: (_t, key) =>
      typeof key === 'string' && own(key) ? { value: vars[key], writable: true, enumerable: true, configurable: true } : undefined,
  });
}

function templateError(e: unknown, scope: Scope, line: number, token: string, text: string): TemplateError {
  if (e instanceof TemplateError) {
    return new TemplateError(e.file, e.line, `${e.detail}\n  included from ${scope.file}:${line}`, e.variable);
  }
  const err = e instanceof Error ? e : new Error(String(e));
  const message = originalMessage(err.message, token);
  if (err instanceof SyntaxError || /matching close tag/.test(message)) {
    const why = message.replace(/ in capstan-template-[\w-]+[\s\S]*$/, '');
    const hint = err instanceof SyntaxError ? ' (is every { or ( opened in a <% %> tag closed in a later one?)' : '';
    return new TemplateError(scope.file, undefined, `the template does not compile: ${why}${hint}`);
  }
  const source = sourceLine(text, line);
  if (err instanceof UndefinedVariable) return new TemplateError(scope.file, line, `undefined variable "${err.variable}" (not in vars)${source}`, err.variable);
  const undefinedName = err instanceof ReferenceError ? /^(\S+) is not defined$/.exec(message)?.[1] : undefined;
  if (undefinedName) return new TemplateError(scope.file, line, `undefined variable "${undefinedName}" (not in vars)${source}`, undefinedName);
  if (err instanceof TemplateValueError) {
    const exprs = outputExpressions(text.split('\n')[line - 1] ?? '');
    const which = exprs.length === 1 ? `"${exprs[0]}": ` : '';
    return new TemplateError(scope.file, line, `${which}${message}${source}`, exprs.length === 1 ? exprs[0] : undefined);
  }
  return new TemplateError(scope.file, line, `${err.name}: ${message}${source}`);
}

/** EJS prefixes runtime errors with `file:line` and a source excerpt; the original follows a blank line. */
function originalMessage(message: string, token: string): string {
  if (!message.startsWith(token)) return message;
  const at = message.indexOf('\n\n');
  return at < 0 ? message : message.slice(at + 2);
}

function sourceLine(text: string, line: number): string {
  const src = (text.split('\n')[line - 1] ?? '').replace(/\r$/, '');
  return src.trim() ? `\n  ${line} | ${src.length > 160 ? `${src.slice(0, 160)}…` : src}` : '';
}

/** The expressions of `<%= … %>` tags on one line. */
function outputExpressions(line: string): string[] {
  return [...line.matchAll(/<%[=-]\s*([\s\S]*?)\s*[-_]?%>/g)].map((m) => m[1] ?? '');
}

/** A copy of the variables with every Secret replaced by its value (plain objects and arrays are walked). */
function revealSecrets(value: unknown, secret: { found: boolean }, seen = new Map<object, unknown>()): unknown {
  if (value instanceof Secret) {
    secret.found = true;
    return value.reveal();
  }
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return seen.get(value);
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    seen.set(value, out);
    for (const v of value) out.push(revealSecrets(v, secret, seen));
    return out;
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return value;
  const out = Object.create(proto) as Record<string, unknown>;
  seen.set(value, out);
  for (const k of Object.keys(value)) {
    Object.defineProperty(out, k, { value: revealSecrets((value as Record<string, unknown>)[k], secret, seen), enumerable: true, writable: true, configurable: true });
  }
  return out;
}
