/**
 * blockinfile, as a specification: text in, text (or the reason nothing changes) out; then
 * facts in, plan out; then through the engine on real files.
 *
 *   node --import tsx --test test/modules/blockinfile.test.ts
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { definePlaybook } from '../../src/define/playbook.ts';
import type { PutSpec } from '../../src/define/plan.ts';
import { textFileValue, type FileContent } from '../../src/facts/content.ts';
import { blockinfile, blockinfileArgs, editBlockInFile } from '../../src/modules/blockinfile.ts';
import { HOSTILE, PWNED } from '../connectors/support/hostile.ts';
import { testInventory } from '../support/inventory.ts';
import { runWithFakes } from '../support/run.ts';
import { specifyEdits, type EditCase } from '../support/edit-table.ts';

const args = (a: Record<string, unknown>) => blockinfileArgs.parse({ path: '/etc/hosts', ...a });
const edit = (text: string | null, a: Record<string, unknown>) => editBlockInFile(text, args(a));
const plan = (a: Record<string, unknown>, content: FileContent) => blockinfile.definition.plan(args(a) as never, { content } as never);
const B = '# BEGIN MANAGED BLOCK\n';
const E = '# END MANAGED BLOCK\n';

describe('blockinfile: the block and its markers', () => {
  const table: EditCase[] = [
    { name: 'adds the block at the end', text: 'a\n', args: { block: 'x\ny\n' }, want: `a\n${B}x\ny\n${E}` },
    { name: 'ends the block with a newline', text: 'a\n', args: { block: 'x' }, want: `a\n${B}x\n${E}` },
    { name: 'ends a file without a final newline before the block', text: 'a', args: { block: 'x\n' }, want: `a\n${B}x\n${E}` },
    { name: 'leaves an identical block alone', text: `a\n${B}x\n${E}b\n`, args: { block: 'x\n' }, want: { noop: /already as wanted/ } },
    { name: 'replaces the block where it is', text: `a\n${B}old\n${E}b\n`, args: { block: 'new\n' }, want: `a\n${B}new\n${E}b\n` },
    { name: 'ends a block at the end of a file without newline', text: `${B}x\n# END MANAGED BLOCK`, args: { block: 'x\n' }, want: `${B}x\n${E}` },
    { name: 'inserts after the last line matching insertafter', text: 'a\nb\na\nc\n', args: { block: 'x', insertafter: '^a' }, want: `a\nb\na\n${B}x\n${E}c\n` },
    { name: 'inserts before the last line matching insertbefore', text: 'a\nb\nc\n', args: { block: 'x', insertbefore: '^b' }, want: `a\n${B}x\n${E}b\nc\n` },
    { name: 'inserts at the beginning with BOF', text: 'a\n', args: { block: 'x', insertbefore: 'BOF' }, want: `${B}x\n${E}a\n` },
    { name: 'adds at the end when the anchor matches nothing', text: 'a\n', args: { block: 'x', insertafter: '^z' }, want: `a\n${B}x\n${E}` },
    { name: 'keeps an existing block in place despite an anchor', text: `${B}x\n${E}a\n`, args: { block: 'y', insertafter: 'EOF' }, want: `${B}y\n${E}a\n` },
    { name: 'uses custom markers', text: '', args: { block: 'x', marker: '; {mark} app', markerBegin: 'start', markerEnd: 'stop' }, want: '; start app\nx\n; stop app\n' },
    { name: 'follows CRLF line endings', text: 'a\r\n', args: { block: 'x' }, want: `a\r\n# BEGIN MANAGED BLOCK\r\nx\r\n# END MANAGED BLOCK\r\n` },
    { name: 'finds CRLF markers', text: `# BEGIN MANAGED BLOCK\r\nx\r\n# END MANAGED BLOCK\r\n`, args: { block: 'x\r\n' }, want: { noop: /already as wanted/ } },
    { name: 'keeps \\r inside the block', text: '', args: { block: 'cr\r' }, want: `${B}cr\r\n${E}` },
    { name: 'fails on a missing file', text: null, args: { block: 'x' }, want: { error: /does not exist/ } },
    { name: 'creates the file with create', text: null, args: { block: 'x', create: true }, want: `${B}x\n${E}` },
    { name: 'refuses a begin marker without an end marker', text: `a\n${B}x\n`, args: { block: 'x' }, want: { error: /line 2 is the begin marker .* no end marker/ } },
    { name: 'refuses an end marker without a begin marker', text: `x\n${E}`, args: { block: 'x' }, want: { error: /line 2 is the end marker .* no begin marker/ } },
  ];
  specifyEdits(table, edit, { converges: true });
});

describe('blockinfile: removing the block', () => {
  it('removes the block and its markers', () => {
    assert.deepEqual(edit(`a\n${B}x\n${E}b\n`, { state: 'absent' }), { text: 'a\nb\n', summary: 'remove the block' });
  });
  it('removes it for an empty block with state present, as Ansible does', () => {
    assert.deepEqual(edit(`${B}x\n${E}`, { block: '' }), { text: '', summary: 'remove the block' });
  });
  it('gives the reason when there is nothing to remove', () => {
    assert.deepEqual(edit('a\n', { state: 'absent' }), { noop: 'no managed block to remove' });
    assert.deepEqual(edit(null, { state: 'absent' }), { noop: '/etc/hosts does not exist' });
  });
});

describe('blockinfile: arguments', () => {
  const bad: [string, Record<string, unknown>, RegExp][] = [
    ['a marker without {mark}', { marker: '# managed' }, /markers must differ/],
    ['a marker with a newline', { marker: '# {mark}\nx' }, /must be one line/],
    ['a block holding its own marker line', { block: `x\n${B}` }, /must not contain its own marker/],
    ['insertafter and insertbefore', { insertafter: 'a', insertbefore: 'b' }, /not both/],
    ['an unknown argument', { blocks: 'x' }, /blocks/],
  ];
  for (const [name, a, message] of bad) {
    it(`refuses ${name}`, () => {
      const r = blockinfileArgs.safeParse({ path: '/etc/x', ...a });
      assert.equal(r.success, false);
      assert.match(r.error!.issues.map((i) => i.message).join('; '), message);
    });
  }
});

describe('blockinfile: facts in, plan out', () => {
  const file = (text: string) => textFileValue(text, { mode: '0644', owner: 'root', group: 'root' });
  it('plans one atomic write with a diff', () => {
    const p = plan({ block: 'x', validate: 'sh -n %s' }, file('a\n'));
    assert.equal(p.changes[0]!.summary, 'insert the block');
    const spec = (p.changes[0]!.actions[0] as { file: PutSpec }).file;
    assert.equal(String(spec.content), `a\n${B}x\n${E}`);
    assert.equal(spec.validate, 'sh -n %s');
    assert.deepEqual(p.changes[0]!.diff, { path: '/etc/hosts', before: 'a\n', after: `a\n${B}x\n${E}` });
  });
  it('gives the no-op reason', () => {
    assert.deepEqual(plan({ block: 'x' }, file(`${B}x\n${E}`)), { changes: [], noop: 'the block is already as wanted' });
  });
  it('fails on a broken marker pair, in check mode too', () => {
    assert.match(plan({ block: 'x' }, file(B)).error ?? '', /\/etc\/hosts: line 1 is the begin marker/);
  });
});

describe('blockinfile through the engine, on real files', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'capstan-blockinfile-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const run = (steps: ReturnType<typeof blockinfile>[], check = false) =>
    runWithFakes(definePlaybook({ plays: [{ name: 'p', hosts: 'all', gatherFacts: false, steps }] }), testInventory({ all: ['h'] }), { check });

  it('puts every hostile string into a block byte for byte, and converges', async () => {
    const path = join(dir, 'hostile');
    writeFileSync(path, 'head\n');
    const block = `${HOSTILE.join('\n')}\n`;
    const steps = [blockinfile({ path, block, validate: 'grep -q head %s' })];
    assert.equal((await run(steps, true)).recap.hosts.h?.changed, 1);
    assert.equal(readFileSync(path, 'utf8'), 'head\n');
    const r = await run(steps);
    assert.equal(r.recap.hosts.h?.changed, 1, JSON.stringify(r.stepEvents('h').map((e) => e.result.msg)));
    assert.equal(readFileSync(path, 'utf8'), `head\n${B}${block}${E}`);
    assert.equal((await run(steps)).recap.hosts.h?.changed, 0);
    assert.equal((await run([blockinfile({ path, state: 'absent' })])).recap.hosts.h?.changed, 1);
    assert.equal(readFileSync(path, 'utf8'), 'head\n');
    assert.equal(existsSync(PWNED), false);
  });

  it('keeps the old file as a backup when asked', async () => {
    const sub = mkdtempSync(join(dir, 'backup-'));
    const path = join(sub, 'conf');
    writeFileSync(path, 'old\n');
    await run([blockinfile({ path, block: 'x', backup: true })]);
    const backups = readdirSync(sub).filter((f) => f.endsWith('.bak'));
    assert.equal(backups.length, 1);
    assert.equal(readFileSync(join(sub, backups[0]!), 'utf8'), 'old\n');
    assert.equal(readFileSync(path, 'utf8'), `old\n${B}x\n${E}`);
  });

  it('a failing validate leaves the old file', async () => {
    const path = join(dir, 'validated');
    writeFileSync(path, 'keep\n');
    const r = await run([blockinfile({ path, block: 'x', validate: 'false %s' })]);
    assert.equal(r.recap.hosts.h?.failed, 1);
    assert.equal(readFileSync(path, 'utf8'), 'keep\n');
  });
});
