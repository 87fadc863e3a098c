/**
 * `waitFor`: table tests (the probe's current value in, a no-op or one waiting command out,
 * unpredictable under --check), argument checks, and the loop run for real on the
 * controller: a port that opens later, a path that appears, a line that matches, a timeout.
 *
 *   node --import tsx --test test/modules/wait-for.test.ts
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { planWaitFor, waitForArgs, waitScript, type WaitFacts } from '../../src/modules/wait-for.ts';
import type { Plan } from '../../src/define/plan.ts';

function plan(raw: Record<string, unknown>, f: WaitFacts): Plan {
  return planWaitFor(waitForArgs.parse(raw), f);
}

describe('waitFor: planning', () => {
  const table: { name: string; args: Record<string, unknown>; facts: WaitFacts; noop?: string; wait?: string; error?: RegExp }[] = [
    { name: 'an open port: no wait', args: { port: 22 }, facts: { port: 'open' }, noop: 'no wait: port 22 on 127.0.0.1 is open' },
    { name: 'a closed port: wait', args: { port: 22, timeoutMs: 30_000 }, facts: { port: 'closed' }, wait: 'wait up to 30 s for port 22 on 127.0.0.1 to be open' },
    { name: 'waiting for a port to close', args: { port: 80, host: '10.0.0.5', state: 'absent' }, facts: { port: 'open' }, wait: 'wait up to 300 s for port 80 on 10.0.0.5 to be closed' },
    { name: 'stopped is an alias of absent', args: { port: 80, state: 'stopped' }, facts: { port: 'closed' }, noop: 'no wait: port 80 on 127.0.0.1 is closed' },
    { name: 'no bash and no nc fails clearly', args: { port: 22 }, facts: { port: 'no-probe' }, error: /neither bash nor nc/ },
    { name: 'a present path: no wait', args: { path: '/run/app.pid' }, facts: { exists: true }, noop: 'no wait: /run/app.pid exists' },
    { name: 'a missing path: wait', args: { path: '/run/app.pid', timeoutMs: 1000 }, facts: { exists: false }, wait: 'wait up to 1 s for /run/app.pid to exist' },
    { name: 'a path to be gone', args: { path: '/run/lock', state: 'absent' }, facts: { exists: false }, noop: 'no wait: /run/lock is gone' },
    { name: 'a matching line: no wait', args: { path: '/var/log/a', search: 'ready' }, facts: { matches: true }, noop: 'no wait: /var/log/a matches "ready"' },
    { name: 'no matching line: wait', args: { path: '/var/log/a', search: 'ready' }, facts: { matches: false }, wait: 'wait up to 300 s for /var/log/a to match "ready"' },
  ];
  for (const row of table) {
    it(row.name, () => {
      const p = plan(row.args, row.facts);
      if (row.error) return assert.match(p.error ?? '', row.error);
      if (row.noop) return assert.deepEqual([p.changes, p.noop], [[], row.noop]);
      const [c] = p.changes;
      assert.equal(c?.summary, row.wait);
      assert.match(c?.unpredictable ?? '', /not waited for in check mode/);
      assert.equal(c?.actions.length, 1, 'one command: the loop runs on the host');
      const a = c?.actions[0];
      assert.equal(a?.kind === 'exec' && a.command.timeoutMs, waitForArgs.parse(row.args).timeoutMs + 15_000);
    });
  }
});

describe('waitFor: arguments', () => {
  const field = (raw: Record<string, unknown>) => waitForArgs.safeParse(raw).error?.issues[0]?.path[0];
  it('needs exactly one of port and path; search needs path and present', () => {
    assert.equal(field({}), 'port');
    assert.equal(field({ port: 22, path: '/x' }), 'port');
    assert.equal(field({ port: 22, search: 'x' }), 'search');
    assert.equal(field({ path: '/x', search: 'x', state: 'absent' }), 'state');
  });
  it('refuses hostile hosts, bad ports and tiny delays', () => {
    for (const host of ['-oProxyCommand=x', 'a b', 'a;b', '$(x)', '']) assert.equal(field({ port: 22, host }), 'host', host);
    for (const port of [0, 65536, 1.5]) assert.equal(field({ port }), 'port');
    assert.equal(field({ port: 22, delayMs: 10 }), 'delayMs');
    assert.equal(field({ path: '/x', search: 'a\nb' }), 'search');
  });
});

describe('waitFor: the loop, run for real', () => {
  let work: string;
  before(() => (work = mkdtempSync(join(tmpdir(), 'capstan-wait-'))));
  after(() => rmSync(work, { recursive: true, force: true }));

  function runLoop(raw: Record<string, unknown>): Promise<{ status: number | null; stderr: string; ms: number }> {
    const started = Date.now();
    return new Promise((resolve, reject) => {
      const child = spawn('sh', ['-c', waitScript(waitForArgs.parse(raw))]);
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('close', (status) => resolve({ status, stderr, ms: Date.now() - started }));
    });
  }

  it('waits for a port that opens later', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as { port: number }).port;
    await new Promise((r) => probe.close(r));
    const waiting = runLoop({ port, timeoutMs: 10_000, delayMs: 200 });
    const server = createServer((s) => s.end());
    setTimeout(() => server.listen(port, '127.0.0.1'), 700);
    const r = await waiting;
    server.close();
    assert.equal(r.status, 0, r.stderr);
    assert.ok(r.ms >= 600, `returned after ${r.ms} ms, before the port opened`);
  });

  it('waits for a path with a hostile name, and for a line to match', async () => {
    const path = join(work, "it's $(touch PWNED)");
    setTimeout(() => writeFileSync(path, 'starting\n'), 300);
    setTimeout(() => appendFileSync(path, 'listening on 8080\n'), 700);
    const [appeared, matched] = await Promise.all([
      runLoop({ path, timeoutMs: 10_000, delayMs: 100 }),
      runLoop({ path, search: 'listening on [0-9]+$', timeoutMs: 10_000, delayMs: 100 }),
    ]);
    assert.equal(appeared.status, 0, appeared.stderr);
    assert.equal(matched.status, 0, matched.stderr);
    assert.ok(matched.ms >= 600);
    assert.equal(existsSync(join(work, 'PWNED')), false);
  });

  it('gives up after the timeout with a message naming what it waited for', async () => {
    const r = await runLoop({ path: join(work, 'never'), timeoutMs: 1000, delayMs: 200 });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /timed out after 1 s waiting for .*never to exist/);
  });
});
