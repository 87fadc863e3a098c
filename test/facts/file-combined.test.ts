/**
 * Many file facts gathered together: one `stat` for all the paths of a batch, and one
 * `sha256sum` for all the files whose content is asked, read exactly as each path's own
 * probe would have read it.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalConnector } from '../../src/connectors/local.ts';
import { HostSession } from '../../src/engine/session.ts';
import { combinedStatScript, fileSha256, fileStat, splitCombinedSha, splitCombinedStat } from '../../src/facts/file.ts';
import type { FactRef } from '../../src/define/fact.ts';
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
    const facts = [...paths.map((p) => fileStat(p)), ...paths.map((p) => fileSha256(p))] as FactRef<unknown>[];
    const alone = [];
    for (const f of facts) {
      const s = session([]);
      await s.gather([f], undefined);
      alone.push((s.facts.lookup(f) as { value: unknown }).value);
      await s.close();
    }
    const scripts: string[] = [];
    const s = session(scripts);
    await s.gather(facts, undefined);
    const together = facts.map((f) => (s.facts.lookup(f) as { value: unknown }).value);
    await s.close();
    assert.deepEqual(together, alone);
    const n = paths.length;
    assert.equal(together[n], '5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03');
    assert.equal(together[n + 5], null, 'a link has no hash of its own');
    assert.equal((together[5] as { target: string }).target, 'plain.txt');
    assert.equal(together[8], null);
    const batch = scripts[0] ?? '';
    assert.equal(batch.match(/stat -c/g)?.length, 1, 'one stat for all the paths');
    assert.equal(batch.match(/sha256sum -- /g)?.length, 1, 'one sha256sum for all the files');
  });

  it('stat alone starts no sha256sum: the hash is read only when asked', async () => {
    const scripts: string[] = [];
    const s = session(scripts);
    await s.gather(paths.map((p) => fileStat(p)), undefined);
    await s.close();
    assert.doesNotMatch(scripts[0] ?? '', /sha256sum (--|<)/);
  });

  it('two names of one file have the same device and inode', async () => {
    const a = join(dir, 'hard-a');
    writeFileSync(a, 'one file\n');
    linkSync(a, join(dir, 'hard-b'));
    const s = session([]);
    const refs = [fileStat(a), fileStat(join(dir, 'hard-b')), fileStat(join(dir, 'plain.txt'))];
    await s.gather(refs, undefined);
    const [x, y, z] = refs.map((r) => (s.facts.lookup(r) as { value: { device: number; inode: number } }).value);
    await s.close();
    assert.deepEqual([y?.device, y?.inode], [x?.device, x?.inode]);
    assert.notEqual(z?.inode, x?.inode);
  });

  it('a path with a newline, a carriage return or a backslash is probed on its own', () => {
    assert.equal(fileStat('/tmp/a\nb').combine, undefined);
    assert.equal(fileStat('/tmp/a\rb').combine, undefined);
    assert.equal(fileStat('/tmp/a\\b').combine, undefined);
    assert.ok(fileStat('/tmp/a b').combine);
  });

  it('a path whose stat line is missing (gone between the test and stat) reads as unreadable, the others stay right', () => {
    const out = ['0 file', '1 directory', '@@capstan-file-stat:stat', '755|root|root|4096|2049|12|/b', '@@capstan-file-stat:end', ''].join('\n');
    const parts = splitCombinedStat(out, ['/a', '/b']);
    assert.deepEqual(parts, [{ stdout: 'file\n\n', exitCode: 0 }, { stdout: 'directory\n755|root|root|4096|2049|12\n', exitCode: 0 }]);
    const sha = ['0 file', '1 directory', '@@capstan-file-stat:sha', '@@capstan-file-stat:end', ''].join('\n');
    assert.deepEqual(splitCombinedSha(sha, ['/a', '/b']), [{ stdout: '', exitCode: 1 }, { stdout: 'none\n', exitCode: 0 }]);
  });

  it('output without its parts is refused, not guessed at', () => {
    assert.throws(() => splitCombinedStat('0 file\n', ['/a']), /no stat part/);
    assert.throws(() => splitCombinedStat('@@capstan-file-stat:stat\n@@capstan-file-stat:end\n', ['/a']), /no type for \/a/);
    assert.throws(() => splitCombinedSha('0 file\n@@capstan-file-stat:end\n', ['/a']), /no sha part/);
  });

  it('quotes every path: the script never expands what a name holds', () => {
    const script = combinedStatScript(['/tmp/$(touch /tmp/pwned)', "/tmp/'; rm -rf /; '"], 'stat');
    assert.ok(script.includes("p='/tmp/$(touch /tmp/pwned)'; p0=$p"));
    assert.ok(script.includes("p='/tmp/'\\''; rm -rf /; '\\'''; p1=$p"));
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
