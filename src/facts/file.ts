/**
 * File facts. `fileStat` is cheap: what is at a path (type, mode, owner, group, size,
 * device and inode, link target), read with `stat` alone. `fileSha256` reads the content:
 * only steps that compare content (copy, template, get_url, fetch) ask for it.
 *
 *   fileStat('/etc/motd')     // → { type: 'file', mode: '0644', owner: 'root', group: 'root', size: 79, device: 2049, inode: 1234 } | null
 *   fileSha256('/etc/motd')   // → 'c0ffee…' | null (absent, or not a regular file)
 *
 * Several paths gathered together cost one `stat` for all of them (and, when hashes are
 * asked, one `sha256sum` for all of them; see combinedStatScript), not a program each.
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
  /** Device and inode numbers: equal for two names of one file (hard links). Unknown in predictions of a file yet to be written. */
  device?: number;
  inode?: number;
  /** For symbolic links. */
  target?: string;
}

const TYPE_TESTS = `if [ -L "$p" ]; then t=link; elif [ -d "$p" ]; then t=directory; elif [ -f "$p" ]; then t=file; elif [ -e "$p" ]; then t=other; else t=absent; fi`;
const STAT_FORMAT = '%a|%U|%G|%s|%d|%i';

// stat and sha256sum escape names with a newline, carriage return or backslash: those go alone.
const plainName = (path: string) => !/[\n\r\\]/.test(path);

export const fileStat = defineFact<string, FileStat | null>({
  name: 'file.stat',
  command: (path) => sh`p=${path}; ` + [
    TYPE_TESTS,
    `if [ "$t" = absent ]; then echo absent; exit 0; fi`,
    `echo "$t"; stat -c '${STAT_FORMAT}' -- "$p"`,
    `if [ "$t" = link ]; then readlink -- "$p"; fi`,
  ].join('; '),
  parse: parseFileStat,
  combine: { accepts: plainName, script: (paths) => combinedStatScript(paths, 'stat'), split: (out, paths) => splitCombinedStat(out, paths) },
});

/** The SHA-256 of a regular file's content (hex), or null when the path is absent or not a regular file (a link is not followed). */
export const fileSha256 = defineFact<string, string | null>({
  name: 'file.sha256',
  command: (path) => sh`p=${path}; ` + `if [ -f "$p" ] && [ ! -L "$p" ]; then h=$(sha256sum < "$p") && printf '%s\\n' "\${h%% *}"; else echo none; fi`,
  parse: parseSha256,
  combine: { accepts: plainName, script: (paths) => combinedStatScript(paths, 'sha'), split: (out, paths) => splitCombinedSha(out, paths) },
});

export function parseSha256(out: string, exitCode: number): string | null {
  const v = out.trim();
  if (v === 'none') return null;
  if (exitCode !== 0 || !/^\\?[0-9a-f]{64}$/.test(v)) throw new Error(`unexpected sha256 output: ${JSON.stringify(out.slice(0, 200))}`);
  return v.replace(/^\\/, '');
}

const MARK = '@@capstan-file-stat';

/**
 * One script for many paths: each path's type by shell tests (no program), then one `stat`
 * for those that exist and `readlink` per link (part `stat`), or one `sha256sum` for the
 * regular files (part `sha`).
 *
 *   combinedStatScript(['/etc/motd', '/etc'], 'stat')
 */
export function combinedStatScript(paths: readonly string[], part: 'stat' | 'sha'): string {
  const each = paths.map((p, i) => `p=${quote(p)}; p${i}=$p; ${TYPE_TESTS}; echo "${i} $t"; ` +
    `case $t in absent) ;; link) E="$E ${i}"; L="$L ${i}" ;; file) E="$E ${i}"; F="$F ${i}" ;; *) E="$E ${i}" ;; esac`);
  const collect = (list: string) => `set --; for i in $${list}; do eval "set -- \\"\\$@\\" \\"\\$p$i\\""; done`;
  const body = part === 'stat'
    ? [`echo ${MARK}:stat; ${collect('E')}; [ $# -eq 0 ] || stat -c '${STAT_FORMAT}|%n' -- "$@"`,
      `for i in $L; do echo "${MARK}:link:$i"; eval "readlink -- \\"\\$p$i\\""; done`]
    : [`echo ${MARK}:sha; ${collect('F')}; [ $# -eq 0 ] || sha256sum -- "$@"`];
  return ['E=; F=; L=', ...each, ...body, `echo ${MARK}:end`].join('\n');
}

function combinedParts(out: string): { lines: string[]; at: (tag: string) => number; types: Map<number, string> } {
  const lines = out.split('\n');
  const at = (tag: string) => {
    const i = lines.indexOf(`${MARK}:${tag}`);
    if (i < 0) throw new Error(`no ${tag} part in the combined file facts`);
    return i;
  };
  const first = lines.findIndex((l) => l.startsWith(`${MARK}:`));
  const types = new Map(lines.slice(0, first < 0 ? lines.length : first).map((l) => [Number(l.slice(0, l.indexOf(' '))), l.slice(l.indexOf(' ') + 1)]));
  return { lines, at, types };
}

function typeOf(types: Map<number, string>, i: number, p: string): string {
  const type = types.get(i);
  if (!type) throw new Error(`no type for ${p}`);
  return type;
}

