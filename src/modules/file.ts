/**
 * `file`: a path's type, mode and ownership: file, directory, symbolic link, hard link,
 * touch, or absent.
 *
 *   file({ path: '/opt/app/bin', state: 'directory', owner: 'root', group: 'app', mode: '0755' })
 *   file({ path: '/usr/local/bin/kubectl', state: 'link', src: '/usr/local/bin/k3s' })
 *   file({ path: '/etc/app/old.conf', state: 'absent' })
 *
 * `mode` is a string of octal digits; `recursive` applies owner/group/mode below a directory
 * (it always runs, so it reports a change only when something differs at the top).
 */
import { z } from 'zod';
import { defineModule, predict } from '../define/module.ts';
import { change, changes, exec, fail, noop, type Change } from '../define/plan.ts';
import { sh } from '../commands/quote.ts';
import { fileStat, type FileStat } from '../facts/file.ts';
import { accountName, fileMode, remotePath } from './args.ts';

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
  facts: (a) => ({ st: fileStat(a.path) }),
  plan: (a, { st }) => planFile(a, st),
  predicts: (a, { st }) => [predict(fileStat(a.path), predicted(a, st))],
});

export function planFile(a: Args, st: FileStat | null) {
  switch (a.state) {
    case 'absent':
      return st ? changes(change(`remove ${a.path}`, exec(sh`rm -rf -- ${a.path}`))) : noop(`${a.path} is already absent`);
    case 'directory':
      if (st && st.type !== 'directory') return fail(`${a.path} exists and is a ${st.type}, not a directory`);
      return st ? changes(...attributes(a, st)) : changes(createDirectory(a));
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
      return st?.type === 'file' ? noop(`${a.path} exists`) : changes(change(`hard link ${a.path} => ${a.src}`, exec(sh`ln -f -- ${a.src ?? ''} ${a.path}`)));
  }
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

/** Mode and ownership changes; `fresh` when the path is being created by this step. */
function attributes(a: Args, st: FileStat | null, fresh = false): Change[] {
  const out: Change[] = [];
  const flag = a.recursive ? '-R ' : '';
  if (a.mode && (fresh || !st || st.mode !== a.mode)) out.push(change(`mode ${st?.mode ?? 'new'} -> ${a.mode}`, exec(`chmod ${flag}${sh`${a.mode} ${a.path}`}`)));
  out.push(...ownership(a, st, fresh));
  return out;
}

function ownership(a: Args, st: FileStat | null, fresh: boolean): Change[] {
  const want = a.owner || a.group;
  if (!want) return [];
  const differs = fresh || !st || (a.owner !== undefined && st.owner !== a.owner) || (a.group !== undefined && st.group !== a.group);
  if (!differs) return [];
  const spec = `${a.owner ?? ''}${a.group ? `:${a.group}` : ''}`;
  const link = a.state === 'link' ? '-h ' : '';
  return [change(`owner ${st ? `${st.owner}:${st.group}` : 'new'} -> ${spec}`, exec(`chown ${a.recursive ? '-R ' : ''}${link}${sh`${spec} ${a.path}`}`))];
}

function predicted(a: Args, st: FileStat | null): FileStat | null {
  if (a.state === 'absent') return null;
  const type = a.state === 'directory' ? 'directory' : a.state === 'link' ? 'link' : 'file';
  return {
    type,
    mode: a.mode ?? st?.mode ?? (type === 'directory' ? '0755' : '0644'),
    owner: a.owner ?? st?.owner ?? 'root',
    group: a.group ?? st?.group ?? 'root',
    size: st?.size ?? 0,
    ...(type === 'file' ? { sha256: st?.sha256 ?? 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' } : {}),
    ...(type === 'link' && a.src ? { target: a.src } : {}),
  };
}
