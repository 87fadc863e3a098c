/**
 * Filesystem snapshots of a node, to prove that a check run changed nothing: every path with
 * its type, mode, owner, and for files size, mtime and SHA-256 (symlinks: their target).
 * Kernel and runtime trees, Capstan's temp files, login records and the journal are left out.
 *
 *   const before = await set.snapshotFs('web1');
 *   await capstan(['apply', '--check', ...]);
 *   const diff = diffSnapshots(before, await set.snapshotFs('web1'));
 *   assert.ok(isEmptyDiff(diff), formatDiff(diff));
 */
import { sh } from '../commands/quote.ts';
import { ConnectionError } from '../errors.ts';
import { dockerExec } from './docker.ts';

/**
 * What changes on an idle node, or merely by logging in and using sudo, and Capstan's own run
 * state (its temp dirs; the run lock and handler journal in the state directory, which every
 * run takes, --check included, so an apply elsewhere cannot overlap it).
 */
export const DEFAULT_SNAPSHOT_EXCLUDES: readonly string[] = [
  '/proc',
  '/sys',
  '/dev',
  '/run',
  '/tmp/capstan*',
  '/var/tmp/capstan*',
  '/var/lib/capstan',
  '/root/.local/state/capstan',
  '/home/*/.local/state/capstan',
  '/var/log/journal',
  '/var/log/wtmp',
  '/var/log/btmp',
  '/var/log/lastlog',
  '/var/log/faillog',
  '/var/lib/systemd/random-seed',
  '/var/lib/systemd/timers',
  '/var/lib/systemd/timesync',
  '/var/lib/sudo/lectured',
];

export interface SnapshotOptions {
  /** Roots to walk (default ['/']); each stays on its own filesystem. */
  paths?: string[];
  /** More path patterns (find -path globs) to leave out, on top of the defaults. */
  exclude?: string[];
}

export interface FsSnapshot {
  node: string;
  /** path -> 'f 644 0:0 <size> <mtime> <sha256>' | 'd 755 0:0' | 'l 777 0:0 <mtime> -> <target>' | ... */
  entries: Map<string, string>;
}

export interface FsDiff {
  added: string[];
  removed: string[];
  changed: Array<{ path: string; before: string; after: string }>;
}

function findPrefix(paths: string[], excludes: string[]): string {
  const prune = excludes.flatMap((pattern, i) => (i === 0 ? ['-path', pattern] : ['-o', '-path', pattern]));
  return String(sh`LC_ALL=C find ${paths} -xdev ${['(', ...prune, ')']} -prune -o`);
}

function parseMeta(text: string): Map<string, { kind: string; meta: string; target: string }> {
  const fields = text.split('\0');
  const out = new Map<string, { kind: string; meta: string; target: string }>();
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const match = /^(\S+) (\S+) (\S+) (\S+) (\S+) (.*)$/s.exec(fields[i] ?? '');
    if (!match) continue;
    const [, kind = '?', mode, owner, size, mtime, path = ''] = match;
    const meta = kind === 'd' ? `${mode} ${owner}` : kind === 'f' ? `${mode} ${owner} ${size} ${mtime}` : `${mode} ${owner} ${mtime}`;
    out.set(path, { kind, meta, target: fields[i + 1] ?? '' });
  }
  return out;
}

function parseHashes(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const record of text.split('\0')) {
    const match = /^([0-9a-f]{64}) [ *](.*)$/s.exec(record);
    if (match?.[1] && match[2] !== undefined) out.set(match[2], match[1]);
  }
  return out;
}

async function run(containerId: string, node: string, script: string): Promise<string> {
  const r = await dockerExec(containerId, ['sh', '-c', script], { timeoutMs: 300_000 });
  if (r.exitCode !== 0) throw new ConnectionError(node, `filesystem snapshot failed (exit ${r.exitCode}): ${r.stderr.slice(0, 500)}`, 'other');
  return r.stdout;
}

/** Takes a snapshot of `node` (its container id) through docker exec. */
export async function snapshotFs(containerId: string, node: string, options: SnapshotOptions = {}): Promise<FsSnapshot> {
  const find = findPrefix(options.paths ?? ['/'], [...DEFAULT_SNAPSHOT_EXCLUDES, ...(options.exclude ?? [])]);
  const [metaText, hashText] = await Promise.all([
    run(containerId, node, `${find} -printf '%y %m %U:%G %s %T@ %p\\0%l\\0'`),
    run(containerId, node, `${find} -type f -exec sha256sum -z -- {} +`),
  ]);
  const hashes = parseHashes(hashText);
  const entries = new Map<string, string>();
  for (const [path, { kind, meta, target }] of parseMeta(metaText)) {
    const extra = kind === 'f' ? ` ${hashes.get(path) ?? 'unhashed'}` : kind === 'l' ? ` -> ${target}` : '';
    entries.set(path, `${kind} ${meta}${extra}`);
  }
  return { node, entries };
}

/** What differs between two snapshots of the same node. */
export function diffSnapshots(before: FsSnapshot, after: FsSnapshot): FsDiff {
  const diff: FsDiff = { added: [], removed: [], changed: [] };
  for (const [path, value] of after.entries) {
    const old = before.entries.get(path);
    if (old === undefined) diff.added.push(path);
    else if (old !== value) diff.changed.push({ path, before: old, after: value });
  }
  for (const path of before.entries.keys()) if (!after.entries.has(path)) diff.removed.push(path);
  diff.added.sort();
  diff.removed.sort();
  diff.changed.sort((a, b) => a.path.localeCompare(b.path));
  return diff;
}

export function isEmptyDiff(diff: FsDiff): boolean {
  return diff.added.length === 0 && diff.removed.length === 0 && diff.changed.length === 0;
}

/** A readable listing of a diff, for assertion messages. */
export function formatDiff(diff: FsDiff): string {
  return [
    ...diff.added.map((p) => `+ ${p}`),
    ...diff.removed.map((p) => `- ${p}`),
    ...diff.changed.map((c) => `~ ${c.path}: ${c.before} => ${c.after}`),
  ].join('\n');
}
