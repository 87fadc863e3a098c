/**
 * A value that must never be printed: tokens, passwords, private keys.
 *
 *   const token = new Secret(process.env.K3S_TOKEN!, 'k3s token');
 *   `${token}`            // '***'
 *   JSON.stringify(token) // '"***"'
 *   token.reveal()        // the real value, only where it must travel (stdin, a 0600 file)
 *
 * Every place that prints (diffs, logs, events, error messages) masks the revealed values
 * of all secrets known to the run with `redact`.
 */
import { inspect } from 'node:util';

const MASK = '***';

export class Secret {
  readonly #value: string;
  constructor(
    value: string,
    readonly label = 'secret',
  ) {
    if (typeof value !== 'string') throw new TypeError('Secret value must be a string');
    this.#value = value;
    registerSecret(value);
  }
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return MASK;
  }
  toJSON(): string {
    return MASK;
  }
  [inspect.custom](): string {
    return `Secret<${this.label}>(${MASK})`;
  }
  static is(v: unknown): v is Secret {
    return v instanceof Secret;
  }
}

/** Every secret value seen by this process, longest first, so redaction masks whole values. */
const known = new Set<string>();
let sorted: string[] | undefined;

/** Remembers a value that must be masked wherever it appears (secrets read from hosts too). */
export function registerSecret(value: string): void {
  if (value.length < 4 || known.has(value)) return; // masking 1-3 chars would mangle ordinary text
  known.add(value);
  sorted = undefined;
}

/** Replaces every known secret value in `text` by `***`. */
export function redact(text: string): string {
  if (known.size === 0 || !text) return text;
  sorted ??= [...known].sort((a, b) => b.length - a.length);
  let out = text;
  for (const s of sorted) if (out.includes(s)) out = out.split(s).join(MASK);
  return out;
}

/** Deep copy of a value with Secrets and known secret strings masked, for events and JSON. */
export function redactDeep(value: unknown, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return redact(value);
  if (value instanceof Secret) return MASK;
  if (value === null || typeof value !== 'object') return value;
  if (Buffer.isBuffer(value)) return `<${value.length} bytes>`;
  if (seen.has(value)) return '[circular]';
  seen.add(value);
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, seen));
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [String(k), redactDeep(v, seen)]));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactDeep(v, seen)]));
}