/** The combined `stat` output, as the single-path command would have printed it for each path. */
export function splitCombinedStat(out: string, paths: readonly string[]): { stdout: string; exitCode: number }[] {
  const { lines, at, types } = combinedParts(out);
  const statAt = at('stat');
  const endAt = at('end');
  const linkAt = lines.findIndex((l) => l.startsWith(`${MARK}:link:`));
  const info = new Map<string, string>();
  for (const l of lines.slice(statAt + 1, linkAt < 0 ? endAt : linkAt)) {
    const parts = l.split('|');
    if (parts.length >= 7) info.set(parts.slice(6).join('|'), parts.slice(0, 6).join('|'));
  }
  const targets = new Map<number, string>();
  for (let i = linkAt < 0 ? endAt : linkAt; i < endAt; i++) {
    const m = new RegExp(`^${MARK}:link:(\\d+)$`).exec(lines[i] ?? '');
    if (m) targets.set(Number(m[1]), lines[i + 1]?.startsWith(MARK) ? '' : (lines[i + 1] ?? ''));
  }
  return paths.map((p, i) => {
    const type = typeOf(types, i, p);
    if (type === 'absent') return { stdout: 'absent\n', exitCode: 0 };
    return { stdout: `${type}\n${info.get(p) ?? ''}\n${type === 'link' ? `${targets.get(i) ?? ''}\n` : ''}`, exitCode: 0 };
  });
}

/** The combined `sha256sum` output, as the single-path command would have printed it for each path. */
export function splitCombinedSha(out: string, paths: readonly string[]): { stdout: string; exitCode: number }[] {
  const { lines, at, types } = combinedParts(out);
  const sha = new Map<string, string>();
  for (const l of lines.slice(at('sha') + 1, at('end'))) {
    const m = /^([0-9a-f]{64}) [ *]([\s\S]*)$/.exec(l);
    if (m) sha.set(m[2] as string, m[1] as string);
  }
  return paths.map((p, i) => {
    if (typeOf(types, i, p) !== 'file') return { stdout: 'none\n', exitCode: 0 };
    const h = sha.get(p);
    return h ? { stdout: `${h}\n`, exitCode: 0 } : { stdout: '', exitCode: 1 };
  });
}

export function parseFileStat(out: string, exitCode: number): FileStat | null {
  if (out.trim() === 'absent') return null;
  const [type, info = '', ...rest] = out.split('\n');
  if (exitCode !== 0 || !type || !['file', 'directory', 'link', 'other'].includes(type)) throw new Error(`unexpected stat output: ${JSON.stringify(out.slice(0, 200))}`);
  const [mode = '', owner = '', group = '', size = '0', device, inode] = info.split('|');
  const target = rest.join('\n').replace(/\n$/, '');
  return {
    type: type as FileStat['type'],
    mode: mode.padStart(4, '0'),
    owner,
    group,
    size: Number(size),
    ...(device && inode ? { device: Number(device), inode: Number(inode) } : {}),
    ...(type === 'link' ? { target } : {}),
  };
}

/** Whether a path exists (any type), for `creates`/`removes` guards. */
export const pathExists = defineFact<string, boolean>({
  name: 'file.exists',
  command: (path) => sh`if [ -e ${path} ] || [ -L ${path} ]; then echo yes; else echo no; fi`,
  parse: (out) => out.trim() === 'yes',
});

/** What recursive owner/group/mode settings compare against. */
export interface TreeWanted {
  path: string;
  owner?: string | undefined;
  group?: string | undefined;
  mode?: string | undefined;
}

/**
 * The first path below a directory whose owner, group or mode differs from the wanted ones
 * (null when none does, or when the directory is absent): `find` stops at the first match,
 * so a converged tree costs one walk and prints nothing. Links have no mode of their own.
 *
 *   treeDiffers({ path: '/opt/app', owner: 'app', mode: '0750' })   // → '/opt/app/bin/run' | null
 */
export const treeDiffers = defineFact<TreeWanted, string | null>({
  name: 'file.tree',
  command: (w) => {
    const tests = [
      ...(w.owner ? [`! -user ${quote(w.owner)}`] : []),
      ...(w.group ? [`! -group ${quote(w.group)}`] : []),
      ...(w.mode ? [`\\( ! -type l ! -perm ${quote(w.mode)} \\)`] : []),
    ];
    if (!tests.length) return 'true';
    // find refuses an owner or group the host does not know (yet): then the tree differs.
    return sh`d=${w.path}; ` + `if [ -d "$d" ] && [ ! -L "$d" ]; then find "$d" -mindepth 1 \\( ${tests.join(' -o ')} \\) -print -quit || echo "$d"; fi`;
  },
  parse: (out) => {
    const first = out.split('\n')[0] ?? '';
    return first === '' ? null : first;
  },
});

/** A file's stat with its content hash, for the steps that compare content (copy, template, fetch). */
export interface HashedStat extends FileStat {
  /** For regular files. */
  sha256?: string;
}

/** Both facts a content-comparing step reads: `{ st, sha }`. */
export const hashedFacts = (path: string) => ({ st: fileStat(path), sha: fileSha256(path) });

/** The stat and the hash as one value (null when the path is absent). */
export function withSha256(st: FileStat | null, sha: string | null | undefined): HashedStat | null {
  return st && st.type === 'file' && sha ? { ...st, sha256: sha } : st;
}
