/**
 * The known_hosts file as OpenSSH writes it: plain and hashed (`|1|salt|hash`) host fields,
 * `[host]:port` for ports other than 22, patterns with `*`, `?` and `!`, several key types
 * per host, `@revoked` markers and comments. Appends are safe under concurrency: one
 * O_APPEND write per line, an in-process lock per file, and a re-read that skips a key
 * already present.
 *
 *   const entries = await readKnownHosts('/root/.ssh/known_hosts');
 *   const mine = entries.filter((e) => entryMatches(e, knownHostName('10.0.0.5', 2222)));
 *   await appendKnownHost('/root/.ssh/known_hosts', knownHostName('10.0.0.5', 2222), keyBlob);
 */
import { createHmac } from 'node:crypto';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface KnownHostEntry {
  /** 1-based line number in the file, for messages. */
  line: number;
  marker?: 'revoked' | 'cert-authority';
  /** The host field as written (patterns or a hashed name). */
  hosts: string;
  keyType: string;
  key: Buffer;
}

/** The name OpenSSH looks up: `host` on port 22, `[host]:port` otherwise. */
export function knownHostName(host: string, port: number): string {
  const h = host.toLowerCase();
  return port === 22 ? h : `[${h}]:${port}`;
}

/** Parses known_hosts text, skipping comments, blank and malformed lines. */
export function parseKnownHosts(text: string): KnownHostEntry[] {
  const out: KnownHostEntry[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const words = line.split(/\s+/);
    let marker: KnownHostEntry['marker'];
    if (words[0] === '@revoked' || words[0] === '@cert-authority') {
      marker = words[0] === '@revoked' ? 'revoked' : 'cert-authority';
      words.shift();
    } else if (words[0]?.startsWith('@')) return;
    const [hosts, keyType, b64] = words;
    if (!hosts || !keyType || !b64 || !/^[A-Za-z0-9+/]+=*$/.test(b64)) return;
    const entry: KnownHostEntry = { line: i + 1, hosts, keyType, key: Buffer.from(b64, 'base64') };
    if (marker) entry.marker = marker;
    out.push(entry);
  });
  return out;
}

/** Reads and parses a known_hosts file; a missing file is an empty list. */
export async function readKnownHosts(path: string): Promise<KnownHostEntry[]> {
  try {
    return parseKnownHosts(await readFile(path, 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}

/** True when the entry's host field names `name` (from `knownHostName`). */
export function entryMatches(entry: KnownHostEntry, name: string): boolean {
  if (entry.hosts.startsWith('|1|')) return hashedMatches(entry.hosts, name);
  let matched = false;
  for (const pattern of entry.hosts.split(',')) {
    if (pattern.startsWith('!')) {
      if (globMatch(pattern.slice(1), name)) return false;
    } else if (globMatch(pattern, name)) matched = true;
  }
  return matched;
}

function hashedMatches(field: string, name: string): boolean {
  const [, , salt, hash] = field.split('|');
  if (!salt || !hash) return false;
  const mac = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
  return mac === hash;
}

/** OpenSSH host patterns: `*` any run, `?` one character, case-insensitive. */
export function globMatch(pattern: string, name: string): boolean {
  const re = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${re}$`, 'i').test(name);
}

const locks = new Map<string, Promise<unknown>>();

/** Runs `fn` after every earlier call for the same file has finished. */
async function withFileLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
  const prev = locks.get(path) ?? Promise.resolve();
  const run = prev.then(fn, fn);
  const settled = run.catch(() => undefined);
  locks.set(path, settled);
  try {
    return await run;
  } finally {
    if (locks.get(path) === settled) locks.delete(path);
  }
}

/**
 * Appends `name keytype base64` unless the same key is already listed for `name`.
 * Returns false when it was already there.
 */
export async function appendKnownHost(path: string, name: string, key: Buffer): Promise<boolean> {
  return withFileLock(path, async () => {
    let text = '';
    try {
      text = await readFile(path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    }
    const present = parseKnownHosts(text).some((e) => !e.marker && entryMatches(e, name) && e.key.equals(key));
    if (present) return false;
    const lead = text !== '' && !text.endsWith('\n') ? '\n' : '';
    await appendFile(path, `${lead}${name} ${keyTypeOf(key)} ${key.toString('base64')}\n`, { mode: 0o600, flag: 'a' });
    return true;
  });
}

/** The key type named inside an SSH public key blob (`ssh-ed25519`, `ssh-rsa`, ...). */
export function keyTypeOf(key: Buffer): string {
  if (key.length < 4) return 'unknown';
  const len = key.readUInt32BE(0);
  if (len <= 0 || len > 64 || 4 + len > key.length) return 'unknown';
  return key.subarray(4, 4 + len).toString('latin1');
}
