/**
 * `lineinfile`: one line of a text file, present or absent, with Ansible's semantics.
 *
 *   lineinfile({ path: '/etc/ssh/sshd_config', regexp: '^#?PasswordAuthentication ', line: 'PasswordAuthentication no' })
 *   lineinfile({ path: '/etc/hosts', line: '10.0.0.5 db1', insertafter: '^127\\.0\\.0\\.1' })
 *   lineinfile({ path: '/etc/sudoers', regexp: '^%admin', state: 'absent', validate: 'visudo -cf %s' })
 *   lineinfile({ path: '/etc/default/grub', regexp: /^(GRUB_CMDLINE_LINUX=".*)"$/, line: '$1 quiet"', backrefs: true })
 *
 * present: the last line matching `regexp` (the first with `firstMatch`) is replaced by
 * `line`; without a match the line is added after `insertafter` / before `insertbefore`
 * (a regexp, `BOF` or `EOF`; default: at the end) unless it is already there. With
 * `backrefs`, `line` may use `$1` / `$<name>` from the match, and nothing is added when
 * `regexp` matches nothing. absent: every line matching `regexp` (or equal to `line`) goes.
 * Regular expressions are JavaScript's, matched against each line without its line ending.
 * A missing file is an error unless `create` is set. New lines follow the file's line
 * endings (CRLF stays CRLF); a file without a final newline keeps that, unless a line is
 * added at its end.
 */
import { z } from 'zod';
import { fileEditFields, remotePath } from './args.ts';
import { anchorArg, expandMatch, fileEol, joinLines, oneLine, regexpArg, splitLines, type Anchor, type Line } from './template/lines.ts';
import { defineTextEdit, type EditResult } from './template/text-file.ts';

export const lineinfileArgs = z
  .object({
    path: remotePath,
    line: oneLine('line').optional(),
    regexp: regexpArg.optional(),
    state: z.enum(['present', 'absent']).default('present'),
    insertafter: anchorArg.optional(),
    insertbefore: anchorArg.optional(),
    create: z.boolean().default(false),
    backrefs: z.boolean().default(false),
    firstMatch: z.boolean().default(false),
    ...fileEditFields,
  })
  .strict()
  .refine((a) => a.state === 'absent' || a.line !== undefined, { message: 'state present needs line', path: ['line'] })
  .refine((a) => a.state === 'present' || a.line !== undefined || a.regexp !== undefined, { message: 'state absent needs regexp or line', path: ['regexp'] })
  .refine((a) => a.insertafter === undefined || a.insertbefore === undefined, { message: 'give insertafter or insertbefore, not both', path: ['insertbefore'] })
  .refine((a) => !a.backrefs || a.regexp !== undefined, { message: 'backrefs needs regexp', path: ['backrefs'] });

export type LineinfileArgs = z.output<typeof lineinfileArgs>;

export const lineinfile = defineTextEdit({
  name: 'lineinfile',
  args: lineinfileArgs,
  describe: (a) => `lineinfile ${a.path}`,
  edit: (text, a) => editLineInFile(text, a),
});

/** The edit as a pure function: the file's text (null: missing) in, new text or a reason out. */
export function editLineInFile(text: string | null, a: Omit<LineinfileArgs, 'path' | 'mode' | 'owner' | 'group' | 'validate' | 'backup'> & { path?: string }): EditResult {
  const where = a.path ?? 'the file';
  if (a.state === 'absent') return text === null ? { noop: `${where} does not exist` } : removeLines(text, a.regexp, a.line);
  if (text === null && !a.create) return { error: `${where} does not exist (set create: true to create it)` };
  return presentLine(text ?? '', { ...a, line: a.line ?? '' }, text === null);
}

interface PresentOptions {
  line: string;
  regexp?: RegExp;
  insertafter?: Anchor;
  insertbefore?: Anchor;
  backrefs: boolean;
  firstMatch: boolean;
}

function presentLine(text: string, o: PresentOptions, creating: boolean): EditResult {
  const lines = splitLines(text);
  const found = o.regexp ? findMatch(lines, o.regexp, o.firstMatch) : undefined;
  if (found) {
    const wanted = o.backrefs ? expandMatch(o.line, found.match) : o.line;
    const current = lines[found.index]!;
    if (current.body === wanted) return { noop: `line ${found.index + 1} already reads as wanted` };
    current.body = wanted;
    return { text: joinLines(lines), summary: `replace line ${found.index + 1}` };
  }
  if (lines.some((l) => l.body === o.line)) return { noop: 'the line is already present' };
  if (o.backrefs) return { noop: 'regexp matches no line (with backrefs nothing is added)' };
  const at = insertionIndex(lines, o);
  const eol = fileEol(lines);
  if (at > 0) lines[at - 1]!.eol ||= eol;
  lines.splice(at, 0, { body: o.line, eol });
  const summary = creating ? 'create the file with the line' : at === lines.length - 1 ? 'add the line at the end' : `insert the line at line ${at + 1}`;
  return { text: joinLines(lines), summary };
}

function findMatch(lines: readonly Line[], re: RegExp, first: boolean): { index: number; match: RegExpExecArray } | undefined {
  let found: { index: number; match: RegExpExecArray } | undefined;
  for (let i = 0; i < lines.length; i++) {
    const match = re.exec(lines[i]!.body);
    if (!match) continue;
    found = { index: i, match };
    if (first) break;
  }
  return found;
}

/** Where a new line goes: after/before the last (or first) line matching the anchor, else at the end. */
function insertionIndex(lines: readonly Line[], o: PresentOptions): number {
  const anchor = o.insertafter ?? o.insertbefore;
  if (anchor === undefined || anchor === 'EOF') return lines.length;
  if (anchor === 'BOF') return 0;
  let hit = -1;
  for (let i = 0; i < lines.length; i++) {
    if (!anchor.test(lines[i]!.body)) continue;
    hit = i;
    if (o.firstMatch) break;
  }
  if (hit < 0) return lines.length;
  return o.insertafter !== undefined ? hit + 1 : hit;
}

function removeLines(text: string, regexp: RegExp | undefined, line: string | undefined): EditResult {
  const lines = splitLines(text);
  const matches = (l: Line) => (regexp ? regexp.test(l.body) : l.body === line);
  const kept = lines.filter((l) => !matches(l));
  const removed = lines.length - kept.length;
  if (removed === 0) return { noop: regexp ? 'no line matches regexp' : 'the line is not present' };
  return { text: joinLines(kept), summary: `remove ${removed} line${removed === 1 ? '' : 's'}` };
}
