/**
 * Host keys fail closed: strict refuses an unknown key before authentication and says how
 * to trust it; accept-new appends (safely under concurrency); a pinned fingerprint must
 * match; a changed or revoked key is refused under every policy with no credentials sent.
 *
 *   node --import tsx --test test/connectors/ssh-hostkey.test.ts
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConnectionError } from '../../src/errors.ts';
import { fingerprintOf, SshConnector } from '../../src/connectors/ssh.ts';
import { parseKnownHosts } from '../../src/connectors/ssh/known-hosts.ts';
import { SSHD_NEEDS, startSshd, type SshdFixture } from './support/sshd.ts';
import { requires } from '../support/tools.ts';

let sshd: SshdFixture;
let n = 0;

/** A fresh known_hosts path holding `content`. */
function knownHosts(content: string): string {
  const p = join(sshd.dir, `kh-${++n}`);
  writeFileSync(p, content);
  return p;
}

function connector(options: Record<string, unknown>): SshConnector {
  return new SshConnector(sshd.host({}, options));
}

async function refusal(c: SshConnector): Promise<ConnectionError> {
  try {
    await c.connect();
  } catch (e) {
    assert.ok(e instanceof ConnectionError, String(e));
    return e;
  } finally {
    await c.close();
  }
  assert.fail('connected, but should have been refused');
}

/** Authentication requests sshd has seen so far (its debug log). */
async function authRequests(): Promise<number> {
  return (await sshd.log()).split('\n').filter((l) => l.includes('userauth-request')).length;
}

function otherEd25519Key(): string {
  const p = join(sshd.dir, `other-${++n}`);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', p]);
  return readFileSync(`${p}.pub`, 'utf8').split(' ').slice(0, 2).join(' ');
}

describe('host-key verification', { skip: requires(...SSHD_NEEDS) }, () => {
  before(async () => {
    sshd = await startSshd();
  });
  after(async () => {
    await sshd.stop();
  });

  it('connects when known_hosts lists the key (plain or hashed entries)', async () => {
    const authBefore = await authRequests();
    const c = connector({});
    await c.connect();
    assert.ok((await authRequests()) > authBefore, 'the sshd log records authentication requests');
    assert.equal((await c.exec({ script: 'echo ok' })).stdout, 'ok\n');
    await c.close();
    const hashed = knownHosts('');
    copyFileSync(sshd.knownHostsPath, hashed);
    execFileSync('ssh-keygen', ['-H', '-f', hashed], { stdio: 'ignore' });
    assert.match(readFileSync(hashed, 'utf8'), /^\|1\|/);
    const h = connector({ knownHostsPath: hashed });
    await h.connect();
    await h.close();
  });

  it('strict: refuses an unknown key before authenticating, showing the fingerprint and how to trust it', async () => {
    const authBefore = await authRequests();
    const e = await refusal(connector({ knownHostsPath: knownHosts('# nothing yet\n') }));
    assert.equal(e.reason, 'host-key');
    const fp = execFileSync('ssh-keygen', ['-lf', join(sshd.dir, 'host_ed25519.pub')], { encoding: 'utf8' }).split(' ')[1] as string;
    assert.ok(e.message.includes(fp), `${e.message} should show ${fp}`);
    assert.match(e.message, new RegExp(`ssh-keyscan -p ${sshd.port} -t ed25519 127\\.0\\.0\\.1 >>`));
    assert.match(e.message, /--host-key-policy accept-new/);
    assert.equal(await authRequests(), authBefore);
  });

  it('accept-new: trusts and records an unknown key, then finds it known', async () => {
    const path = knownHosts('');
    const c = connector({ knownHostsPath: path, hostKeyPolicy: 'accept-new' });
    await c.connect();
    await c.close();
    const entries = parseKnownHosts(readFileSync(path, 'utf8'));
    assert.equal(entries.length, 1);
    assert.equal(entries[0]?.hosts, `[127.0.0.1]:${sshd.port}`);
    const again = connector({ knownHostsPath: path });
    await again.connect();
    await again.close();
  });

  it('accept-new: many parallel connections leave one well-formed line', async () => {
    const path = knownHosts('');
    // Twelve handshakes at once: on a loaded machine they take longer than the default 10 s bound.
    const cs = Array.from({ length: 12 }, () => connector({ knownHostsPath: path, hostKeyPolicy: 'accept-new', connectTimeoutMs: 120_000 }));
    await Promise.all(cs.map((c) => c.connect()));
    await Promise.all(cs.map((c) => c.close()));
    const text = readFileSync(path, 'utf8');
    assert.equal(text.split('\n').filter(Boolean).length, 1);
    assert.match(text, /^\[127\.0\.0\.1\]:\d+ ssh-ed25519 [A-Za-z0-9+/]+=*\n$/);
  });

  it('pinned: connects only when the fingerprint matches', async () => {
    const key = Buffer.from(sshd.hostKeyPub.ed25519.split(' ')[1] as string, 'base64');
    const ok = connector({ knownHostsPath: knownHosts(''), hostKeyFingerprint: fingerprintOf(key) });
    await ok.connect();
    await ok.close();
    const wrong = `SHA256:${'A'.repeat(43)}`;
    const e = await refusal(connector({ knownHostsPath: knownHosts(''), hostKeyFingerprint: wrong }));
    assert.equal(e.reason, 'host-key');
    assert.match(e.message, /pinned/);
  });

  for (const policy of [{ hostKeyPolicy: 'strict' }, { hostKeyPolicy: 'accept-new' }, { hostKeyFingerprint: 'pin-of-the-server' }]) {
    it(`refuses a CHANGED key under ${JSON.stringify(policy)}, loudly, without sending credentials`, async () => {
      const key = Buffer.from(sshd.hostKeyPub.ed25519.split(' ')[1] as string, 'base64');
      const options = policy.hostKeyFingerprint ? { hostKeyFingerprint: fingerprintOf(key) } : policy;
      const path = knownHosts(`[127.0.0.1]:${sshd.port} ${otherEd25519Key()}\n`);
      const authBefore = await authRequests();
      const e = await refusal(connector({ ...options, knownHostsPath: path }));
      assert.equal(e.reason, 'host-key');
      assert.match(e.message, /HAS CHANGED/);
      assert.match(e.message, /ssh-keygen -R/);
      assert.equal(await authRequests(), authBefore);
      assert.equal(readFileSync(path, 'utf8').split('\n').filter(Boolean).length, 1);
    });
  }

  it('refuses a key marked @revoked even under accept-new', async () => {
    const path = knownHosts(`@revoked * ${sshd.hostKeyPub.ed25519}\n`);
    const e = await refusal(connector({ knownHostsPath: path, hostKeyPolicy: 'accept-new' }));
    assert.equal(e.reason, 'host-key');
    assert.match(e.message, /revoked/);
  });

  it('offers first the key type known_hosts has, so a known ecdsa key is not mistaken for unknown', async () => {
    const c = connector({ knownHostsPath: knownHosts(`[127.0.0.1]:${sshd.port} ${sshd.hostKeyPub.ecdsa}\n`) });
    await c.connect();
    await c.close();
  });
});
