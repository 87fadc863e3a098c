/**
 * `copy`: a file's content from inline text, a Secret, or a local file; written atomically
 * (temp file in the destination directory, checksum, optional validate, rename).
 *
 *   copy({ dest: '/etc/motd', content: 'managed by capstan\n', mode: '0644' })
 *   copy({ dest: '/opt/app/bin/app.sh', src: roleFile(import.meta.url, '../files/app.sh'), mode: '0755' })
 *   copy({ dest: '/etc/rancher/k3s/config.yaml', content: new Secret(yamlText), mode: '0600' })   // diff shows hashes and sizes only
 *   copy({ dest: '/etc/haproxy/haproxy.cfg', content, validate: 'haproxy -c -f %s' }, { notify: 'reload haproxy' })
 *
 * The file is compared by SHA-256 (the one fact that reads content); an equal file is never
 * rewritten. Mode and ownership are corrected without rewriting the content.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { defineModule, predict, predictUnknown, type Prediction } from '../define/module.ts';
import { change, changes, exec, fail, put, secretDiff, type Change, type Plan } from '../define/plan.ts';
import { sh } from '../commands/quote.ts';
import { Secret } from '../commands/secret.ts';
import { fileSha256, fileStat, hashedFacts, withSha256, type HashedStat } from '../facts/file.ts';
import { fileMode, fileWriteFields, remotePath } from './args.ts';
import { familiesWrittenBy, writesPaths } from './affects.ts';

export const copyArgs = z
  .object({
    dest: remotePath,
    content: z.union([z.string(), z.instanceof(Buffer), z.instanceof(Secret)]).optional(),
    src: z.string().min(1).optional(),
    mode: fileMode.default('0644'),
    ...fileWriteFields,
  })
  .strict()
  .refine((a) => (a.content === undefined) !== (a.src === undefined), { message: 'give exactly one of content or src', path: ['content'] });

export type CopyArgs = z.output<typeof copyArgs>;

export const copy = defineModule({
  name: 'copy',
  affects: (a) => familiesWrittenBy(a.dest),
  args: copyArgs,
  describe: (a) => `copy ${a.dest}`,
  facts: (a) => hashedFacts(a.dest),
  plan: (a, { st, sha }) => planCopy(a, withSha256(st, sha)),
  predicts: (a, { st }) => predictHashed(a.dest, predictedStat(a, st)),
  invalidates: (a) => writesPaths(a.dest),
});

/**
 * Predictions of both file facts of a path (its stat, and its hash when it is a regular
 * file), so that a later step under --check compares against what this one would write.
 *
 *   predictHashed('/etc/motd', predictedStat(args, st))   // null: the path is removed
 */
export function predictHashed(path: string, st: HashedStat | null | 'unknown'): Prediction[] {
  if (st === 'unknown') return [predictUnknown(fileStat(path)), predictUnknown(fileSha256(path))];
  if (!st) return [predict(fileStat(path), null), predict(fileSha256(path), null)];
  const { sha256, ...stat } = st;
  return [predict(fileStat(path), stat), sha256 ? predict(fileSha256(path), sha256) : predictUnknown(fileSha256(path))];
}

export function contentBytes(a: Pick<CopyArgs, 'content' | 'src'>): Buffer {
  if (a.src !== undefined) return readFileSync(a.src);
  const c = a.content;
  return Buffer.isBuffer(c) ? c : Buffer.from(c instanceof Secret ? c.reveal() : (c ?? ''), 'utf8');
}

export function planCopy(a: CopyArgs, st: HashedStat | null): Plan {
  if (st && st.type !== 'file') return fail(`${a.dest} exists and is a ${st.type}, not a file`);
  let bytes: Buffer;
  try {
    bytes = contentBytes(a);
  } catch (e) {
    return fail(`cannot read ${a.src}: ${(e as Error).message}`);
  }
  const secret = a.secret || a.content instanceof Secret;
  const sha = createHash('sha256').update(bytes).digest('hex');
  const list: Change[] = [];
  if (!st || st.sha256 !== sha) {
    const write: Change = change(st ? `update ${a.dest} (${st.size} -> ${bytes.length} bytes)` : `create ${a.dest} (${bytes.length} bytes)`, put({
      dest: a.dest, content: a.content instanceof Secret ? a.content : bytes, mode: a.mode,
      ...(a.owner ? { owner: a.owner } : {}), ...(a.group ? { group: a.group } : {}),
      ...(a.validate ? { validate: a.validate } : {}), backup: a.backup,
    }));
    write.diff = secret
      ? secretDiff(a.dest, st && st.sha256 !== undefined ? { sha256: st.sha256, size: st.size } : st ? undefined : null, { sha256: sha, size: bytes.length })
      : { path: a.dest, ...(st ? {} : { before: null }), after: bytes.toString('utf8') };
    list.push(write);
    return changes(...list);
  }
  if (st.mode !== a.mode) list.push(change(`mode ${st.mode} -> ${a.mode}`, exec(sh`chmod ${a.mode} -- ${a.dest}`)));
  const ownerDiffers = (a.owner && a.owner !== st.owner) || (a.group && a.group !== st.group);
  if (ownerDiffers) {
    const spec = `${a.owner ?? ''}${a.group ? `:${a.group}` : ''}`;
    list.push(change(`owner ${st.owner}:${st.group} -> ${spec}`, exec(sh`chown ${spec} -- ${a.dest}`)));
  }
  return list.length ? changes(...list) : { changes: [], noop: `${a.dest} has the wanted content, mode and owner` };
}

export function predictedStat(a: CopyArgs, st: HashedStat | null): HashedStat {
  let bytes: Buffer | undefined;
  try {
    bytes = contentBytes(a);
  } catch {
    bytes = undefined;
  }
  return {
    type: 'file', mode: a.mode, owner: a.owner ?? st?.owner ?? 'root', group: a.group ?? st?.group ?? 'root',
    size: bytes?.length ?? 0, sha256: bytes ? createHash('sha256').update(bytes).digest('hex') : '',
  };
}
