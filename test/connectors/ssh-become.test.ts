/**
 * become over SSH: a shell per become user, opened once; `sudo -n` without a password fails
 * fast with advice; a password travels on stdin after a random prompt, never in argv or in
 * output; a wrong password fails at once. Users "needpw" and "nopw" are played by the
 * test double test/connectors/support/fake-sudo/sudo; root and nobody by the real sudo.
 *
 *   node --import tsx --test test/connectors/ssh-become.test.ts
 */
import assert from 'node:assert/strict';
import { createReadStream, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Secret } from '../../src/commands/secret.ts';
import { SshConnector } from '../../src/connectors/ssh.ts';
import { SSHD_NEEDS, startSshd, type SshdFixture } from './support/sshd.ts';
import { requires } from '../support/tools.ts';

const PASSWORD = 'sudo-secret-pw-42';
let sshd: SshdFixture;
let c: SshConnector;

describe('ssh become', { skip: requires(...SSHD_NEEDS) }, () => {
  before(async () => {
    sshd = await startSshd({ fakeSudo: true });
    c = new SshConnector(sshd.host());
    await c.connect();
  });
  after(async () => {
    await c.close();
    await sshd.stop();
  });

  it('runs commands as root and as another user with the real sudo, one shell per user', async () => {
    assert.equal((await c.exec({ script: 'id -un', become: {} })).stdout, 'root\n');
    assert.equal((await c.exec({ script: 'id -un', become: { user: 'nobody' } })).stdout, 'nobody\n');
    const pids = await Promise.all([1, 2, 3].map(() => c.exec({ script: 'echo $PPID', become: { user: 'nobody' } })));
    assert.equal(new Set(pids.map((r) => r.stdout)).size, 1, 'the same become shell serves every command');
    assert.equal(c.stats.connections, 1);
  });

  it('fails fast with advice when sudo needs a password and none is given', async () => {
    const t0 = Date.now();
    const r = await c.exec({ script: 'id -un', become: { user: 'needpw' } });
    assert.notEqual(r.exitCode, 0);
    assert.match(r.stderr, /passwordless sudo.*ansible_become_password/);
    assert.ok(Date.now() - t0 < 8_000);
    const again = await c.exec({ script: 'id -un', become: { user: 'needpw' } });
    assert.match(again.stderr, /passwordless sudo/);
  });

  it('sends the password on stdin after a random prompt, never in argv', async () => {
    const pw = new Secret(PASSWORD, 'become password');
    const r = await c.exec({ script: 'echo became; cat', stdin: 'data', become: { user: 'needpw', password: pw } });
    assert.deepEqual([r.exitCode, r.stdout, r.stderr], [0, 'became\ndata', '']);
    const r2 = await c.exec({ script: 'echo second', become: { user: 'needpw', password: pw } });
    assert.equal(r2.stdout, 'second\n');
    const argv = readFileSync(join(sshd.dir, 'sudo-argv.log'), 'utf8');
    assert.ok(argv.includes('-S -p capstan-sudo-'), argv);
    assert.ok(!argv.includes(PASSWORD));
  });

  it('uses the password on a streamed channel too', async () => {
    const file = join(sshd.dir, 'stream-src');
    writeFileSync(file, 'x'.repeat(3_000_000));
    const c2 = new SshConnector(sshd.host({ become: { enabled: true, password: new Secret(PASSWORD) } }));
    const r = await c2.exec({ script: 'wc -c', stdin: createReadStream(file), become: { user: 'needpw' } });
    assert.deepEqual([r.exitCode, r.stdout.trim()], [0, '3000000']);
    await c2.close();
  });

  it('fails at once on a wrong password, without retrying it', async () => {
    const c2 = new SshConnector(sshd.host());
    const t0 = Date.now();
    const r = await c2.exec({ script: 'id -un', become: { user: 'needpw', password: new Secret('wrong-pw-canary') } });
    assert.notEqual(r.exitCode, 0);
    assert.match(r.stderr, /rejected the become password/);
    assert.doesNotMatch(r.stderr, /wrong-pw-canary/);
    assert.ok(Date.now() - t0 < 8_000);
    await c2.close();
  });

  it('does not wait for a prompt that never comes when no password is needed', async () => {
    const r = await c.exec({ script: 'echo free', become: { user: 'nopw', password: new Secret('unused-password') } });
    assert.equal(r.stdout, 'free\n');
  });

  it('rejects become users that look like options', async () => {
    await assert.rejects(c.exec({ script: 'true', become: { user: '-s' } }), /invalid become user/);
  });

  it('keeps shells of several users and streams within a limit of two channels', async () => {
    const tight = await startSshd({ maxSessions: 2 });
    const t = new SshConnector(tight.host({}, { maxSessions: 2 }));
    try {
      const runs = await Promise.all([
        t.exec({ script: 'id -un' }),
        t.exec({ script: 'id -un', become: {} }),
        t.exec({ script: 'id -un', become: { user: 'nobody' } }),
        t.exec({ script: 'wc -c', stdin: Buffer.alloc(2_000_000) }),
        t.exec({ script: 'id -un' }),
        t.exec({ script: 'id -un', become: {} }),
      ]);
      assert.deepEqual(
        runs.map((r) => r.stdout.trim()),
        ['root', 'root', 'nobody', '2000000', 'root', 'root'],
      );
    } finally {
      await t.close();
      await tight.stop();
    }
  });
});
