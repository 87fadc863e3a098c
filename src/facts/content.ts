/**
 * The content of a text file, read byte for byte in one command (base64 on the wire), for
 * modules that edit files in place (lineinfile, blockinfile, replace).
 *
 *   fileContent('/etc/hosts')
 *   // → { exists: true, readable: true, text: '127.0.0.1 localhost\n', sha256: '…', size: 20, mode: '0644', owner: 'root', group: 'root' }
 *   // → { exists: false }                                      nothing there
 *   // → { exists: true, readable: false, reason: 'is a directory' }
 *
 * A symbolic link is followed: the value describes the file it points to and carries that
 * file's path as `realPath`. Files larger than CONTENT_LIMIT and files that are not UTF-8
 * are reported as unreadable with the reason, never truncated or decoded lossily.
 */
import { createHash } from 'node:crypto';
import { defineFact } from '../define/fact.ts';
import { sh } from '../commands/quote.ts';

/** The largest file the fact reads (4 MiB). */
export const CONTENT_LIMIT = 4 * 1024 * 1024;

export interface FileAbsent {
  exists: false;
  /** Set when the path is a symbolic link to a missing file: where a new file would go. */
  realPath?: string;
}

export interface FileText {
  exists: true;
  readable: true;
  /** The whole file, decoded as UTF-8 (byte order mark and line endings kept as they are). */
  text: string;
  sha256: string;
  size: number;
  /** Four octal digits, e.g. '0644'. */
  mode: string;
  owner: string;
  group: string;
  /** Set when the path is a symbolic link: the file it resolves to. */
  realPath?: string;
}

export interface FileUnreadable {
  exists: true;
  readable: false;
  /** Why the content cannot be used: 'is a directory', 'is larger than 4 MiB (…)', … */
  reason: string;
  realPath?: string;
}

export type FileContent = FileAbsent | FileText | FileUnreadable;

const CONTENT_MARK = 'content';
const UNREADABLE_MARK = '!unreadable';

export const fileContent = defineFact<string, FileContent>({
  name: 'file.content',
  command: (path) => contentScript(path),
  parse: (out) => parseFileContent(out),
});

/** The remote side: a link line when the path is a symlink, a kind line, then the content in base64. */
export function contentScript(path: string): string {
  return [
    String(sh`p=${path}; r=$p`),
    `if [ -L "$p" ]; then r=$(readlink -f -- "$p"; echo x) || { echo brokenlink; exit 0; }; r=\${r%x}; r=\${r%?}; printf 'link '; printf '%s' "$r" | base64 | tr -d '\\n'; echo; fi`,
    `if [ ! -e "$r" ]; then echo absent; exit 0; fi`,
    `if [ -d "$r" ]; then echo directory; exit 0; fi`,
    `if [ ! -f "$r" ]; then echo other; exit 0; fi`,
    `s=$(stat -c '%a|%U|%G|%s' -- "$r") || { echo '${UNREADABLE_MARK}'; exit 0; }`,
    `echo "file $s"`,
    `if [ "\${s##*|}" -gt ${CONTENT_LIMIT} ]; then echo toolarge; exit 0; fi`,
    `echo ${CONTENT_MARK}; base64 < "$r" 2>/dev/null || echo '${UNREADABLE_MARK}'`,
  ].join('\n');
}

/** Pure: the fact's output in, its value out. Throws only on output the script cannot produce. */
export function parseFileContent(out: string): FileContent {
  const lines = out.split('\n');
  let realPath: string | undefined;
  if (lines[0]?.startsWith('link ')) {
    realPath = Buffer.from(lines.shift()!.slice(5), 'base64').toString('utf8');
  }
  const at = realPath === undefined ? {} : { realPath };
  const kind = lines.shift() ?? '';
  if (kind === 'absent') return { exists: false, ...at };
  if (kind === 'brokenlink') return unreadable('is a symbolic link that cannot be resolved (a loop?)', at);
  if (kind === 'directory') return unreadable('is a directory', at);
  if (kind === 'other') return unreadable('is not a regular file', at);
  if (kind === UNREADABLE_MARK) return unreadable('cannot be read', at);
  const stat = /^file (\d+)\|([^|]*)\|([^|]*)\|(\d+)$/.exec(kind);
  if (!stat) throw new Error(`unexpected file content output: ${JSON.stringify(out.slice(0, 200))}`);
  const [, mode = '', owner = '', group = '', size = '0'] = stat;
  const next = lines.shift();
  if (next === 'toolarge') return unreadable(`is larger than ${CONTENT_LIMIT / 1024 / 1024} MiB (${size} bytes), too large to edit in place`, at);
  if (next !== CONTENT_MARK || lines.includes(UNREADABLE_MARK)) return unreadable('cannot be read', at);
  const bytes = Buffer.from(lines.join(''), 'base64');
  const text = decodeUtf8(bytes);
  if (text === undefined) return unreadable('is not UTF-8 text', at);
  return {
    exists: true, readable: true, text, size: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    mode: mode.padStart(4, '0'), owner, group, ...at,
  };
}

/** The file's value once `text` is written to it (for check-mode predictions). */
export function textFileValue(text: string, attrs: { mode: string; owner: string; group: string; realPath?: string }): FileText {
  const bytes = Buffer.from(text, 'utf8');
  return {
    exists: true, readable: true, text, size: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    mode: attrs.mode, owner: attrs.owner, group: attrs.group,
    ...(attrs.realPath === undefined ? {} : { realPath: attrs.realPath }),
  };
}

function unreadable(reason: string, at: { realPath?: string }): FileUnreadable {
  return { exists: true, readable: false, reason, ...at };
}

/** Strict UTF-8 decoding that keeps a byte order mark; undefined when the bytes are not UTF-8. */
function decodeUtf8(bytes: Buffer): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return undefined;
  }
}
