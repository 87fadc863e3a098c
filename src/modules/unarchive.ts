/**
 * `unarchive`: extracts a tar (.tar, .tar.gz/.tgz, .tar.xz/.txz, .tar.bz2/.tbz2, .tar.zst)
 * or zip archive into an existing directory on the host. The archive is on the controller
 * (uploaded atomically into `dest`, extracted, then removed) or already on the host
 * (`remoteSrc: true`).
 *
 *   unarchive({ src: roleFile(import.meta.url, '../files/app-1.2.tar.gz'), dest: '/opt/app' })
 *   unarchive({ src: '/tmp/node_exporter.tar.gz', remoteSrc: true, dest: '/opt', creates: '/opt/node_exporter/node_exporter' })
 *
 * Idempotence: with `creates`, the step does nothing while that path exists. Without it, a
 * marker file `dest/.capstan-unarchive-<id>` records the sha256 of the archive last
 * extracted from `src`: the step does nothing while the archive is unchanged, and extracts
 * again when it changes (a new version under the same name), which `creates` cannot notice.
 * Extraction overwrites files of the same name and never removes others. The tools needed
 * (tar and the decompressor, or unzip) are checked first, in check mode too. Check mode
 * cannot know which paths the archive holds: later `file` facts on the host are reported as
 * depending on this step.
 */
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { z } from 'zod';
import { defineModule, predict, predictUnknown, type Prediction } from '../define/module.ts';
import { change, changes, exec, fail, noop, put, type Action, type Plan } from '../define/plan.ts';
import { sh } from '../commands/quote.ts';
import { fileSha256, fileStat, pathExists, type FileStat } from '../facts/file.ts';
import { fileMarker } from '../facts/file-bytes.ts';
import { commandsAvailable } from '../facts/tools.ts';
import { remotePath } from './args.ts';
import { sha256OfLocalFile } from './fetch.ts';
import { predictHashed } from './copy.ts';

const FORMATS = {
  'tar': { suffixes: ['.tar'], tools: ['tar'], flag: [] },
  'tar.gz': { suffixes: ['.tar.gz', '.tgz'], tools: ['tar', 'gzip'], flag: ['-z'] },
  'tar.xz': { suffixes: ['.tar.xz', '.txz'], tools: ['tar', 'xz'], flag: ['-J'] },
  'tar.bz2': { suffixes: ['.tar.bz2', '.tbz2', '.tbz'], tools: ['tar', 'bzip2'], flag: ['-j'] },
  'tar.zst': { suffixes: ['.tar.zst', '.tzst'], tools: ['tar', 'zstd'], flag: ['--zstd'] },
  'zip': { suffixes: ['.zip'], tools: ['unzip'], flag: [] },
} as const satisfies Record<string, { suffixes: readonly string[]; tools: readonly string[]; flag: readonly string[] }>;

export type ArchiveFormat = keyof typeof FORMATS;

/** The format named by a file name's suffix. */
export function formatOf(name: string): ArchiveFormat | undefined {
  const lower = name.toLowerCase();
  return (Object.keys(FORMATS) as ArchiveFormat[]).find((f) => FORMATS[f].suffixes.some((s) => lower.endsWith(s)));
}

export const unarchiveArgs = z
  .object({
    src: z.string().min(1).refine((p) => !p.includes('\0'), 'src must not contain a NUL byte'),
    dest: remotePath,
    remoteSrc: z.boolean().default(false),
    creates: remotePath.optional(),
    format: z.enum(Object.keys(FORMATS) as [ArchiveFormat, ...ArchiveFormat[]]).optional(),
    /** tar only: drop this many leading path components. */
    stripComponents: z.number().int().min(0).max(100).optional(),
  })
  .strict()
  .refine((a) => (a.format ?? formatOf(a.src)) !== undefined, { message: `cannot tell the archive format from src: name it ${Object.values(FORMATS).flatMap((f) => f.suffixes).join(', ')} or give format`, path: ['format'] })
  .refine((a) => !a.remoteSrc || a.src.startsWith('/'), { message: 'with remoteSrc, src must be an absolute path on the host', path: ['src'] })
  .refine((a) => !a.remoteSrc || (a.format ?? formatOf(a.src)) !== 'zip' || !/[*?[\]\\]/.test(a.src), { message: 'unzip reads * ? [ ] \\ in an archive path as a pattern: rename the archive', path: ['src'] })
  .refine((a) => a.stripComponents === undefined || (a.format ?? formatOf(a.src)) !== 'zip', { message: 'stripComponents works with tar archives only', path: ['stripComponents'] });

export type UnarchiveArgs = z.output<typeof unarchiveArgs>;

export interface UnarchiveFacts {
  dest: FileStat | null;
  tools: string[];
  /** With `creates`: whether it exists. */
  created?: boolean;
  /** With `remoteSrc`: the archive on the host, and its hash. */
  archive?: FileStat | null;
  archiveSha?: string | null;
  /** Without `creates`: the marker's content. */
  marker?: string | null;
}

