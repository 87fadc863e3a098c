/**
 * Many file facts gathered together: one `stat` and one `sha256sum` for all the paths of a
 * batch, read exactly as each path's own probe would have read it.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalConnector } from '../../src/connectors/local.ts';
import { HostSession } from '../../src/engine/session.ts';
import { combinedStatScript, fileStat, splitCombinedStat } from '../../src/facts/file.ts';
import type { ExecRequest } from '../../src/connectors/connector.ts';
import { copy, definePlaybook } from '../../src/index.ts';
import { testInventory } from '../support/inventory.ts';
import { runWithFakes } from '../support/run.ts';

const dir = mkdtempSync(join(tmpdir(), 'capstan-stat-'));
after(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(join(dir, 'plain.txt'), 'hello\n');
writeFileSync(join(dir, 'empty'), '');
writeFileSync(join(dir, "it's a $HOME `x` file|with pipe"), 'odd name\n');
writeFileSync(join(dir, 'line \u2028 separator'), 'odd name\n');
chmodSync(join(dir, 'empty'), 0o640);
mkdirSync(join(dir, 'sub'), { mode: 0o750 });
symlinkSync('plain.txt', join(dir, 'link'));
symlinkSync('/nowhere/at/all', join(dir, 'dangling'));
execFileSync('mkfifo', [join(dir, 'fifo')]);
const paths = ['plain.txt', 'empty', "it's a $HOME `x` file|with pipe", 'line \u2028 separator', 'sub', 'link', 'dangling', 'fifo', 'missing', 'sub/missing/deeper'].map((p) => join(dir, p));

function session(scripts: string[]): HostSession {
  const c = new LocalConnector({ name: 'localhost' });
  const exec = c.exec.bind(c);
  c.exec = (r: ExecRequest) => {
    scripts.push(r.script);
    return exec(r);
  };
  return new HostSession('localhost', c, { runId: 'test', noLock: true });
}

describe('file facts gathered together', () => {
  it('read the same values as one probe per path: files, odd names, directories, links, dangling links, fifos, missing paths', async () => {
    const alone = [];
    for (const p of paths) {
      const s = session([]);
      await s.gather([fileStat(p)], undefined);
      alone.push((s.facts.lookup(fileStat(p)) as { value: unknown }).value);
      await s.close();
    }
    const scripts: string[] = [];
    const s = session(scripts);
    await s.gather(paths.map((p) => fileStat(p)), undefined);
    const together = paths.map((p) => (s.facts.lookup(fileStat(p)) as { value: unknown }).value);
    await s.close();
    assert.deepEqual(together, alone);
    assert.equal((together[0] as { sha256: string }).sha256, '5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03');
    assert.equal((together[5] as { target: string }).target, 'plain.txt');
    assert.equal(together[8], null);
    const batch = scripts[0] ?? '';
    assert.equal(batch.match(/stat -c/g)?.length, 1, 'one stat for all the paths');
    assert.equal(batch.match(/sha256sum/g)?.length, 1, 'one sha256sum for all the files');
  });

  it('a path with a newline, a carriage return or a backslash is probed on its own', () => {
    assert.equal(fileStat('/tmp/a\nb').combine, undefined);
    assert.equal(fileStat('/tmp/a\rb').combine, undefined);
    assert.equal(fileStat('/tmp/a\\b').combine, undefined);
    assert.ok(fileStat('/tmp/a b').combine);
  });

  it('a path whose stat line is missing (gone between the test and stat) reads as unreadable, the others stay right', () => {
    const out = ['0 file', '1 directory', '@@capstan-file-stat:stat', '755|root|root|4096|/b', '@@capstan-file-stat:sha', '@@capstan-file-stat:end', ''].join('\n');
    const parts = splitCombinedStat(out, ['/a', '/b']);
    assert.deepEqual(parts, [{ stdout: 'file\n\n\n', exitCode: 0 }, { stdout: 'directory\n755|root|root|4096\n', exitCode: 0 }]);
  });

  it('output without its parts is refused, not guessed at', () => {
    assert.throws(() => splitCombinedStat('0 file\n', ['/a']), /no stat part/);
    assert.throws(() => splitCombinedStat('@@capstan-file-stat:stat\n@@capstan-file-stat:sha\n@@capstan-file-stat:end\n', ['/a']), /no type for \/a/);
  });

  it('quotes every path: the script never expands what a name holds', () => {
    const script = combinedStatScript(['/tmp/$(touch /tmp/pwned)', "/tmp/'; rm -rf /; '"]);
    assert.ok(script.includes("p0='/tmp/$(touch /tmp/pwned)'"));
    assert.ok(script.includes("p1='/tmp/'\\''; rm -rf /; '\\'''"));
  });
});

describe('file facts gathered together never hide a change', () => {
  it('a path read in the first batch with the others is read again after a step wrote it', async () => {
    const a = join(dir, 'changed-later.conf');
    const b = join(dir, 'left-alone.conf');
    writeFileSync(a, 'v1\n');
    writeFileSync(b, 'same\n');
    const steps = [copy({ dest: a, content: 'v2\n' }), copy({ dest: b, content: 'same\n' }), copy({ dest: a, content: 'v2\n' }, { name: 'a again' })];
    const r = await runWithFakes(definePlaybook({ plays: [{ name: 'p', hosts: 'all', gatherFacts: false, steps }] }), testInventory({ all: ['h'] }));
    const scripts = r.fakes.get('h')?.scripts ?? [];
    assert.deepEqual(r.stepEvents('h').map((e) => e.result.status), ['changed', 'ok', 'ok']);
    assert.equal(readFileSync(a, 'utf8'), 'v2\n');
    assert.equal(scripts[0]?.match(/stat -c/g)?.length, 1, 'the first batch read both paths with one stat');
  });
});
