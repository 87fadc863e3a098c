/**
 * replace, as a specification: text in, text (or the reason nothing changes) out; then facts
 * in, plan out; then through the engine on a real file.
 *
 *   node --import tsx --test test/modules/replace.test.ts
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { definePlaybook } from '../../src/define/playbook.ts';
import { textFileValue, type FileContent } from '../../src/facts/content.ts';
import { editReplace, replace, replaceArgs } from '../../src/modules/replace.ts';
import { HOSTILE, PWNED } from '../connectors/support/hostile.ts';
import { testInventory } from '../support/inventory.ts';
import { runWithFakes } from '../support/run.ts';
import { specifyEdits, type EditCase } from '../support/edit-table.ts';

const args = (a: Record<string, unknown>) => replaceArgs.parse({ path: '/etc/app.conf', ...a });
const edit = (text: string | null, a: Record<string, unknown>) => editReplace(text, args(a));
const plan = (a: Record<string, unknown>, content: FileContent) => replace.definition.plan(args(a) as never, { content } as never);

describe('replace: regexp across the file', () => {
  const table: EditCase[] = [
    { name: 'replaces every match', text: 'a=1\nb=1\na=2\n', args: { regexp: '^a=\\d', replace: 'a=9' }, want: 'a=9\nb=1\na=9\n' },
    { name: 'anchors ^ and $ at every line', text: 'x y\ny x\n', args: { regexp: 'x$', replace: 'z' }, want: 'x y\ny z\n' },
    { name: 'anchors $ before CRLF', text: 'a=1\r\nb\r\n', args: { regexp: '^a=.*$', replace: 'a=2' }, want: 'a=2\r\nb\r\n' },
    { name: 'expands $1 and $<name>', text: 'host old.example.com\n', args: { regexp: '(?<h>\\w+)\\.example\\.com', replace: '$<h>-new.example.com ($1)' }, want: 'host old-new.example.com (old)\n' },
    { name: 'deletes with an empty replacement', text: 'a # c\n', args: { regexp: '\\s*#.*$' }, want: 'a\n' },
    { name: 'keeps a missing final newline', text: 'a=1', args: { regexp: '1', replace: '2' }, want: 'a=2' },
    { name: 'spans lines with [\\s\\S]', text: 'a\nb\nc\n', args: { regexp: 'a\\nb', replace: 'ab' }, want: 'ab\nc\n' },
    { name: 'is a no-op when nothing matches', text: 'a\n', args: { regexp: 'z' }, want: { noop: /matches nothing/ } },
    { name: 'is a no-op when the matches already read as wanted', text: 'a=2\n', args: { regexp: '^a=.*$', replace: 'a=2' }, want: { noop: /1 match already reads as wanted/ } },
    { name: 'only after the first match of after', text: 'x=1\n[s]\nx=1\n[t]\nx=1\n', args: { regexp: 'x=1', replace: 'x=2', after: '^\\[s\\]' }, want: 'x=1\n[s]\nx=2\n[t]\nx=2\n' },
    { name: 'only before the last match of before', text: 'x=1\n[s]\nx=1\n[t]\nx=1\n', args: { regexp: 'x=1', replace: 'x=2', before: '^\\[t\\]' }, want: 'x=2\n[s]\nx=2\n[t]\nx=1\n' },
    { name: 'only between after and the next before', text: 'x=1\n[s]\nx=1\n[t]\nx=1\n[t]\n', args: { regexp: 'x=1', replace: 'x=2', after: '\\[s\\]', before: '\\[t\\]' }, want: 'x=1\n[s]\nx=2\n[t]\nx=1\n[t]\n' },
    { name: 'is a no-op when after matches nothing', text: 'x=1\n', args: { regexp: 'x', after: '^\\[z\\]' }, want: { noop: /after pattern matches nothing/ } },
    { name: 'is a no-op when before matches nothing', text: 'x=1\n', args: { regexp: 'x', before: '^\\[z\\]' }, want: { noop: /before pattern matches nothing/ } },
    { name: 'fails on a missing file', text: null, args: { regexp: 'x' }, want: { error: /does not exist/ } },
    { name: 'honours the flags of a RegExp value', text: 'A=1\n', args: { regexp: /^a=1$/i, replace: 'a=2' }, want: 'a=2\n' },
  ];
  specifyEdits(table, edit);

  it('refuses a broken regexp and unknown arguments', () => {
    assert.equal(replaceArgs.safeParse({ path: '/x', regexp: '[' }).success, false);
    assert.equal(replaceArgs.safeParse({ path: '/x', regexp: 'a', with: 'b' }).success, false);
  });
});

describe('replace: facts in, plan out', () => {
  const file = (text: string) => textFileValue(text, { mode: '0640', owner: 'root', group: 'adm' });
  it('plans a write that counts the replacements', () => {
    const p = plan({ regexp: 'a', replace: 'b' }, file('a a\n'));
    assert.equal(p.changes[0]!.summary, '2 replacements');
    assert.deepEqual(p.changes[0]!.diff, { path: '/etc/app.conf', before: 'a a\n', after: 'b b\n' });
  });
  it('gives the no-op reason', () => {
    assert.deepEqual(plan({ regexp: 'z' }, file('a\n')), { changes: [], noop: 'regexp matches nothing' });
  });
  it('fails when the file is missing', () => {
    assert.deepEqual(plan({ regexp: 'z' }, { exists: false }), { changes: [], error: '/etc/app.conf does not exist' });
  });
});

describe('replace through the engine, on a real file', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'capstan-replace-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const run = (steps: ReturnType<typeof replace>[], check = false) =>
    runWithFakes(definePlaybook({ plays: [{ name: 'p', hosts: 'all', gatherFacts: false, steps }] }), testInventory({ all: ['h'] }), { check });

  it('replaces hostile text with hostile text byte for byte, then converges', async () => {
    const path = join(dir, 'hostile');
    const original = HOSTILE.map((s, i) => `k${i}=${s}`).join('\n');
    writeFileSync(path, original);
    const wanted = HOSTILE.map((s, i) => `k${i}=${s}`.replace(/^k(\d+)=/m, 'v$1=')).join('\n');
    const steps = [replace({ path, regexp: '^k(\\d+)=', replace: 'v$1=' })];
    assert.equal((await run(steps, true)).recap.hosts.h?.changed, 1);
    assert.equal(readFileSync(path, 'utf8'), original);
    assert.equal((await run(steps)).recap.hosts.h?.changed, 1);
    assert.equal(readFileSync(path, 'utf8'), wanted);
    assert.equal((await run(steps)).recap.hosts.h?.changed, 0);
    assert.equal((await run(steps, true)).recap.hosts.h?.changed, 0);
    assert.equal(existsSync(PWNED), false);
  });
});
