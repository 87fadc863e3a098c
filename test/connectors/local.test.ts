/**
 * The local connector keeps the SSH connector's contract on the controller itself: exit
 * codes and streams, stdin of every kind, hostile arguments, timeouts that kill the whole
 * process group, become through sudo, fetches.
 *
 *   node --import tsx --test test/connectors/local.test.ts
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { sh } from '../../src/commands/quote.ts';
import { Secret } from '../../src/commands/secret.ts';
import { LocalConnector } from '../../src/connectors/local.ts';
import { running } from '../support/processes.ts';
import { requires, TOOLS } from '../support/tools.ts';
import { waitFor } from '../support/wait.ts';
import { HOSTILE, PWNED } from './support/hostile.ts';

const c = new LocalConnector({ name: 'localhost' });

describe('local connector', () => {
  it('returns exit codes and separate streams, output without a final newline intact', async () => {
    await c.connect();
    const r = await c.exec({ script: "printf out; printf err >&2; exit 5" });
    assert.deepEqual([r.exitCode, r.stdout, r.stderr], [5, 'out', 'err']);
    assert.equal(c.stats.connections, 1);
  });

  it('takes stdin as string, Buffer, Secret or stream', async () => {
    assert.equal((await c.exec({ script: 'cat', stdin: 'text' })).stdout, 'text');
    assert.equal((await c.exec({ script: 'wc -c', stdin: Buffer.alloc(5_000_000) })).stdout.trim(), '5000000');
    assert.equal((await c.exec({ script: 'cat', stdin: new Secret('secret-stdin-value') })).stdout, 'secret-stdin-value');
    assert.equal((await c.exec({ script: 'cat', stdin: Readable.from(['a', 'b', 'c']) })).stdout, 'abc');
    assert.equal((await c.exec({ script: 'cat' })).stdout, '');
  });

  it('round-trips every hostile string as an argument', async () => {
    const args = HOSTILE.filter((s) => s.length < 1000);
    const r = await c.exec({ script: String(sh`set -- ${args}; echo $#; for a in "$@"; do printf '%s' "$a" | base64 -w0; echo; done`) });
    const [count, ...lines] = r.stdout.trimEnd().split('\n');
    assert.equal(Number(count), args.length);
    assert.deepEqual(lines.map((l) => Buffer.from(l, 'base64').toString('utf8')), args);
    assert.equal(existsSync(PWNED), false);
  });

  it('runs scripts too long for one argument', async () => {
    const r = await c.exec({ script: `x='${'y'.repeat(200_000)}'\nprintf '%s' "$x" | wc -c` });
    assert.equal(r.stdout.trim(), '200000');
  });

  it('kills the whole process group on timeout', { skip: requires(TOOLS.pgrep) }, async () => {
    const fast = new LocalConnector({ name: 'localhost' }, { killAfterMs: 300 });
    const r = await fast.exec({ script: "sleep 41337 & trap '' TERM; sleep 41338; wait", timeoutMs: 300 });
    assert.equal(r.timedOut, true);
    await waitFor('both sleeps to be killed', () => running('sleep 4133[78]') === '');
  });

  it('becomes root through sudo -n, and another user', { skip: requires(TOOLS.sudo) }, async () => {
    assert.equal((await c.exec({ script: 'id -un', become: {} })).stdout, 'root\n');
    assert.equal((await c.exec({ script: 'id -un; cat', stdin: 'in', become: { user: 'nobody' } })).stdout, 'nobody\nin');
  });

  it('fetches a file atomically', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'capstan-local-'));
    writeFileSync(join(dir, 'src'), 'payload');
    await c.fetchFile(join(dir, 'src'), join(dir, 'out', 'dst'));
    assert.equal(readFileSync(join(dir, 'out', 'dst'), 'utf8'), 'payload');
    // A child that exits before its output is read must not lose it (this once failed 1 in 50).
    for (let i = 0; i < 200; i++) {
      await c.fetchFile(join(dir, 'src'), join(dir, 'out', `again-${i}`));
      assert.equal(readFileSync(join(dir, 'out', `again-${i}`), 'utf8'), 'payload', `fetch ${i}`);
    }
    await assert.rejects(c.fetchFile(join(dir, 'nope'), join(dir, 'out', 'dst')), /No such file/);
    assert.equal(readFileSync(join(dir, 'out', 'dst'), 'utf8'), 'payload');
    rmSync(dir, { recursive: true, force: true });
  });
});
