/**
 * The probes `waitFor` uses: a TCP port (bash /dev/tcp or nc) and a regex match in a file.
 * Table tests of the parser, then the real commands on the controller against a listening
 * socket, a closed port, and files with hostile names and patterns.
 *
 *   node --import tsx --test test/facts/probe.test.ts
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileMatches, parsePortState, portOpen } from '../../src/facts/probe.ts';
import { HOSTILE_FILE_NAMES, PWNED } from '../connectors/support/hostile.ts';

function run<T>(ref: { script: string; parse(out: string, code: number): T }, env?: NodeJS.ProcessEnv): T {
  const r = spawnSync('/bin/sh', ['-c', ref.script], { encoding: 'utf8', env: env ?? process.env });
  return ref.parse(r.stdout, r.status ?? 1);
}

describe('parsePortState', () => {
  it('reads open and closed, and exit 3 as no way to probe', () => {
    assert.equal(parsePortState('open\n', 0), 'open');
    assert.equal(parsePortState('closed\n', 0), 'closed');
    assert.equal(parsePortState('', 3), 'no-probe');
    assert.throws(() => parsePortState('maybe\n', 0), /unexpected port probe output/);
  });
});

describe('the probes, on the controller', () => {
  let server: Server;
  let port = 0;
  let dir: string;
  before(async () => {
    server = createServer((s) => s.end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
    dir = mkdtempSync(join(tmpdir(), 'capstan-probe-'));
  });
  after(() => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a listening port is open; a port nobody listens on is closed', async () => {
    assert.equal(run(portOpen({ host: '127.0.0.1', port })), 'open');
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const freed = (closed.address() as { port: number }).port;
    await new Promise((r) => closed.close(r));
    assert.equal(run(portOpen({ host: '127.0.0.1', port: freed })), 'closed');
  });

  it('without bash or nc on the PATH it says so instead of guessing', () => {
    assert.equal(run(portOpen({ host: '127.0.0.1', port }), { PATH: join(dir, 'empty-path') }), 'no-probe');
  });

  it('matches extended regexes in files with hostile names, and never runs a pattern', () => {
    for (const name of HOSTILE_FILE_NAMES) {
      const path = join(dir, name);
      writeFileSync(path, `first\nlistening on 8080 ${name}\n`);
      assert.equal(run(fileMatches({ path, search: 'listening on [0-9]+' })), true, name);
      assert.equal(run(fileMatches({ path, search: '$(touch /tmp/PWNED)' })), false, name);
    }
    assert.equal(run(fileMatches({ path: join(dir, 'missing'), search: 'x' })), false);
    assert.equal(existsSync(PWNED), false);
  });
});
