/**
 * `file` on real trees through the engine (fake connector, temp directories): recursive
 * settings reach every child and converge, hard links are checked by inode, and mode or
 * owner steps never read content.
 *
 *   node --import tsx --test test/modules/file-run.test.ts
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { linkSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { definePlaybook } from '../../src/define/playbook.ts';
import { file } from '../../src/modules/file.ts';
import { copy } from '../../src/modules/copy.ts';
import { testInventory } from '../support/inventory.ts';
import { runWithFakes } from '../support/run.ts';
import { hostPrograms, type HostPrograms } from '../support/host-programs.ts';

let dir: string;
before(() => (dir = mkdtempSync(join(tmpdir(), 'capstan-file-run-'))));
after(() => rmSync(dir, { recursive: true, force: true }));

const play = (steps: ReturnType<typeof file>[]) => definePlaybook({ plays: [{ name: 'files', hosts: 'all', gatherFacts: false, steps }] });
const statuses = async (steps: ReturnType<typeof file>[], check = false) =>
  (await runWithFakes(play(steps), testInventory({ all: ['h'] }), { check })).stepEvents('h').map((e) => e.result.status);
const modeOf = (p: string) => (statSync(p).mode & 0o7777).toString(8).padStart(4, '0');

describe('file recursive: the whole tree converges', () => {
  it('a child with the wrong mode under a top that matches: check says changed, apply fixes it, then ok', async () => {
    const top = join(dir, 'tree');
    mkdirSync(join(top, 'sub'), { recursive: true });
    writeFileSync(join(top, 'sub', 'data'), 'x');
    chmodSync(join(top, 'sub', 'data'), 0o600);
    chmodSync(join(top, 'sub'), 0o750);
    chmodSync(top, 0o750);
    const step = file({ path: top, state: 'directory', mode: '0750', recursive: true });
    assert.deepEqual(await statuses([step], true), ['changed'], 'check predicts the change below the top');
    assert.equal(modeOf(join(top, 'sub', 'data')), '0600', 'check touched nothing');
    assert.deepEqual(await statuses([step]), ['changed']);
    assert.equal(modeOf(join(top, 'sub', 'data')), '0750');
    assert.deepEqual(await statuses([step]), ['ok'], 'a second apply changes nothing');
    assert.deepEqual(await statuses([step], true), ['ok'], 'check on the converged tree predicts nothing');
  });

  it('a later step sees the tree the recursive step would leave (check mode)', async () => {
    const top = join(dir, 'tree2');
    mkdirSync(top, { mode: 0o700 });
    writeFileSync(join(top, 'f'), 'x', { mode: 0o644 });
    const step = () => file({ path: top, state: 'directory', mode: '0700', recursive: true });
    assert.deepEqual(await statuses([step(), step()], true), ['changed', 'ok']);
  });

  it('links below keep their own mode and do not count as differing', async () => {
    const top = join(dir, 'tree3');
    mkdirSync(top, { mode: 0o755 });
    writeFileSync(join(top, 'f'), 'x', { mode: 0o755 });
    const { symlinkSync } = await import('node:fs');
    symlinkSync('f', join(top, 'link'));
    chmodSync(top, 0o755);
    chmodSync(join(top, 'f'), 0o755);
    assert.deepEqual(await statuses([file({ path: top, state: 'directory', mode: '0755', recursive: true })]), ['ok']);
  });
});

describe('file hard: the same inode as src, not any file', () => {
  it('replaces another file at path with the link, then is ok', async () => {
    const src = join(dir, 'k3s');
    const dest = join(dir, 'kubectl');
    writeFileSync(src, 'binary');
    writeFileSync(dest, 'another file');
    const step = file({ path: dest, state: 'hard', src });
    assert.deepEqual(await statuses([step], true), ['changed']);
    assert.deepEqual(await statuses([step]), ['changed']);
    assert.equal(statSync(dest).ino, statSync(src).ino);
    assert.deepEqual(await statuses([step]), ['ok']);
  });

  it('an existing link to src is ok at once', async () => {
    const src = join(dir, 'a');
    writeFileSync(src, 'a');
    linkSync(src, join(dir, 'b'));
    assert.deepEqual(await statuses([file({ path: join(dir, 'b'), state: 'hard', src })]), ['ok']);
  });
});

describe('programs a play starts on the host', () => {
  let bin: HostPrograms;
  before(() => (bin = hostPrograms({ counted: ['sha256sum', 'stat'] })));
  after(() => bin.remove());

  it('mode and owner steps start no sha256sum; a content step starts one for all its files', async () => {
    const paths = ['m1', 'm2', 'm3'].map((n) => join(dir, n));
    for (const p of paths) mkdirSync(p, { mode: 0o700 });
    const files = ['f1', 'f2'].map((n) => join(dir, n));
    for (const f of files) writeFileSync(f, 'content\n', { mode: 0o644 });
    const modes = definePlaybook({ plays: [{ name: 'modes', hosts: 'all', gatherFacts: false, steps: [
      ...paths.map((p) => file({ path: p, state: 'directory', mode: '0750' })),
      ...files.map((f) => file({ path: f, state: 'file', mode: '0600' })),
      file({ path: join(dir, 'm1'), state: 'directory', mode: '0750', recursive: true }),
      file({ path: join(dir, 'touched'), state: 'touch', mode: '0600' }),
    ] }] });
    const r = await runWithFakes(modes, testInventory({ all: ['h'] }), { behaviour: { h: { path: bin.path } } });
    assert.deepEqual(r.stepEvents('h').map((e) => e.result.status), ['changed', 'changed', 'changed', 'changed', 'changed', 'ok', 'changed']);
    assert.equal(bin.started('sha256sum'), 0, 'no content was hashed');
    assert.ok(bin.started('stat') >= 1, 'the counter works: stat was started');
    const content = definePlaybook({ plays: [{ name: 'content', hosts: 'all', gatherFacts: false, steps: [
      copy({ dest: join(dir, 'c1'), content: 'one\n' }), copy({ dest: join(dir, 'c2'), content: 'two\n' }),
    ] }] });
    writeFileSync(join(dir, 'c1'), 'one\n');
    writeFileSync(join(dir, 'c2'), 'two\n');
    const c = await runWithFakes(content, testInventory({ all: ['h'] }), { behaviour: { h: { path: bin.path } } });
    assert.deepEqual(c.stepEvents('h').map((e) => e.result.status), ['ok', 'ok']);
    assert.equal(bin.started('sha256sum'), 1, 'one sha256sum for both files, in the first batch');
  });
});
