/**
 * sshd's MaxSessions below Capstan's default of 8 channels: when the server refuses a
 * channel, work queues on the channels already open instead of failing the host; and the
 * limit can be given up front, by the inventory variable capstan_ssh_max_channels or the
 * command line's --ssh-max-channels.
 *
 *   node --import tsx --test test/connectors/ssh-channels.test.ts
 */
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connectorFactory } from '../../src/cli/connectors.ts';
import { SshConnector } from '../../src/connectors/ssh.ts';
import { ConfigError } from '../../src/errors.ts';
import { connectionFor } from '../../src/inventory/connection.ts';
import { loadInventory } from '../../src/inventory/load.ts';
import { startSshd, type SshdFixture } from './support/sshd.ts';

describe('a server with MaxSessions 2 and three identities at once', () => {
  let sshd: SshdFixture;
  before(async () => {
    sshd = await startSshd({ maxSessions: 2 });
  });
  after(async () => sshd.stop());

  it('queues on the open channels when the server refuses one: every command runs, as the right user', async () => {
    const c = new SshConnector(sshd.host());
    try {
      const runs = await Promise.all([
        c.exec({ script: 'id -un' }),
        c.exec({ script: 'id -un', become: {} }),
        c.exec({ script: 'id -un', become: { user: 'nobody' } }),
        c.exec({ script: 'wc -c', stdin: Buffer.alloc(2_000_000) }),
        c.exec({ script: 'id -un', become: { user: 'nobody' } }),
        c.exec({ script: 'id -un' }),
        c.exec({ script: 'id -un', become: {} }),
      ]);
      assert.deepEqual(runs.map((r) => `${r.exitCode} ${r.stdout.trim()}`), ['0 root', '0 root', '0 nobody', '0 2000000', '0 nobody', '0 root', '0 root']);
      assert.equal(c.stats.connections, 1);
      assert.equal((await c.exec({ script: 'echo after', become: { user: 'nobody' } })).stdout, 'after\n', 'still usable');
    } finally {
      await c.close();
    }
  });
});

describe('the channel limit from the inventory and the command line', () => {
  it('reads capstan_ssh_max_channels, and rejects a value sshd could not honour', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'capstan-channels-'));
    await writeFile(join(dir, 'hosts.ini'), 'web1 capstan_ssh_max_channels=2\nweb2 capstan_ssh_max_channels=1\nweb3 capstan_ssh_max_channels=lots\n');
    const inv = await loadInventory(join(dir, 'hosts.ini'));
    assert.equal(connectionFor(inv, 'web1').options.maxSessions, 2);
    for (const h of ['web2', 'web3']) {
      assert.throws(() => connectionFor(inv, h), (e: unknown) => e instanceof ConfigError && /capstan_ssh_max_channels must be a whole number from 2 to 100/.test(e.message));
    }
  });

  it('--ssh-max-channels sets it for every SSH host', () => {
    const c = connectorFactory({ sshMaxChannels: 3 })({ name: 'web1', transport: 'ssh', address: '10.0.0.5', port: 22, options: { maxSessions: 6 } }) as SshConnector;
    assert.equal(c.options.maxSessions, 3);
  });
});
