/**
 * The SSH connector against throwaway Debian nodes (systemd, real sshd with PAM, real sudo,
 * the non-root user `capstan`): become with and without a password, timeouts that kill,
 * a node that dies mid-run while the other goes on, a rebuilt node whose key changed, and
 * the per-command cost on the warm shell against a new channel over a real network.
 * Skipped with the reason when Docker is missing (failing instead under CI).
 *
 *   node --import tsx --test test/connectors/nodes/ssh-nodes.test.ts
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Secret } from '../../../src/commands/secret.ts';
import { ConnectionError } from '../../../src/errors.ts';
import { SshConnector } from '../../../src/connectors/ssh.ts';
import { fetchFile, putFile } from '../../../src/connectors/transfer.ts';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dockerSkipReason, startNodes, type NodeSet } from '../../../src/testing/index.ts';
import { waitFor } from '../../support/wait.ts';

const skip = await dockerSkipReason();
const SUDO_PASSWORD = 'node-sudo-pw-canary-31';

describe('ssh connector on throwaway nodes', { skip }, () => {
  let set: NodeSet;
  const open: SshConnector[] = [];

  function connector(name: string, options: Record<string, unknown> = {}): SshConnector {
    const n = set.node(name);
    const c = new SshConnector({
      name,
      transport: 'ssh',
      address: n.address,
      port: n.port,
      user: set.user,
      privateKeyPath: set.privateKeyPath,
      options: { knownHostsPath: set.knownHostsPath, useAgent: false, sshConfigPath: '/dev/null', ...options },
    });
    open.push(c);
    return c;
  }

  before(async () => {
    set = await startNodes({ count: 2, log: () => undefined });
  });
  after(async () => {
    await Promise.all(open.map((c) => c.close()));
    await set?.destroy();
  });

  it('runs as the login user and as root through passwordless sudo, on one connection', async () => {
    const c = connector('node1');
    assert.equal((await c.exec({ script: 'id -un' })).stdout, 'capstan\n');
    assert.equal((await c.exec({ script: 'id -un', become: {} })).stdout, 'root\n');
    assert.equal(c.stats.connections, 1);
  });

  it('runs every command of a session on one connection and one warm shell per user', async () => {
    const c = connector('node1');
    await c.exec({ script: 'true' });
    await c.exec({ script: 'true', become: { user: 'root' } });
    const channels = c.stats.channels ?? 0;
    for (let i = 0; i < 50; i++) await c.exec({ script: 'id -u', become: i % 2 ? { user: 'root' } : undefined });
    assert.equal(c.stats.channels, channels, 'no new channel per command');
    assert.equal(c.stats.connections, 1);
  });


  it('gets the exit status of a fast fetch even when it arrives with the channel opening', async () => {
    const c = connector('node1');
    const dir = await mkdtemp(join(tmpdir(), 'capstan-fetch-'));
    try {
      for (let i = 0; i < 80; i++) {
        await c.exec({ script: 'cat /etc/hostname' });
        await fetchFile(c, '/etc/hostname', join(dir, `h${i}`));
      }
      assert.equal(readFileSync(join(dir, 'h79'), 'utf8').trim(), 'node1');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('kills a timed-out command on the node', async () => {
    const c = connector('node1');
    const r = await c.exec({ script: 'sleep 51337 & sleep 51338; wait', timeoutMs: 300 });
    assert.equal(r.timedOut, true);
    const left = async () => (await set.exec('node1', ['sh', '-c', 'pgrep -af "sleep 5133[78]" || true'])).stdout.trim();
    await waitFor('both sleeps on the node to be killed', async () => (await left()) === '');
  });

  it('uses a sudo password over stdin, and fails fast without it or with a wrong one', async () => {
    await set.setSudo('node2', SUDO_PASSWORD);
    try {
      const c = connector('node2');
      const none = await c.exec({ script: 'id -un', become: {} });
      assert.match(none.stderr, /passwordless sudo.*ansible_become_password/);
      const wrong = await c.exec({ script: 'id -un', become: { password: new Secret('wrong-node-password') } });
      assert.match(wrong.stderr, /rejected the become password/);
      const ok = await c.exec({ script: 'id -un', become: { password: new Secret(SUDO_PASSWORD) } });
      assert.equal(ok.stdout, 'root\n');
      await putFile(c, { dest: '/etc/capstan-secret', content: new Secret('file-secret-canary'), mode: '0600', become: { password: new Secret(SUDO_PASSWORD) } });
      const listing = await set.exec('node2', ['sh', '-c', 'stat -c "%a %U" /etc/capstan-secret; cat /etc/capstan-secret']);
      assert.equal(listing.stdout, '600 root\nfile-secret-canary');
      const logs = await set.exec('node2', ['sh', '-c', 'journalctl -q --no-pager 2>/dev/null | grep -c -e node-sudo-pw-canary -e file-secret-canary || true']);
      assert.equal(logs.stdout.trim(), '0');
    } finally {
      await set.setSudo('node2');
    }
  });

  it('marks a node that dies mid-run as dropped, promptly, while the other node goes on', async () => {
    const dying = connector('node2', { keepaliveIntervalMs: 500, keepaliveCountMax: 2 });
    const healthy = connector('node1');
    await dying.exec({ script: 'true' });
    const t0 = Date.now();
    const pending = dying.exec({ script: 'sleep 60' }).then(
      () => assert.fail('the command should not finish'),
      (e: unknown) => ({ e, ms: Date.now() - t0 }),
    );
    await set.stop('node2', { kill: true });
    const { e, ms } = await pending;
    assert.ok(e instanceof ConnectionError && e.reason === 'dropped', String(e));
    assert.ok(ms < 10_000, `noticed after ${ms} ms`);
    await assert.rejects(dying.exec({ script: 'true' }), (e: unknown) => e instanceof ConnectionError && e.reason === 'dropped');
    assert.equal((await healthy.exec({ script: 'echo fine' })).stdout, 'fine\n');
    await set.start('node2');
  });

  it('refuses a rebuilt node whose host key changed, under accept-new too', async () => {
    await set.rebuild('node2');
    const e = await connector('node2', { hostKeyPolicy: 'accept-new' }).connect().catch((err: unknown) => err);
    assert.ok(e instanceof ConnectionError && e.reason === 'host-key' && /HAS CHANGED/.test(e.message), String(e));
  });
});
