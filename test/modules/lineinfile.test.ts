/**
 * lineinfile, as a specification: text in, text (or the reason nothing changes) out; then
 * facts in, plan out; then through the engine on real files with hostile lines and paths.
 *
 *   node --import tsx --test test/modules/lineinfile.test.ts
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { definePlaybook } from '../../src/define/playbook.ts';
import type { PutSpec } from '../../src/define/plan.ts';
import { textFileValue, type FileContent } from '../../src/facts/content.ts';
import { quote } from '../../src/commands/quote.ts';
import { shell } from '../../src/modules/command.ts';
import { copy } from '../../src/modules/copy.ts';
import { editLineInFile, lineinfile, lineinfileArgs } from '../../src/modules/lineinfile.ts';
import { HOSTILE, HOSTILE_FILE_NAMES, PWNED } from '../connectors/support/hostile.ts';
import { testInventory } from '../support/inventory.ts';
import { runWithFakes } from '../support/run.ts';
import { specifyEdits, type EditCase } from '../support/edit-table.ts';

const args = (a: Record<string, unknown>) => lineinfileArgs.parse({ path: '/etc/app.conf', ...a });
const edit = (text: string | null, a: Record<string, unknown>) => editLineInFile(text, args(a));
const plan = (a: Record<string, unknown>, content: FileContent) => lineinfile.definition.plan(args(a) as never, { content } as never);
const file = (text: string, mode = '0644') => textFileValue(text, { mode, owner: 'root', group: 'root' });

describe('lineinfile: state present', () => {
  const table: EditCase[] = [
    { name: 'adds a missing line at the end', text: 'a\nb\n', args: { line: 'c' }, want: 'a\nb\nc\n' },
    { name: 'ends a file without a final newline before adding', text: 'a\nb', args: { line: 'c' }, want: 'a\nb\nc\n' },
    { name: 'adds to an empty file', text: '', args: { line: 'c' }, want: 'c\n' },
    { name: 'leaves a present line (and its duplicates) alone', text: 'c\na\nc\n', args: { line: 'c' }, want: { noop: /already present/ } },
    { name: 'replaces the last line matching regexp', text: 'p=1\nx\np=2\n', args: { regexp: '^p=', line: 'p=3' }, want: 'p=1\nx\np=3\n' },
    { name: 'replaces the first with firstMatch', text: 'p=1\nx\np=2\n', args: { regexp: '^p=', line: 'p=3', firstMatch: true }, want: 'p=3\nx\np=2\n' },
    { name: 'says which line already reads as wanted', text: 'x\np=3\n', args: { regexp: '^p=', line: 'p=3' }, want: { noop: /line 2 already reads as wanted/ } },
    { name: 'keeps a missing final newline when replacing the last line', text: 'a\np=1', args: { regexp: '^p=', line: 'p=2' }, want: 'a\np=2' },
    { name: 'adds when regexp matches nothing', text: 'a\n', args: { regexp: '^p=', line: 'p=2' }, want: 'a\np=2\n' },
    { name: 'accepts a RegExp value', text: 'P=1\n', args: { regexp: /^p=/i, line: 'p=2' }, want: 'p=2\n' },
    { name: 'matches $ at the end of a CRLF line', text: 'p=1\r\nq\r\n', args: { regexp: '^p=1$', line: 'p=2' }, want: 'p=2\r\nq\r\n' },
    { name: 'adds CRLF lines to a CRLF file', text: 'a\r\nb\r\n', args: { line: 'c' }, want: 'a\r\nb\r\nc\r\n' },
    { name: 'inserts after the last line matching insertafter', text: 'a\nb\na\nc\n', args: { line: 'X', insertafter: '^a' }, want: 'a\nb\na\nX\nc\n' },
    { name: 'inserts after the first with firstMatch', text: 'a\nb\na\nc\n', args: { line: 'X', insertafter: '^a', firstMatch: true }, want: 'a\nX\nb\na\nc\n' },
    { name: 'inserts before the last line matching insertbefore', text: 'a\nb\nc\n', args: { line: 'X', insertbefore: '^[bc]' }, want: 'a\nb\nX\nc\n' },
    { name: 'inserts at the beginning with BOF', text: 'a\n', args: { line: 'X', insertbefore: 'BOF' }, want: 'X\na\n' },
    { name: 'inserts at the end with insertafter EOF', text: 'a', args: { line: 'X', insertafter: 'EOF' }, want: 'a\nX\n' },
    { name: 'adds at the end when insertafter matches nothing', text: 'a\n', args: { line: 'X', insertafter: '^zzz' }, want: 'a\nX\n' },
    { name: 'ignores insertafter when regexp matches', text: 'a\np=1\n', args: { line: 'p=2', regexp: '^p=', insertafter: 'BOF' }, want: 'a\np=2\n' },
    { name: 'expands backrefs', text: '  port = 80\n', args: { regexp: '^(\\s*)port\\s*=.*$', line: '$1port = 8080', backrefs: true }, want: '  port = 8080\n' },
    { name: 'is idempotent with backrefs', text: '  port = 8080\n', args: { regexp: '^(\\s*)port\\s*=.*$', line: '$1port = 8080', backrefs: true }, want: { noop: /already reads as wanted/ } },
    { name: 'expands named groups and $$', text: 'k: v\n', args: { regexp: '^(?<key>\\w+): (?<val>.*)$', line: '$<key>=$<val> $$1', backrefs: true }, want: 'k=v $1\n' },
    { name: 'reads $10 as $1 then 0 without a tenth group', text: 'a\n', args: { regexp: '^(a)$', line: '$10 $2 $<x>', backrefs: true }, want: 'a0 $2 $<x>\n' },
    { name: 'adds nothing with backrefs when regexp matches nothing', text: 'a\n', args: { regexp: '^p=(.*)', line: 'p=$1', backrefs: true }, want: { noop: /with backrefs nothing is added/ } },
    { name: 'fails on a missing file', text: null, args: { line: 'c' }, want: { error: /does not exist \(set create: true/ } },
    { name: 'creates a missing file with create', text: null, args: { line: 'c', create: true }, want: 'c\n' },
    { name: 'keeps $ and backslashes literal without backrefs', text: '', args: { line: 'a=$1 \\n' }, want: 'a=$1 \\n\n' },
  ];
  specifyEdits(table, edit, { converges: true });
});

describe('lineinfile: state absent', () => {
  const table: EditCase[] = [
    { name: 'removes every copy of the line', text: 'a\nc\nb\nc\n', args: { line: 'c' }, want: 'a\nb\n' },
    { name: 'removes every line matching regexp', text: '#x\ny\n#z', args: { regexp: '^#' }, want: 'y\n' },
    { name: 'removes a last line without newline', text: 'a\nb', args: { line: 'b' }, want: 'a\n' },
    { name: 'does nothing when no line matches', text: 'a\n', args: { regexp: '^b' }, want: { noop: /no line matches/ } },
    { name: 'does nothing when the line is absent', text: 'a\n', args: { line: 'b' }, want: { noop: /not present/ } },
    { name: 'does nothing for a missing file', text: null, args: { line: 'b' }, want: { noop: /does not exist/ } },
  ];
  specifyEdits(table, (text, a) => edit(text, { state: 'absent', ...a }));
});

describe('lineinfile: arguments', () => {
  const bad: [string, Record<string, unknown>, RegExp][] = [
    ['a line with a newline', { line: 'line1\nline2' }, /must be one line/],
    ['a line with a carriage return', { line: 'cr\r' }, /must be one line/],
    ['present without line', { regexp: 'x' }, /state present needs line/],
    ['absent without regexp or line', { state: 'absent' }, /needs regexp or line/],
    ['insertafter and insertbefore', { line: 'x', insertafter: 'a', insertbefore: 'b' }, /not both/],
    ['backrefs without regexp', { line: 'x', backrefs: true }, /backrefs needs regexp/],
    ['a broken regexp', { line: 'x', regexp: '(' }, /not a valid regular expression/],
    ['an unknown argument', { line: 'x', lines: 'y' }, /lines/],
    ['a relative path', { line: 'x', path: 'etc/x' }, /absolute/],
    ['a NUL in the path', { line: 'x', path: '/etc/a\0b' }, /NUL/],
    ['a numeric mode', { line: 'x', mode: 644 }, /octal/],
  ];
  for (const [name, a, message] of bad) {
    it(`refuses ${name}`, () => {
      const r = lineinfileArgs.safeParse({ path: '/etc/x', ...a });
      assert.equal(r.success, false);
      assert.match(r.error!.issues.map((i) => i.message).join('; '), message);
    });
  }
});

describe('lineinfile: facts in, plan out', () => {
  it('fails when the file is missing, and when it cannot be read', () => {
    assert.match(plan({ line: 'x' }, { exists: false }).error ?? '', /does not exist/);
    assert.match(plan({ line: 'x' }, { exists: true, readable: false, reason: 'is larger than 4 MiB (5 bytes)' }).error ?? '', /\/etc\/app.conf is larger than 4 MiB/);
  });

  it('gives the no-op reason when the line is there', () => {
    assert.deepEqual(plan({ line: 'x' }, file('x\n')), { changes: [], noop: 'the line is already present' });
  });

  it('writes atomically, keeping the file mode, with a before/after diff', () => {
    const p = plan({ line: 'x', validate: 'grep -q x %s', backup: true }, file('a\n', '0600'));
    assert.equal(p.changes.length, 1);
    const c = p.changes[0]!;
    assert.equal(c.summary, 'add the line at the end');
    const action = c.actions[0]!;
    assert.equal(action.kind, 'put');
    const spec = (action as { file: PutSpec }).file;
    assert.deepEqual({ ...spec, content: String(spec.content) }, { dest: '/etc/app.conf', content: 'a\nx\n', mode: '0600', validate: 'grep -q x %s', backup: true });
    assert.deepEqual(c.diff, { path: '/etc/app.conf', before: 'a\n', after: 'a\nx\n' });
  });

  it('creates a new file 0644 unless told otherwise, and its missing parent directories', () => {
    const put = (p: ReturnType<typeof plan>) => (p.changes[0]!.actions.find((x) => x.kind === 'put') as { file: PutSpec }).file;
    const created = plan({ line: 'x', create: true }, { exists: false });
    assert.deepEqual(created.changes[0]!.actions[0], { kind: 'exec', command: { script: 'mkdir -p -- /etc' } });
    assert.equal(put(plan({ line: 'x', create: true }, { exists: false })).mode, '0644');
    assert.equal(put(plan({ line: 'x', create: true, mode: '0640', owner: 'app' }, { exists: false })).owner, 'app');
  });

  it('corrects the mode and owner of a file whose content is right', () => {
    const p = plan({ line: 'x', mode: '0600', owner: 'app' }, file('x\n'));
    assert.deepEqual(p.changes.map((c) => c.summary), ['mode 0644 -> 0600', 'owner root:root -> app']);
  });

  it('edits the target of a symbolic link, not the link', () => {
    const p = plan({ line: 'x' }, { ...file('a\n'), realPath: '/srv/real.conf' });
    assert.equal((p.changes[0]!.actions[0] as { file: PutSpec }).file.dest, '/srv/real.conf');
  });

  it('cannot predict an edit of a file an earlier step changes without predicting its content', () => {
    const st = { type: 'file', mode: '0644', owner: 'root', group: 'root', size: 9, sha256: 'predicted-by-copy' };
    const p = lineinfile.definition.plan(args({ line: 'x' }) as never, { content: file('a\n'), st } as never);
    assert.match(p.changes[0]?.unpredictable ?? '', /earlier step changes \/etc\/app.conf/);
    assert.deepEqual(p.changes[0]?.actions, []);
    const created = lineinfile.definition.plan(args({ line: 'x' }) as never, { content: { exists: false }, st } as never);
    assert.ok(created.changes[0]?.unpredictable);
  });

  it('predicts the new content and stat for later steps under --check', () => {
    const predicted = lineinfile.definition.predicts!(args({ line: 'x' }) as never, { content: file('a\n', '0600') } as never);
    assert.deepEqual(predicted.map((p) => p.fact.name), ['file.content', 'file.stat', 'file.sha256']);
    assert.equal(predicted[2]!.value, (predicted[0]!.value as { sha256: string }).sha256, 'the hash a later copy compares is the new content\'s');
    assert.deepEqual(predicted[0]!.value, textFileValue('a\nx\n', { mode: '0600', owner: 'root', group: 'root' }));
  });
});

describe('lineinfile through the engine, on real files', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'capstan-lineinfile-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const run = (steps: ReturnType<typeof lineinfile>[], check = false) =>
    runWithFakes(definePlaybook({ plays: [{ name: 'p', hosts: 'all', gatherFacts: false, steps }] }), testInventory({ all: ['h'] }), { check });

  it('check changes nothing, apply converges, a second apply and check change nothing', async () => {
    const path = join(dir, 'sshd_config');
    writeFileSync(path, '#PasswordAuthentication yes\nPort 22', { mode: 0o600 });
    const steps = [
      lineinfile({ path, regexp: '^#?PasswordAuthentication ', line: 'PasswordAuthentication no' }),
      lineinfile({ path, line: 'AllowUsers ops', insertafter: '^Port ' }),
    ];
    const check = await run(steps, true);
    assert.equal(check.recap.hosts.h?.changed, 2);
    assert.equal(readFileSync(path, 'utf8'), '#PasswordAuthentication yes\nPort 22');
    assert.equal((await run(steps)).recap.hosts.h?.changed, 2);
    assert.equal(readFileSync(path, 'utf8'), 'PasswordAuthentication no\nPort 22\nAllowUsers ops\n');
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal((await run(steps)).recap.hosts.h?.changed, 0);
    assert.equal((await run(steps, true)).recap.hosts.h?.changed, 0);
  });

  it('a later step in check mode sees the file an earlier step would create', async () => {
    const path = join(dir, 'created.conf');
    const steps = [lineinfile({ path, line: 'a', create: true }), lineinfile({ path, line: 'b' })];
    const check = await run(steps, true);
    assert.deepEqual(check.stepEvents('h').map((e) => e.result.status), ['changed', 'changed']);
    assert.equal(existsSync(path), false);
  });

  it('after a copy or a command that writes the file, check says it cannot predict instead of failing', async () => {
    const path = join(dir, 'seeded');
    const steps = [
      copy({ dest: path, content: 'a\n' }),
      shell({ script: `printf 'b\\n' >> ${quote(path)}`, creates: `${path}.never` }),
      lineinfile({ path, line: 'c' }),
    ] as ReturnType<typeof lineinfile>[];
    const check = await run(steps, true);
    assert.equal(check.recap.exitCode, 0);
    assert.ok(check.stepEvents('h')[2]?.result.uncertain, JSON.stringify(check.stepEvents('h')[2]?.result));
    assert.equal(existsSync(path), false);
  });

  it('creates missing parent directories with the file', async () => {
    const path = join(dir, 'new dir', 'sub', 'conf');
    assert.equal((await run([lineinfile({ path, line: 'a', create: true })])).recap.hosts.h?.changed, 1);
    assert.equal(readFileSync(path, 'utf8'), 'a\n');
  });

  it('writes through a symbolic link, which stays a link', async () => {
    writeFileSync(join(dir, 'real'), 'a\n');
    symlinkSync(join(dir, 'real'), join(dir, 'link'));
    await run([lineinfile({ path: join(dir, 'link'), line: 'b' })]);
    assert.equal(readFileSync(join(dir, 'real'), 'utf8'), 'a\nb\n');
    assert.ok(statSync(join(dir, 'link')) && readFileSync(join(dir, 'link'), 'utf8') === 'a\nb\n');
  });

  it('puts hostile lines into hostile paths byte for byte', async () => {
    const lines = HOSTILE.filter((s) => !/[\r\n]/.test(s));
    const paths = lines.map((_, i) => join(dir, `${HOSTILE_FILE_NAMES[i % HOSTILE_FILE_NAMES.length]!}.${i}`));
    const steps = lines.map((line, i) => lineinfile({ path: paths[i]!, line, create: true }));
    const r = await run(steps);
    assert.equal(r.recap.hosts.h?.failed, 0, JSON.stringify(r.stepEvents('h').map((e) => e.result.msg)));
    lines.forEach((line, i) => assert.equal(readFileSync(paths[i]!, 'utf8'), `${line}\n`));
    assert.equal((await run(steps)).recap.hosts.h?.changed, 0);
    assert.equal(existsSync(PWNED), false);
  });
});
