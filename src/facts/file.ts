/**
 * File facts: what is at a path (type, mode, owner, group, size, sha256, link target).
 *
 *   fileStat('/etc/motd')   // → { type: 'file', mode: '0644', owner: 'root', group: 'root', size: 79, sha256: '…' } | null
 *
 * Several paths gathered together cost one `stat` and one `sha256sum` for all of them
 * (see combinedStatScript), not two programs each.
 */
import { defineFact } from '../define/fact.ts';
import { quote, sh } from '../commands/quote.ts';

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
    `if [ "$t" = file ]; then h=$(sha256sum < "$p") && printf '%s\\n' "\${h%% *}"; elif [ "$t" = link ]; then readlink -- "$p"; fi`,
  ].join('; '),
  parse: parseFileStat,
  combine: {
    // sha256sum escapes names with a newline, carriage return or backslash: those go alone.
    accepts: (path) => !/[\n\r\\]/.test(path),
    script: (paths) => combinedStatScript(paths),
    split: (out, paths) => splitCombinedStat(out, paths),
  },
});

const MARK = '@@capstan-file-stat';

/**
 * One script for many paths: each path's type by shell tests (no program), then one `stat`
 * for those that exist, one `sha256sum` for the regular files, and `readlink` per link.
 *
 *   combinedStatScript(['/etc/motd', '/etc'])
 */
export function combinedStatScript(paths: readonly string[]): string {
  const each = paths.map((p, i) => `p${i}=${quote(p)}; if [ -L "$p${i}" ]; then t=link; L="$L ${i}"; elif [ -d "$p${i}" ]; then t=directory; ` +
    `elif [ -f "$p${i}" ]; then t=file; F="$F ${i}"; elif [ -e "$p${i}" ]; then t=other; else t=absent; fi; echo "${i} $t"; [ "$t" = absent ] || E="$E ${i}"`);
  const collect = (list: string) => `set --; for i in $${list}; do eval "set -- \\"\\$@\\" \\"\\$p$i\\""; done`;
  return [
    'E=; F=; L=',
    ...each,
    `echo ${MARK}:stat; ${collect('E')}; [ $# -eq 0 ] || stat -c '%a|%U|%G|%s|%n' -- "$@"`,
    `echo ${MARK}:sha; ${collect('F')}; [ $# -eq 0 ] || sha256sum -- "$@"`,
    `for i in $L; do echo "${MARK}:link:$i"; eval "readlink -- \\"\\$p$i\\""; done`,
    `echo ${MARK}:end`,
  ].join('\n');
}

/** The combined output, as the single-path command would have printed it for each path. */
export function splitCombinedStat(out: string, paths: readonly string[]): { stdout: string; exitCode: number }[] {
  const lines = out.split('\n');
  const at = (tag: string) => {
    const i = lines.indexOf(`${MARK}:${tag}`);
    if (i < 0) throw new Error(`no ${tag} part in the combined file facts`);
    return i;
  };
  const statAt = at('stat');
  const shaAt = at('sha');
  const endAt = at('end');
  const types = new Map(lines.slice(0, statAt).map((l) => [Number(l.slice(0, l.indexOf(' '))), l.slice(l.indexOf(' ') + 1)]));
  const info = new Map<string, string>();
  for (const l of lines.slice(statAt + 1, shaAt)) {
    const parts = l.split('|');
    if (parts.length >= 5) info.set(parts.slice(4).join('|'), parts.slice(0, 4).join('|'));
  }
  const sha = new Map<string, string>();
  const linkAt = lines.findIndex((l) => l.startsWith(`${MARK}:link:`));
  for (const l of lines.slice(shaAt + 1, linkAt < 0 ? endAt : linkAt)) {
    const m = /^([0-9a-f]{64}) [ *]([\s\S]*)$/.exec(l);
    if (m) sha.set(m[2] as string, m[1] as string);
  }
  const targets = new Map<number, string>();
  for (let i = linkAt < 0 ? endAt : linkAt; i < endAt; i++) {
    const m = new RegExp(`^${MARK}:link:(\\d+)$`).exec(lines[i] ?? '');
    if (m) targets.set(Number(m[1]), lines[i + 1]?.startsWith(MARK) ? '' : (lines[i + 1] ?? ''));
  }
  return paths.map((p, i) => {
    const type = types.get(i);
    if (!type) throw new Error(`no type for ${p}`);
    if (type === 'absent') return { stdout: 'absent\n', exitCode: 0 };
    const extra = type === 'file' ? `${sha.get(p) ?? ''}\n` : type === 'link' ? `${targets.get(i) ?? ''}\n` : '';
    return { stdout: `${type}\n${info.get(p) ?? ''}\n${extra}`, exitCode: 0 };
  });
}

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
