/**
 * `file`: a path's type, mode and ownership: file, directory, symbolic link, hard link,
 * touch, or absent.
 *
 *   file({ path: '/opt/app/bin', state: 'directory', owner: 'root', group: 'app', mode: '0755' })
 *   file({ path: '/usr/local/bin/kubectl', state: 'link', src: '/usr/local/bin/k3s' })
 *   file({ path: '/etc/app/old.conf', state: 'absent' })
 *
 * `mode` is a string of octal digits. `recursive: true` (state directory) converges the whole
 * tree: owner, group and mode are set on everything below the directory too (links keep their
 * own mode), and the step reports a change whenever anything in the tree differs, the top or
 * any child, and "ok" when nothing does. `state: 'hard'` is done only when `path` is the same
 * file as `src` (same device and inode); another file at `path` is replaced by the link.
 *
 *   file({ path: '/srv/app', state: 'directory', owner: 'app', group: 'app', mode: '0750', recursive: true })
 *   file({ path: '/usr/local/bin/k3s-server', state: 'hard', src: '/usr/local/bin/k3s' })
 */
import { z } from 'zod';
import { defineModule, predict } from '../define/module.ts';
import { change, changes, exec, fail, noop, type Change } from '../define/plan.ts';
import { sh } from '../commands/quote.ts';
import { fileStat, treeDiffers, type FileStat } from '../facts/file.ts';
import { accountName, fileMode, remotePath } from './args.ts';
import { writesPaths } from './affects.ts';

const args = z
  .object({
    path: remotePath,
    state: z.enum(['file', 'directory', 'link', 'hard', 'absent', 'touch']).default('file'),
    mode: fileMode.optional(),
    owner: accountName.optional(),
    group: accountName.optional(),
    src: z.string().min(1).optional(),
    recursive: z.boolean().default(false),
    force: z.boolean().default(false),
  })
  .strict()
  .refine((a) => !['link', 'hard'].includes(a.state) || a.src !== undefined, { message: 'state link/hard needs src', path: ['src'] });

type Args = z.output<typeof args>;

export const file = defineModule({
  name: 'file',
  args,
  describe: (a) => `file ${a.path} (${a.state})`,
  facts: (a) => ({
    st: fileStat(a.path),
    ...(a.state === 'hard' && a.src !== undefined ? { source: fileStat(a.src) } : {}),
    ...(walksTree(a) ? { below: treeDiffers(treeWanted(a)) } : {}),
  }),
  plan: (a, { st, source, below }) => planFile(a, st, { source: source ?? null, below: below ?? null }),
  predicts: (a, { st, source }) => [
    predict(fileStat(a.path), predicted(a, st, source ?? null)),
    ...(walksTree(a) ? [predict(treeDiffers(treeWanted(a)), null)] : []),
  ],
  // a hard link also changes its source's link count
  invalidates: (a) => writesPaths(a.path, ...(a.state === 'hard' && a.src !== undefined ? [a.src] : [])),
});

/** What else the plan reads: the hard link's source, and the first path below a recursive directory that differs. */
export interface FileExtra {
  source?: FileStat | null;
  below?: string | null;
}

const walksTree = (a: Args) => a.recursive && a.state === 'directory' && Boolean(a.mode || a.owner || a.group);
const treeWanted = (a: Args) => ({ path: a.path, owner: a.owner, group: a.group, mode: a.mode });

export function planFile(a: Args, st: FileStat | null, extra: FileExtra = {}) {
  switch (a.state) {
    case 'absent':
      return st ? changes(change(`remove ${a.path}`, exec(sh`rm -rf -- ${a.path}`))) : noop(`${a.path} is already absent`);
    case 'directory':
      if (st && st.type !== 'directory') return fail(`${a.path} exists and is a ${st.type}, not a directory`);
      return st ? changes(...attributes(a, st, false, extra.below ?? null)) : changes(createDirectory(a));
    case 'file':
      if (!st) return fail(`${a.path} does not exist (use state: 'touch' to create an empty file, or copy/template to write one)`);
      return changes(...attributes(a, st));
    case 'touch':
      return changes(change(st ? `touch ${a.path}` : `create empty file ${a.path}`, exec(sh`touch -- ${a.path}`)), ...attributes(a, st ?? null, true));
    case 'link':
      if (st?.type === 'link' && st.target === a.src) return changes(...ownership(a, st, true));
      if (st && st.type !== 'link' && !a.force) return fail(`${a.path} exists and is a ${st.type}; give force: true to replace it with a link`);
      return changes(change(`link ${a.path} -> ${a.src}`, exec(sh`ln -sfn -- ${a.src ?? ''} ${a.path}`)));
    case 'hard':
      return planHardLink(a, st, extra.source ?? null);
  }
}

