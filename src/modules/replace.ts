/**
 * `replace`: every match of a regular expression in a file replaced, as Ansible's module does.
 *
 *   replace({ path: '/etc/hosts', regexp: '(\\s+)old\\.example\\.com(\\s+.*)?$', replace: '$1new.example.com$2' })
 *   replace({ path: '/etc/apache2/ports.conf', regexp: '^Listen 80$', replace: 'Listen 8080', after: '<IfModule' })
 *   replace({ path: '/etc/app.conf', regexp: /^debug\s*=.*$/, replace: 'debug = false', before: '^\\[logging\\]' })
 *
 * Expressions are JavaScript's, with the `m` flag (`^` and `$` match at every line) and `g`.
 * `replace` uses String.prototype.replace's `$1`, `$<name>`, `$&`, `$$`. `after` limits the
 * edit to the text after the first match of `after`; `before` to the text before the last
 * match of `before` (with `after`: before the first match that follows). A `replace` that
 * still matches `regexp` is fine: a second run finds nothing different to write.
 */
import { z } from 'zod';
import { fileEditFields, remotePath } from './args.ts';
import { regexpArg, withFlags } from './template/lines.ts';
import { defineTextEdit, type EditResult } from './template/text-file.ts';

export const replaceArgs = z
  .object({
    path: remotePath,
    regexp: regexpArg,
    replace: z.string().default(''),
    after: regexpArg.optional(),
    before: regexpArg.optional(),
    ...fileEditFields,
  })
  .strict();

export type ReplaceArgs = z.output<typeof replaceArgs>;

export const replace = defineTextEdit({
  name: 'replace',
  args: replaceArgs,
  describe: (a) => `replace in ${a.path}`,
  edit: (text, a) => editReplace(text, a),
});

/** The edit as a pure function: the file's text (null: missing) in, new text or a reason out. */
export function editReplace(text: string | null, a: Pick<ReplaceArgs, 'regexp' | 'replace' | 'after' | 'before'> & { path?: string }): EditResult {
  if (text === null) return { error: `${a.path ?? 'the file'} does not exist` };
  const range = section(text, a.after, a.before);
  if ('noop' in range) return range;
  const part = text.slice(range.start, range.end);
  const re = withFlags(a.regexp, 'gm');
  const count = [...part.matchAll(re)].length;
  if (count === 0) return { noop: 'regexp matches nothing' };
  const replaced = part.replace(re, a.replace);
  if (replaced === part) return { noop: `the ${count} match${count === 1 ? '' : 'es'} already read${count === 1 ? 's' : ''} as wanted` };
  return { text: text.slice(0, range.start) + replaced + text.slice(range.end), summary: `${count} replacement${count === 1 ? '' : 's'}` };
}

/** The part of the text the replacement applies to. */
function section(text: string, after?: RegExp, before?: RegExp): { start: number; end: number } | { noop: string } {
  let start = 0;
  let end = text.length;
  if (after) {
    const m = withFlags(after, 'm').exec(text);
    if (!m) return { noop: 'the after pattern matches nothing' };
    start = m.index + m[0].length;
  }
  if (before) {
    const matches = [...text.matchAll(withFlags(before, 'gm'))].filter((m) => m.index >= start);
    const m = after ? matches[0] : matches.at(-1);
    if (!m) return { noop: after ? 'the before pattern matches nothing after the after pattern' : 'the before pattern matches nothing' };
    end = m.index;
  }
  return { start, end };
}
