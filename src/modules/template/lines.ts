/**
 * Lines of a text file with their own line endings, and the regular-expression arguments of
 * the modules that edit text in place (lineinfile, blockinfile, replace).
 *
 *   const lines = splitLines('a\r\nb');     // [{ body: 'a', eol: '\r\n' }, { body: 'b', eol: '' }]
 *   joinLines(lines) === 'a\r\nb'           // byte for byte
 *   fileEol(lines)                          // '\r\n': new lines follow the file's style
 *   regexpArg.parse('^port=')               // a RegExp; a bad pattern is a field-level error
 */
import { z } from 'zod';

export interface Line {
  /** The text without its line ending. */
  body: string;
  /** '\n', '\r\n', or '' for a last line without a newline. */
  eol: string;
}

export function splitLines(text: string): Line[] {
  if (text === '') return [];
  const parts = text.split('\n');
  const last = parts.pop() ?? '';
  const lines = parts.map((p) => (p.endsWith('\r') ? { body: p.slice(0, -1), eol: '\r\n' } : { body: p, eol: '\n' }));
  if (last !== '') lines.push({ body: last, eol: '' });
  return lines;
}

export function joinLines(lines: readonly Line[]): string {
  return lines.map((l) => l.body + l.eol).join('');
}

/** The line ending new lines get: the first line's, or '\n'. */
export function fileEol(lines: readonly Line[]): string {
  return lines.find((l) => l.eol !== '')?.eol ?? '\n';
}

/** The index of the last line that satisfies `test`, or -1. */
export function lastIndex(lines: readonly Line[], test: (l: Line) => boolean): number {
  for (let i = lines.length - 1; i >= 0; i--) if (test(lines[i]!)) return i;
  return -1;
}

/** Gives the last line a line ending, so that something can follow it. */
export function terminateLast(lines: Line[], eol: string): void {
  const last = lines.at(-1);
  if (last && last.eol === '') last.eol = eol;
}

/** Text that must fit on one line: no '\n' or '\r'. */
export const oneLine = (what: string) =>
  z.string().refine((s) => !/[\r\n]/.test(s), `${what} must be one line (no \\n or \\r); use blockinfile for several lines`);

/** A regular expression given as JavaScript source text or a RegExp; `g` and `y` flags are dropped. */
export const regexpArg = z.union([z.string(), z.instanceof(RegExp)]).transform((v, ctx) => {
  try {
    return typeof v === 'string' ? new RegExp(v) : new RegExp(v.source, v.flags.replace(/[gy]/g, ''));
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: `not a valid regular expression: ${(e as Error).message}` });
    return z.NEVER;
  }
});

/** Where to insert: 'BOF', 'EOF', or a regular expression matched against each line. */
export type Anchor = 'BOF' | 'EOF' | RegExp;

export const anchorArg = z.union([z.literal('BOF'), z.literal('EOF'), regexpArg]);

/** The same expression with extra flags (e.g. `gm` to replace across a whole file). */
export function withFlags(re: RegExp, flags: string): RegExp {
  return new RegExp(re.source, [...new Set(re.flags + flags)].join(''));
}

/**
 * Expands `$1`, `$<name>`, `$&`, `$$` in `template` from a match, as String.prototype.replace does;
 * a group that did not take part expands to ''.
 */
export function expandMatch(template: string, m: RegExpExecArray): string {
  return template.replace(/\$(\$|&|`|'|\d{1,2}|<([^>]*)>)/g, (whole, token: string, name: string | undefined) => {
    if (token === '$') return '$';
    if (token === '&') return m[0];
    if (token === '`') return m.input.slice(0, m.index);
    if (token === "'") return m.input.slice(m.index + m[0].length);
    if (name !== undefined) return m.groups && name in m.groups ? (m.groups[name] ?? '') : whole;
    const two = Number(token);
    if (two > 0 && two < m.length) return m[two] ?? '';
    const one = Number(token[0]);
    if (token.length === 2 && one > 0 && one < m.length) return (m[one] ?? '') + token.slice(1);
    return whole;
  });
}
