/**
 * The SSH connector runs commands on one long-lived shell per connection: framing, isolation,
 * per-command stdin, quoting of hostile strings, timeouts that kill, and round-trip counts.
 *
 *   node --import tsx --test test/connectors/ssh-exec.test.ts
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { sh } from '../../src/commands/quote.ts';
import { Secret } from '../../src/commands/secret.ts';
import { ConfigError } from '../../src/errors.ts';
import { SshConnector } from '../../src/connectors/ssh.ts';
import { HOSTILE, PWNED } from './support/hostile.ts';
import { alive, running } from '../support/processes.ts';
import { requires, TOOLS } from '../support/tools.ts';
import { waitFor } from '../support/wait.ts';
import { SSHD_NEEDS, startSshd, type SshdFixture } from './support/sshd.ts';

let sshd: SshdFixture;
let c: SshConnector;

describe('ssh exec on the warm shell', { skip: requires(...SSHD_NEEDS, TOOLS.pgrep) }, () => {
  before(async () => {
    sshd = await startSshd();
    c = new SshConnector(sshd.host({}, { killAfterMs: 300 }));
    await c.connect();
  });
  after(async () => {
    await c.close();
    await sshd.stop();
  });

  it('returns exit codes, and keeps stdout and stderr apart', async () => {
    const r = await c.exec({ script: 'echo out; echo err >&2; exit 7' });
    assert.deepEqual([r.exitCode, r.stdout, r.stderr], [7, 'out\n', 'err\n']);
    assert.equal((await c.exec({ script: 'true' })).exitCode, 0);
    assert.equal((await c.exec({ script: 'kill -9 $$' })).exitCode, 137);
  });

  it('returns output that lacks a final newline exactly', async () => {
    const r = await c.exec({ script: "printf 'no newline'; printf 'err too' >&2" });
    assert.equal(r.stdout, 'no newline');
    assert.equal(r.stderr, 'err too');
    assert.equal((await c.exec({ script: 'printf ""' })).stdout, '');
  });

  it('is not fooled by output that looks like a marker', async () => {
    const r = await c.exec({ script: "printf ':capstan:0123456789abcdef01234567E0\\n:capstan:B'; printf ':capstan:E' >&2" });
    assert.equal(r.stdout, ':capstan:0123456789abcdef01234567E0\n:capstan:B');
    assert.equal(r.stderr, ':capstan:E');
    assert.equal(r.exitCode, 0);
  });

  it('passes control bytes and UTF-8 through unchanged', async () => {
    const bytes = Buffer.from(Array.from({ length: 127 }, (_, i) => i + 1));
    const r = await c.exec({ script: 'cat', stdin: bytes });
    assert.equal(r.stdout, bytes.toString('utf8'));
    assert.equal((await c.exec({ script: "printf '\\303\\251\\344\\270\\255'" })).stdout, 'é中');
  });

  it('returns large output whole', async () => {
    const r = await c.exec({ script: 'head -c 3000000 /dev/zero | tr "\\0" x; echo; seq 1 50000 >&2' });
    assert.equal(r.stdout.length, 3_000_001);
    assert.equal(r.stderr.split('\n').length, 50_001);
  });

  it('runs each command in its own process: cd and variables do not leak', async () => {
    await c.exec({ script: 'cd /tmp && export LEAK=1 && LOCAL=2 && umask 077' });
    const r = await c.exec({ script: 'pwd; echo "[$LEAK][$LOCAL]"; umask' });
    assert.notEqual(r.stdout.split('\n')[0], '/tmp');
    assert.match(r.stdout, /\[\]\[\]/);
    assert.doesNotMatch(r.stdout, /0077/);
    assert.equal((await c.exec({ script: 'exit 3' })).exitCode, 3);
    assert.equal((await c.exec({ script: 'echo still here' })).stdout, 'still here\n');
  });

  it('gives each command its own stdin, which never swallows the next command', async () => {
    const results = await Promise.all([
      c.exec({ script: 'cat; echo " [first]"', stdin: 'one' }),
      c.exec({ script: 'cat; echo "[second]"' }),
      c.exec({ script: 'wc -c', stdin: Buffer.alloc(1024 * 1024, 0x61) }),
      c.exec({ script: 'read -r line; echo "got $line"', stdin: 'line\nmore lines\nexit 0\n' }),
      c.exec({ script: 'echo after' }),
    ]);
    assert.deepEqual(
      results.map((r) => r.stdout),
      ['one [first]\n', '[second]\n', '1048576\n', 'got line\n', 'after\n'],
    );
  });

  it('delivers a Secret stdin without it appearing in the display', async () => {
    const secret = new Secret('canary-4b1d-stdin-secret', 'test');
    const r = await c.exec({ script: 'sha256sum', stdin: secret, display: 'hash a secret' });
    assert.match(r.stdout, /^[0-9a-f]{64} /);
    assert.doesNotMatch(JSON.stringify(r), /canary-4b1d/);
  });

  it('round-trips every hostile string as an argument, byte for byte, argument count unchanged', async () => {
    const args = HOSTILE.filter((s) => s.length < 1000);
    const r = await c.exec({ script: String(sh`set -- ${args}; echo $#; for a in "$@"; do printf '%s' "$a" | base64 -w0; echo; done`) });
    const [count, ...lines] = r.stdout.trimEnd().split('\n');
    assert.equal(Number(count), args.length);
    assert.deepEqual(
      lines.map((l) => Buffer.from(l, 'base64').toString('utf8')),
      args,
    );
    const long = HOSTILE.find((s) => s.length >= 1000) as string;
    const r2 = await c.exec({ script: String(sh`printf '%s' ${long} | wc -c`) });
    assert.equal(r2.stdout.trim(), String(long.length));
    assert.equal(existsSync(PWNED), false);
  });

  it('runs scripts too long for one argument', async () => {
    const script = `x='${'y'.repeat(200_000)}'\nprintf '%s' "$x" | wc -c`;
    const r = await c.exec({ script, stdin: 'ignored' });
    assert.equal(r.stdout.trim(), '200000');
  });

  it('rejects NUL in a quoted argument with a clear error', () => {
    assert.throws(() => sh`echo ${'a\u0000b'}`, (e: unknown) => e instanceof ConfigError && /NUL/.test(e.message));
  });

  it('kills the remote process group when a command runs past its timeout', async () => {
    const started = Date.now();
    const r = await c.exec({ script: 'sleep 31337 & sleep 31338; wait', timeoutMs: 400 });
    assert.equal(r.timedOut, true);
    assert.ok(Date.now() - started < 8_000);
    assert.match(r.stderr, /timed out after 400 ms/);
    await waitFor('both sleeps to be killed', () => running('sleep 3133[78]') === '');
  });

  it('kills a command that ignores SIGTERM after the grace period', async () => {
    const r = await c.exec({ script: "trap '' TERM; sh -c 'sleep 31339'", timeoutMs: 300 });
    assert.equal(r.timedOut, true);
    assert.equal(r.exitCode, 137);
    await waitFor('the sleep that ignored SIGTERM to be killed', () => running('sleep 31339') === '');
  });

  it('kills and replaces a shell that stops answering, and reports the timeout', async () => {
    const shellPid = (await c.exec({ script: 'echo $PPID' })).stdout.trim();
    const r = await c.exec({ script: 'kill -STOP $(ps -o ppid= -p $PPID)', timeoutMs: 200 });
    assert.equal(r.timedOut, true);
    assert.equal((await c.exec({ script: 'echo alive' })).stdout, 'alive\n');
    await waitFor(`the stopped shell ${shellPid} to be killed`, () => !alive(shellPid));
  });

  it('counts one round trip per exec and one connection for the run', async () => {
    const before = c.stats.roundTrips;
    await Promise.all(Array.from({ length: 25 }, (_, i) => c.exec({ script: `echo ${i}` })));
    await c.exec({ script: 'id -u', become: { user: 'root' } });
    assert.equal(c.stats.roundTrips - before, 26);
    assert.equal(c.stats.connections, 1);
  });

  it('sends commands to the warm shell: a hundred commands open no new channel', async () => {
    await c.exec({ script: 'true' });
    const before = c.stats.channels ?? 0;
    const trips = c.stats.roundTrips;
    for (let i = 0; i < 100; i++) await c.exec({ script: `test ${i} -ge 0` });
    assert.equal(c.stats.channels, before, 'no channel opened for commands on the warm shell');
    assert.equal(c.stats.roundTrips - trips, 100);
    await c.exec({ script: 'cat >/dev/null', stdin: Readable.from([Buffer.from('x')]) });
    assert.equal(c.stats.channels, before + 1, 'a streamed stdin takes its own channel');
  });
});
