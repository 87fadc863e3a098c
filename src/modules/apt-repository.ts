/**
 * `aptKey` and `aptRepository`: a signed apt repository the modern way. The key is a file in
 * /etc/apt/keyrings (`<name>.asc` when ASCII-armoured, `<name>.gpg` when binary), the source a
 * deb822 `/etc/apt/sources.list.d/<name>.sources` file (or a one-line `.list`) whose
 * `Signed-By` names that key, so the key is trusted for this repository only (no apt-key).
 *
 *   aptRepository({
 *     name: 'nodesource', uris: 'https://deb.nodesource.com/node_20.x', suites: 'nodistro', components: ['main'],
 *     signedBy: { src: roleFile(import.meta.url, '../files/nodesource.asc') }, architectures: ['amd64'],
 *   })
 *   aptKey({ name: 'internal', content: armouredKeyText })          // one key shared by several repositories
 *   aptRepository({ name: 'internal', uris: 'https://apt.example.org/debian', suites: 'bookworm',
 *                   components: ['main'], signedBy: '/etc/apt/keyrings/internal.asc' })
 *
 * Keys come inline or from a local file: nothing is fetched from the network. The files are
 * written atomically and compared by checksum; `apt-get update` runs, as a change of the same
 * step, only when a file of this step changed (`updateCache: false` skips it). Switching
 * `format`, or between armoured and binary keys, removes the file of the other kind.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { defineModule, predict, type Prediction } from '../define/module.ts';
import { change, changes, exec, fail, noop, type Change, type Plan } from '../define/plan.ts';
import { sh } from '../commands/quote.ts';
import { fileSha256, fileStat, pathExists, withSha256, type FileStat, type HashedStat } from '../facts/file.ts';
import { aptCache, type AptCache } from '../facts/apt.ts';
import { copyArgs, planCopy, predictedStat, predictHashed } from './copy.ts';
import { remotePath } from './args.ts';
import { aptUpdate, lockTimeout } from './apt.ts';

export const KEYRINGS = '/etc/apt/keyrings';
export const SOURCES_DIR = '/etc/apt/sources.list.d';

const fileName = z.string().max(100).regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/, 'must be a file name: letters, digits, "_.-", not starting with "." or "-"');
const word = z.string().max(200).regex(/^[A-Za-z0-9._/+~][A-Za-z0-9._/+~-]*$/, 'must be one word: letters, digits, "._/+~-", not starting with "-"');
const uri = z
  .string()
  .max(2000)
  .regex(/^[a-z][a-z0-9+.-]*:\S+$/, 'must be a URI (scheme:..., no blanks)')
  .refine((u) => ![...u].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f), 'must not contain control characters');
const oneOrMany = <T extends z.ZodType>(t: T) => z.union([t, z.array(t).min(1)]).transform((v) => [v].flat() as z.output<T>[]);

const keyBytes = z.union([z.string(), z.instanceof(Buffer)]).refine((k) => keyKind(Buffer.from(k)) !== 'invalid', 'must be an OpenPGP public key (ASCII-armoured or binary), not a private key');
const keySource = z.union([z.object({ content: keyBytes }).strict(), z.object({ src: z.string().min(1) }).strict()]);
type KeySource = z.output<typeof keySource>;

/** Whether bytes hold an armoured or a binary OpenPGP public key. */
export function keyKind(b: Buffer): 'asc' | 'gpg' | 'invalid' {
  const text = b.subarray(0, 4096).toString('latin1');
  if (text.includes('-----BEGIN PGP PRIVATE KEY BLOCK-----')) return 'invalid';
  if (text.includes('-----BEGIN PGP PUBLIC KEY BLOCK-----')) return 'asc';
  const first = b[0] ?? 0;
  if (!(first & 0x80)) return 'invalid';
  const tag = first & 0x40 ? first & 0x3f : (first >> 2) & 0x0f;
  return tag === 6 ? 'gpg' : 'invalid';
}

export const keyPath = (name: string, kind: 'asc' | 'gpg') => `${KEYRINGS}/${name}.${kind}`;

interface KeyFacts {
  asc: HashedStat | null;
  gpg: HashedStat | null;
  keyrings: FileStat | null;
}

const keyFacts = (name: string) => ({
  asc: fileStat(keyPath(name, 'asc')), ascSha: fileSha256(keyPath(name, 'asc')),
  gpg: fileStat(keyPath(name, 'gpg')), gpgSha: fileSha256(keyPath(name, 'gpg')),
  keyrings: fileStat(KEYRINGS),
});

/** The stat facts merged with their hashes, as planCopy reads them. */
function hashed<F extends { asc: FileStat | null; ascSha: string | null; gpg: FileStat | null; gpgSha: string | null; sources?: FileStat | null; sourcesSha?: string | null; list?: FileStat | null; listSha?: string | null }>(f: F) {
  return { ...f, asc: withSha256(f.asc, f.ascSha), gpg: withSha256(f.gpg, f.gpgSha), sources: withSha256(f.sources ?? null, f.sourcesSha), list: withSha256(f.list ?? null, f.listSha) };
}