export const unarchive = defineModule({
  name: 'unarchive',
  args: unarchiveArgs,
  describe: (a) => `unarchive ${basename(a.src)} -> ${a.dest}`,
  facts: (a) => ({
    dest: fileStat(a.dest),
    tools: commandsAvailable(FORMATS[formatFor(a)].tools),
    ...(a.creates ? { created: pathExists(a.creates) } : { marker: fileMarker(markerPath(a)) }),
    ...(a.remoteSrc ? { archive: fileStat(a.src), archiveSha: fileSha256(a.src) } : {}),
  }),
  plan: (a, f) => planUnarchive(a, f),
  predicts: (a, f) => predictUnarchive(a, f),
  affects: ['file'],
});

function formatFor(a: Pick<UnarchiveArgs, 'format' | 'src'>): ArchiveFormat {
  return a.format ?? formatOf(a.src) ?? 'tar';
}

/** The marker of archives extracted from `src` into `dest`. */
export function markerPath(a: Pick<UnarchiveArgs, 'src' | 'dest'>): string {
  const id = createHash('sha256').update(a.src).digest('hex').slice(0, 12);
  return `${a.dest.replace(/\/+$/, '')}/.capstan-unarchive-${id}`;
}

export function planUnarchive(a: UnarchiveArgs, f: UnarchiveFacts, hashLocal: (path: string) => string | null = sha256OfLocalFile): Plan {
  if (a.creates && f.created) return noop(`${a.creates} exists`);
  if (f.dest?.type !== 'directory') return fail(`${a.dest} ${f.dest ? `is a ${f.dest.type}` : 'does not exist'}: unarchive needs an existing directory (file({ path, state: 'directory' }) first)`);
  const sha = archiveSha(a, f, hashLocal);
  if (!sha.ok) return fail(sha.error);
  if (!a.creates && f.marker?.trim() === sha.value) return noop(`${basename(a.src)} (sha256 ${sha.value.slice(0, 12)}…) is already extracted into ${a.dest}`);
  const format = formatFor(a);
  const missing = FORMATS[format].tools.filter((t) => !f.tools.includes(t));
  if (missing.length) return fail(`cannot extract a ${format} archive: ${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not installed on the host`);
  const actions: Action[] = [];
  const upload = `${markerPath(a)}.upload`;
  if (!a.remoteSrc) actions.push(put({ dest: upload, content: { localPath: a.src }, mode: '0600' }));
  actions.push(exec(extractScript(a, format, a.remoteSrc ? a.src : upload, !a.remoteSrc)));
  if (!a.creates) actions.push(put({ dest: markerPath(a), content: `${sha.value}\n`, mode: '0644' }));
  return changes(change(`extract ${basename(a.src)} into ${a.dest}`, ...actions));
}

function archiveSha(a: UnarchiveArgs, f: UnarchiveFacts, hashLocal: (path: string) => string | null): { ok: true; value: string } | { ok: false; error: string } {
  if (a.remoteSrc) {
    if (!f.archive) return { ok: false, error: `${a.src} does not exist on the host` };
    if (f.archive.type !== 'file' || !f.archiveSha) return { ok: false, error: `${a.src} is a ${f.archive.type}, not an archive file` };
    return { ok: true, value: f.archiveSha };
  }
  try {
    const local = hashLocal(a.src);
    return local === null ? { ok: false, error: `${a.src} does not exist on the controller (set remoteSrc: true for an archive on the host)` } : { ok: true, value: local };
  } catch (e) {
    return { ok: false, error: `cannot read ${a.src} on the controller: ${(e as Error).message}` };
  }
}

/** Extracts `archive` into dest; an uploaded archive is removed whatever happens. */
export function extractScript(a: Pick<UnarchiveArgs, 'dest' | 'stripComponents'>, format: ArchiveFormat, archive: string, removeAfter: boolean): string {
  const strip = a.stripComponents !== undefined ? [`--strip-components=${a.stripComponents}`] : [];
  const run = format === 'zip'
    ? sh`unzip -o -q ${archive} -d ${a.dest}`
    : sh`tar ${['-x', ...FORMATS[format].flag, ...strip, '-f', archive, '-C', a.dest]}`;
  return removeAfter ? `rc=0; ${run} || rc=$?; ${sh`rm -f -- ${archive}`}; exit $rc` : String(run);
}

function predictUnarchive(a: UnarchiveArgs, f: UnarchiveFacts): Prediction[] {
  if (a.creates) return [predict(pathExists(a.creates), true), ...predictHashed(a.creates, 'unknown')];
  const sha = archiveSha(a, f, sha256OfLocalFile);
  return [sha.ok ? predict(fileMarker(markerPath(a)), `${sha.value}\n`) : predictUnknown(fileMarker(markerPath(a)))];
}
