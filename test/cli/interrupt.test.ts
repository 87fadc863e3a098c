/**
 * Ctrl-C while hosts are still being connected: the pending connections are abandoned at
 * once (not after the connect timeout), the recap is printed and the exit code is 130.
 *
 *   node --import tsx --test test/cli/interrupt.test.ts
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { waitFor, waitForOutput } from '../support/wait.ts';
import { startCli } from './support/cli-child.ts';

describe('Ctrl-C during connection', () => {
  let dir: string;
  let silent: Server;
  const held: Socket[] = [];
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'capstan-int-connect-'));
    // accepts TCP and never says a word: an SSH connection to it waits for the connect timeout
    silent = createServer((s) => void held.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as { port: number }).port;
    writeFileSync(join(dir, 'hosts.ini'), `mute ansible_host=127.0.0.1 ansible_port=${port} ansible_user=root capstan_known_hosts=${join(dir, 'known_hosts')}\n`);
    writeFileSync(join(dir, 'known_hosts'), '');
  });
  after(() => {
    for (const s of held) s.destroy();
    silent.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('abandons pending connections at once: recap printed, exit 130, well before the 10 s connect timeout', async () => {
    const cli = startCli(['run', 'test/fixtures/playbooks/sleep-remote.ts', '-i', join(dir, 'hosts.ini'), '-e', 'sleep_seconds=1', '--json']);
    await waitForOutput(cli.child.stdout!, /"run\.start"/, { timeoutMs: 60_000 });
    await waitFor('the connection to the silent server', () => held.length > 0);
    const sent = Date.now();
    cli.child.kill('SIGINT');
    const { code, stdout } = await cli.exit;
    const tookMs = Date.now() - sent;
    assert.equal(code, 130, stdout);
    assert.ok(tookMs < 3_000, `exited ${tookMs} ms after Ctrl-C`);
    const end = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as { type: string; recap?: { interrupted: boolean; hosts: Record<string, { unreachable: number; failed: number }> } };
    assert.equal(end.type, 'run.end');
    assert.equal(end.recap?.interrupted, true);
    assert.deepEqual([end.recap?.hosts.mute?.unreachable, end.recap?.hosts.mute?.failed], [0, 0], 'an abandoned connection is neither unreachable nor failed');
  });
});