function readKey(source: KeySource): Buffer {
  return 'content' in source ? Buffer.from(source.content) : readFileSync(source.src);
}

/** Changes that put the key in place (or remove it: source null), or why that is impossible. */
export function planKeyFiles(name: string, source: KeySource | null, f: KeyFacts): { changes: Change[]; error?: string } {
  const remove = (kind: 'asc' | 'gpg') => (f[kind] ? [change(`remove ${keyPath(name, kind)}`, exec(sh`rm -f -- ${keyPath(name, kind)}`))] : []);
  if (source === null) return { changes: [...remove('asc'), ...remove('gpg')] };
  let bytes: Buffer;
  try {
    bytes = readKey(source);
  } catch (e) {
    return { changes: [], error: `cannot read the key ${'src' in source ? source.src : ''}: ${(e as Error).message}` };
  }
  const kind = keyKind(bytes);
  if (kind === 'invalid') return { changes: [], error: `the key for ${name} is not an OpenPGP public key (ASCII-armoured or binary)` };
  const dest = keyPath(name, kind);
  const write = planCopy(copyArgs.parse({ dest, content: bytes, mode: '0644', secret: kind === 'gpg' }), f[kind]);
  if (write.error) return { changes: [], error: write.error };
  const mkdir = f.keyrings ? [] : [change(`create ${KEYRINGS}`, exec(sh`install -d -m 0755 -- ${KEYRINGS}`))];
  const list = [...(write.changes.length ? mkdir : []), ...write.changes, ...remove(kind === 'asc' ? 'gpg' : 'asc')];
  return { changes: list };
}

function predictKeyFiles(name: string, source: KeySource | null): Prediction[] {
  let kind: 'asc' | 'gpg' | 'invalid' = 'invalid';
  let bytes: Buffer | undefined;
  try {
    bytes = source ? readKey(source) : undefined;
    kind = bytes ? keyKind(bytes) : 'invalid';
  } catch {
    kind = 'invalid';
  }
  return (['asc', 'gpg'] as const).flatMap((k) => {
    const path = keyPath(name, k);
    const kept = k === kind && bytes !== undefined;
    return [...predictHashed(path, kept ? predictedStat(copyArgs.parse({ dest: path, content: bytes, mode: '0644' }), null) : null), predict(pathExists(path), kept)];
  });
}

export const aptKeyArgs = z
  .object({ name: fileName, content: keyBytes.optional(), src: z.string().min(1).optional(), state: z.enum(['present', 'absent']).default('present') })
  .strict()
  .refine((a) => a.state === 'absent' || (a.content === undefined) !== (a.src === undefined), { message: 'give exactly one of content or src', path: ['content'] });

export type AptKeyArgs = z.output<typeof aptKeyArgs>;

const sourceOf = (a: AptKeyArgs): KeySource | null =>
  a.state === 'absent' ? null : a.content !== undefined ? { content: a.content } : { src: a.src ?? '' };

export function planAptKey(a: AptKeyArgs, f: KeyFacts): Plan {
  const r = planKeyFiles(a.name, sourceOf(a), f);
  if (r.error) return fail(r.error);
  if (r.changes.length) return changes(...r.changes);
  return noop(a.state === 'absent' ? `no key ${a.name} in ${KEYRINGS}` : `the key ${a.name} in ${KEYRINGS} has the wanted content`);
}

export const aptKey = defineModule({
  name: 'aptKey',
  args: aptKeyArgs,
  describe: (a) => `apt key ${a.name}${a.state === 'absent' ? ' absent' : ''}`,
  facts: (a) => keyFacts(a.name),
  plan: (a, f) => planAptKey(a, hashed(f)),
  predicts: (a) => predictKeyFiles(a.name, sourceOf(a)),
});

export const aptRepositoryArgs = z
  .object({
    name: fileName,
    uris: oneOrMany(uri),
    suites: oneOrMany(word),
    components: z.array(word).default([]),
    architectures: z.array(z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'must be a Debian architecture such as amd64')).optional(),
    types: z.array(z.enum(['deb', 'deb-src'])).min(1).default(['deb']),
    /** A key file already on the host (absolute path), or the key itself, written to /etc/apt/keyrings/<name>.asc|.gpg. */
    signedBy: z.union([remotePath, keySource]),
    format: z.enum(['deb822', 'list']).default('deb822'),
    state: z.enum(['present', 'absent']).default('present'),
    updateCache: z.boolean().default(true),
    lockTimeout,
  })
  .strict()
  .refine((a) => !Array.isArray(a.suites) || !Array.isArray(a.components) || a.suites.every((s) => s.endsWith('/')) === (a.components.length === 0), {
    message: 'a flat repository (suite ending in "/") takes no components; any other suite needs at least one', path: ['components'],
  });

export type AptRepositoryArgs = z.output<typeof aptRepositoryArgs>;

