/**
 * Table specifications for the pure edit functions of lineinfile, blockinfile and replace:
 * text and arguments in, new text (or the no-op reason, or the error) out.
 *
 *   specifyEdits(table, (text, a) => editLineInFile(text, args(a)), { converges: true });
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import type { EditResult } from '../../src/modules/template/text-file.ts';

export interface EditCase {
  name: string;
  text: string | null;
  args: Record<string, unknown>;
  want: string | { noop: RegExp } | { error: RegExp };
}

export function specifyEdits(table: readonly EditCase[], edit: (text: string | null, args: Record<string, unknown>) => EditResult, o: { converges?: boolean } = {}): void {
  for (const t of table) {
    it(t.name, () => {
      const r = edit(t.text, t.args);
      if (typeof t.want === 'string') assert.equal('text' in r ? r.text : JSON.stringify(r), t.want);
      else if ('noop' in t.want) assert.match('noop' in r ? r.noop : JSON.stringify(r), t.want.noop);
      else assert.match('error' in r ? r.error : JSON.stringify(r), t.want.error);
    });
  }
  if (!o.converges) return;
  it('converges: applying the result again changes nothing', () => {
    for (const t of table) {
      const r = edit(t.text, t.args);
      if ('text' in r) assert.ok('noop' in edit(r.text, t.args), `${t.name}: second pass changes again`);
    }
  });
}
