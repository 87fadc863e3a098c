/**
 * A value that must never be printed: tokens, passwords, private keys.
 *
 *   const token = new Secret(process.env.K3S_TOKEN!, 'k3s token');
 *   `${token}`            // '***'
 *   JSON.stringify(token) // '"***"'
 *   token.reveal()        // the real value, only where it must travel (stdin, a 0600 file)
 *
 * Every place that prints (diffs, logs, events, error messages, the process title) masks the
 * revealed values of all secrets known to the run with `redact`. Text read from hosts can
 * hold secrets Capstan never saw as values (the token in a config file written by an
 * earlier run): `redact` also learns the values of credential lines in what it masks.
 *
 *   redact('token: K10abc::server:s3cr3t\n')   // 'token: ***\n', and 'K10abc::server:s3cr3t' is masked from now on
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

/**
 * A line that assigns a credential: `token: X`, `DB_PASSWORD=X`, `"api_token": "X",`. The key's
 * last word names a credential; the value is one word of 8 or more characters.
 */
const CREDENTIAL_LINE = /^[ \t]*(?:export[ \t]+)?["']?(?:[\w.-]*[-_.])?(?:password|passwd|pass|token|secret)["']?[ \t]*[:=][ \t]*["']?([^\s"',]{8,})["']?,?[ \t]*$/gim;

/** Registers the values of credential lines in `text` (config files and outputs read from hosts). */
export function learnSecrets(text: string): void {
  if (!/pass|token|secret/i.test(text)) return;
  for (const m of text.matchAll(CREDENTIAL_LINE)) if (m[1]) registerSecret(m[1]);
}

/**
 * A credential word ending the name, or followed only by a word that still names the credential
 * (`db_password`, `api_token`, `aws_secret_access_key`); not `token_from_server`, `password_file`
 * or `secret_name`, which name a host, a path or an object.
 */
const SECRET_NAME = /(^|[-_.])(password|passwd|pass|passphrase|token|secret)([-_.](key|access[-_.]key|value))?$/i;
const PRIVATE_KEY_NAME = /_key$/i;

/** True for variable names that usually hold credentials (`db_password`, `api_token`, `tls_key` with a private key). */
export function looksSecret(name: string, value: unknown): boolean {
  if (SECRET_NAME.test(name)) return true;
  return PRIVATE_KEY_NAME.test(name) && typeof value === 'string' && value.includes('PRIVATE KEY');
}

/**
 * Registers the text under a credential-looking name, at any depth, for masking: a variable's
 * value wherever it was read (inventory, `-e`, role defaults).
 *
 *   registerSecretsIn('app', { db: { password: 'hunter2222' } });   // 'hunter2222' prints as *** from now on
 */
export function registerSecretsIn(name: string, value: unknown, secret = looksSecret(name, value), depth = 0): void {
  if (typeof value === 'string' || typeof value === 'number') {
    const text = String(value);
    // 6+ characters: shorter values ('yes', 'false') would mask ordinary words; Jinja text is not a value yet
    if (secret && text.length >= 6 && !text.includes('{{') && !text.includes('{%')) registerSecret(text);
    return;
  }
  if (depth > 64 || value === null || typeof value !== 'object' || value instanceof Secret || Buffer.isBuffer(value)) return;
  if (Array.isArray(value)) for (const v of value) registerSecretsIn(name, v, secret, depth + 1);
  else for (const [k, v] of Object.entries(value)) registerSecretsIn(k, v, secret || looksSecret(k, v), depth + 1);
}

/** Replaces every known secret value in `text`, and the values of credential lines, by `***`. */
export function redact(text: string): string {
  if (!text) return text;
  learnSecrets(text);
  if (known.size === 0) return text;
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