const sourcesPath = (name: string, format: 'deb822' | 'list') => `${SOURCES_DIR}/${name}.${format === 'deb822' ? 'sources' : 'list'}`;

function signerPath(a: AptRepositoryArgs, f: KeyFacts): string {
  if (typeof a.signedBy === 'string') return a.signedBy;
  let kind: 'asc' | 'gpg' = f.gpg && !f.asc ? 'gpg' : 'asc';
  try {
    const k = keyKind(readKey(a.signedBy));
    if (k !== 'invalid') kind = k;
  } catch {
    /* planKeyFiles reports the unreadable key */
  }
  return keyPath(a.name, kind);
}

/** The sources file text, deb822 or one-line. */
export function renderSources(a: AptRepositoryArgs, signer: string): string {
  if (a.format === 'list') {
    const opts = [a.architectures?.length ? `arch=${a.architectures.join(',')}` : '', `signed-by=${signer}`].filter(Boolean).join(' ');
    return a.types.flatMap((t) => a.uris.flatMap((u) => a.suites.map((s) => `${[t, `[${opts}]`, u, s, ...a.components].join(' ')}\n`))).join('');
  }
  const fields: [string, string[] | undefined][] = [
    ['Types', a.types], ['URIs', a.uris], ['Suites', a.suites], ['Components', a.components],
    ['Architectures', a.architectures], ['Signed-By', [signer]],
  ];
  return fields.filter(([, v]) => v?.length).map(([k, v]) => `${k}: ${(v ?? []).join(' ')}\n`).join('');
}

interface RepoFacts extends KeyFacts {
  sources: HashedStat | null;
  list: HashedStat | null;
  signer: FileStat | null;
  cache: AptCache;
}

export function planAptRepository(a: AptRepositoryArgs, f: RepoFacts): Plan {
  if (!f.cache.supported) return fail(`apt repositories need apt: this host has none (os-release ID: ${f.cache.os})`);
  const inline = typeof a.signedBy === 'string' ? undefined : a.signedBy;
  const key = inline ? planKeyFiles(a.name, a.state === 'absent' ? null : inline, f) : { changes: [] as Change[] };
  if (key.error) return fail(key.error);
  const signer = signerPath(a, f);
  if (a.state === 'present' && !inline && !f.signer) return fail(`the Signed-By key ${signer} does not exist on the host: put it there first (aptKey)`);
  const dest = sourcesPath(a.name, a.format);
  const other = sourcesPath(a.name, a.format === 'deb822' ? 'list' : 'deb822');
  const otherStat = a.format === 'deb822' ? f.list : f.sources;
  const destStat = a.format === 'deb822' ? f.sources : f.list;
  const list: Change[] = [...key.changes];
  if (a.state === 'present') {
    const write = planCopy(copyArgs.parse({ dest, content: renderSources(a, signer), mode: '0644' }), destStat);
    if (write.error) return fail(write.error);
    list.push(...write.changes);
  } else if (destStat) list.push(change(`remove ${dest}`, exec(sh`rm -f -- ${dest}`)));
  if (otherStat) list.push(change(`remove ${other}`, exec(sh`rm -f -- ${other}`)));
  if (!list.length) return noop(a.state === 'absent' ? `no repository ${a.name}` : `${dest} is as wanted${inline ? `, signed by ${signer}` : ''}`);
  if (a.updateCache) list.push(change('update the package lists (a repository changed)', exec(aptUpdate(a.lockTimeout))));
  return changes(...list);
}

function predictAptRepository(a: AptRepositoryArgs, f: RepoFacts): Prediction[] {
  const inline = typeof a.signedBy === 'string' ? undefined : a.signedBy;
  const out: Prediction[] = inline ? predictKeyFiles(a.name, a.state === 'absent' ? null : inline) : [];
  for (const format of ['deb822', 'list'] as const) {
    const path = sourcesPath(a.name, format);
    const kept = a.state === 'present' && format === a.format;
    const stat = kept ? predictedStat(copyArgs.parse({ dest: path, content: renderSources(a, signerPath(a, f)), mode: '0644' }), null) : null;
    out.push(...predictHashed(path, stat), predict(pathExists(path), kept));
  }
  return out;
}

export const aptRepository = defineModule({
  name: 'aptRepository',
  args: aptRepositoryArgs,
  describe: (a) => `apt repository ${a.name}${a.state === 'absent' ? ' absent' : ''}`,
  facts: (a) => ({
    ...keyFacts(a.name),
    sources: fileStat(sourcesPath(a.name, 'deb822')), sourcesSha: fileSha256(sourcesPath(a.name, 'deb822')),
    list: fileStat(sourcesPath(a.name, 'list')), listSha: fileSha256(sourcesPath(a.name, 'list')),
    signer: fileStat(typeof a.signedBy === 'string' ? a.signedBy : KEYRINGS),
    cache: aptCache(),
  }),
  plan: (a, f) => planAptRepository(a, hashed(f)),
  predicts: (a, f) => predictAptRepository(a, hashed(f)),
  affects: ['apt'],
});
