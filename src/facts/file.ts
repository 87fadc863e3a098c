/**
 * File facts: what is at a path (type, mode, owner, group, size, sha256, link target).
 *
 *   fileStat('/etc/motd')   // → { type: 'file', mode: '0644', owner: 'root', group: 'root', size: 79, sha256: '…' } | null
 */
import { defineFact } from '../define/fact.ts';
import { sh } from '../commands/quote.ts';

export interface FileStat {
  type: 'file' | 'directory' | 'link' | 'other';
  /** Four octal digits, e.g. '0644'. */
  mode: string;
  owner: string;
  group: string;
  size: number;
  /** For regular files. */
  sha256?: string;
  /** For symbolic links. */
  target?: string;
}

export const fileStat = defineFact<string, FileStat | null>({
  name: 'file.stat',
  command: (path) => sh`p=${path}; ` + [
    `if [ -L "$p" ]; then t=link; elif [ -d "$p" ]; then t=directory; elif [ -f "$p" ]; then t=file; elif [ -e "$p" ]; then t=other; else echo absent; exit 0; fi`,
    `echo "$t"; stat -c '%a|%U|%G|%s' -- "$p"`,
    `if [ "$t" = file ]; then sha256sum < "$p" | cut -d' ' -f1; elif [ "$t" = link ]; then readlink -- "$p"; fi`,
  ].join('; '),
  parse: parseFileStat,
});

export function parseFileStat(out: string, exitCode: number): FileStat | null {
  if (out.trim() === 'absent') return null;
  const [type, info = '', ...rest] = out.split('\n');
  if (exitCode !== 0 || !type || !['file', 'directory', 'link', 'other'].includes(type)) throw new Error(`unexpected stat output: ${JSON.stringify(out.slice(0, 200))}`);
  const [mode = '', owner = '', group = '', size = '0'] = info.split('|');
  const extra = rest.join('\n').replace(/\n$/, '');
  return {
    type: type as FileStat['type'],
    mode: mode.padStart(4, '0'),
    owner,
    group,
    size: Number(size),
    ...(type === 'file' ? { sha256: extra.trim() } : {}),
    ...(type === 'link' ? { target: extra } : {}),
  };
}

/** Whether a path exists (any type), for `creates`/`removes` guards. */
export const pathExists = defineFact<string, boolean>({
  name: 'file.exists',
  command: (path) => sh`if [ -e ${path} ] || [ -L ${path} ]; then echo yes; else echo no; fi`,
  parse: (out) => out.trim() === 'yes',
});