function planHardLink(a: Args, st: FileStat | null, source: FileStat | null) {
  if (!source) return fail(`${a.src} does not exist: a hard link needs an existing file`);
  if (source.type !== 'file') return fail(`${a.src} is a ${source.type}: a hard link needs a regular file`);
  if (st && st.type !== 'file' && st.type !== 'link' && !a.force) return fail(`${a.path} exists and is a ${st.type}; give force: true to replace it with a hard link`);
  const same = st?.type === 'file' && st.inode !== undefined && st.inode === source.inode && st.device === source.device;
  if (same) return changes(...ownership(a, st, false));
  const what = st ? `replace ${a.path} (another file) with a hard link to ${a.src}` : `hard link ${a.path} => ${a.src}`;
  return changes(change(what, exec(sh`ln -f -- ${a.src ?? ''} ${a.path}`)));
}

/**
 * Creates a directory and its missing parents. As Ansible does, every directory created gets
 * the step's owner, group and mode, parents included (not only the last one).
 */
function createDirectory(a: Args): Change {
  const spec = a.owner || a.group ? `${a.owner ?? ''}${a.group ? `:${a.group}` : ''}` : undefined;
  const each = [spec ? sh`chown ${spec} -- "$m"` : '', a.mode ? sh`chmod ${a.mode} -- "$m"` : ''].filter(Boolean).join(' && ');
  const script = each
    ? `${sh`p=${a.path}`}; d=$p; set --; while [ ! -e "$d" ] && [ ! -L "$d" ]; do set -- "$d" "$@"; d=$(dirname -- "$d"); done; mkdir -p -- "$p" && for m in "$@"; do ${each} || exit 1; done`
    : String(sh`mkdir -p -- ${a.path}`);
  return change(`create directory ${a.path}${each ? ' (and missing parents, with the same owner and mode)' : ''}`, exec(script));
}

/**
 * Mode and ownership changes; `fresh` when the path is being created by this step; `below`,
 * for a recursive directory, the first path under it that differs (the tree is set as a whole).
 */
function attributes(a: Args, st: FileStat | null, fresh = false, below: string | null = null): Change[] {
  const out: Change[] = [];
  const flag = a.recursive ? '-R ' : '';
  if (a.mode && (fresh || !st || st.mode !== a.mode || below)) {
    const onlyBelow = !fresh && st?.mode === a.mode;
    out.push(change(onlyBelow ? `mode -> ${a.mode} below ${a.path} (${below} differs)` : `mode ${st?.mode ?? 'new'} -> ${a.mode}`, exec(`chmod ${flag}${sh`${a.mode} ${a.path}`}`)));
  }
  out.push(...ownership(a, st, fresh, below));
  return out;
}

function ownership(a: Args, st: FileStat | null, fresh: boolean, below: string | null = null): Change[] {
  const want = a.owner || a.group;
  if (!want) return [];
  const top = fresh || !st || (a.owner !== undefined && st.owner !== a.owner) || (a.group !== undefined && st.group !== a.group);
  if (!top && !below) return [];
  const spec = `${a.owner ?? ''}${a.group ? `:${a.group}` : ''}`;
  const link = a.state === 'link' ? '-h ' : '';
  const summary = top ? `owner ${st ? `${st.owner}:${st.group}` : 'new'} -> ${spec}` : `owner -> ${spec} below ${a.path} (${below} differs)`;
  return [change(summary, exec(`chown ${a.recursive ? '-R ' : ''}${link}${sh`${spec} ${a.path}`}`))];
}

function predicted(a: Args, st: FileStat | null, source: FileStat | null): FileStat | null {
  if (a.state === 'absent') return null;
  if (a.state === 'hard' && source) return { ...source, owner: a.owner ?? source.owner, group: a.group ?? source.group };
  const type = a.state === 'directory' ? 'directory' : a.state === 'link' ? 'link' : 'file';
  // the path keeps its inode unless the step replaces it (a link to another target is a new link)
  const kept = st?.type === type && (type !== 'link' || st.target === a.src) ? st : undefined;
  return {
    type,
    mode: type === 'link' ? '0777' : (a.mode ?? kept?.mode ?? (type === 'directory' ? '0755' : '0644')),
    owner: a.owner ?? kept?.owner ?? 'root',
    group: a.group ?? kept?.group ?? 'root',
    size: type === 'link' && a.src ? Buffer.byteLength(a.src) : (kept?.size ?? 0),
    ...(kept?.inode !== undefined ? { device: kept.device, inode: kept.inode } : {}),
    ...(type === 'link' && a.src ? { target: a.src } : {}),
  };
}
