/**
 * File facts for reading, beyond `file.stat`: a file's raw bytes (size-limited, base64 on the wire, binary-safe), and a small marker file.
 *
 *   fileBytes({ path: '/etc/hostname', maxBytes: 1 << 20 })    // → { kind: 'ok', base64: 'd2ViMQo=' }
 *   fileMarker('/opt/app/.capstan-unarchive-1a2b')             // → 'e3b0…\n' | null
 */
import { defineFact } from '../define/fact.ts';
import { sh } from '../commands/quote.ts';

export type FileBytes = { kind: 'absent' } | { kind: 'not-a-file' } | { kind: 'too-large'; size: number } | { kind: 'ok'; base64: string };

export const fileBytes = defineFact<{ path: string; maxBytes: number }, FileBytes>({
  name: 'file.bytes',
  command: (a) => sh`p=${a.path}; max=${a.maxBytes}; ` + [
    `if [ ! -e "$p" ]; then echo absent; exit 0; fi`,
    `if [ ! -f "$p" ]; then echo not-a-file; exit 0; fi`,
    `s=$(stat -L -c %s -- "$p")`,
    `if [ "$s" -gt "$max" ]; then echo "too-large $s"; exit 0; fi`,
    `echo ok; base64 -w 0 -- "$p"`,
  ].join('; '),
  parse: (out, code) => parseFileBytes(out, code),
});

export function parseFileBytes(out: string, exitCode: number): FileBytes {
  const [head, body] = splitFirstLine(out);
  if (head === 'absent') return { kind: 'absent' };
  if (head === 'not-a-file') return { kind: 'not-a-file' };
  const large = /^too-large (\d+)$/.exec(head);
  if (large) return { kind: 'too-large', size: Number(large[1]) };
  if (head === 'ok' && exitCode === 0 && /^[A-Za-z0-9+/=\s]*$/.test(body)) return { kind: 'ok', base64: body.replace(/\s+/g, '') };
  throw new Error(`cannot read the file (exit ${exitCode}): ${JSON.stringify(out.slice(0, 200))}`);
}

/** A small marker file's content (first 4 KiB), or null when there is no such file. */
export const fileMarker = defineFact<string, string | null>({
  name: 'file.marker',
  command: (path) => sh`if [ -f ${path} ]; then echo present; head -c 4096 -- ${path}; else echo absent; fi`,
  parse: (out) => {
    const [head, body] = splitFirstLine(out);
    return head === 'present' ? body : null;
  },
});

function splitFirstLine(out: string): [string, string] {
  const i = out.indexOf('\n');
  return i < 0 ? [out.trim(), ''] : [out.slice(0, i).trim(), out.slice(i + 1)];
}
