/**
 * Faults around the run lock and Ctrl-C, on one throwaway Debian node (login user `capstan`,
 * become root): a host locked by a live run is LOCKED (exit 3) and `--lock-wait` waits for it;
 * a second Ctrl-C kills the remote command and releases the lock; a run whose connection was
 * lost (node paused) leaves a lock that the next run takes over, reported, removing the dead
 * run's temp directory; an interrupted dpkg is repaired before apt works; the lock's state
 * directory must be root's own.
 *
 *   node --import tsx --test test/nodes/faults.test.ts
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connectorFactory } from '../../src/cli/connectors.ts';
import type { ConnectorFactory } from '../../src/connectors/connector.ts';
import { definePlaybook, type Playbook } from '../../src/define/playbook.ts';
import { runPlaybook, type EngineOptions } from '../../src/engine/run.ts';
import type { Recap, RunEvent } from '../../src/events.ts';
import { loadInventoryView } from '../../src/inventory/view.ts';
import { apt } from '../../src/modules/apt.ts';
import { shell } from '../../src/modules/command.ts';
import { dockerSkipReason, startNodes, type NodeSet } from '../../src/testing/index.ts';
import { startCli } from '../cli/support/cli-child.ts';
import { waitFor, waitForOutput } from '../support/wait.ts';

const skip = await dockerSkipReason();
const NODE = 'node1';
const LOCK = '/var/lib/capstan/run.lock';

const sleepFor = (seconds: number): Playbook => definePlaybook({
  name: `sleep ${seconds}`,
  plays: [{ name: 'sleep', hosts: 'all', become: true, gatherFacts: false, steps: [shell({ script: `sleep ${seconds}` }, { name: 'sleep' })] }],
});

interface Run { recap: Recap; events: RunEvent[] }

describe('faults around the run lock and Ctrl-C on a throwaway node', { skip }, () => {
  let set: NodeSet;
  let inventory: string;
  const sh = async (script: string) => (await set.exec(NODE, ['sh', '-c', script])).stdout.trim();
  /** One run in this process; `on` sees every event as it comes. */
  const run = async (pb: Playbook, o: Partial<EngineOptions> & { on?: (e: RunEvent) => void } = {}): Promise<Run> => {
    const events: RunEvent[] = [];
    const { on, ...rest } = o;
    const recap = await runPlaybook(pb, await loadInventoryView([inventory]), {
      check: false, diff: false, forks: 5, tags: [], skipTags: [], extraVars: {}, playbookId: 'faults', connectorFactory: connectorFactory({}), ...rest,
    }, (e) => {
      events.push(e);
      on?.(e);
    });
    return { recap, events };
  };
  const started = (events: RunEvent[]) => waitFor('the first step to start', () => events.some((e) => e.type === 'step.start'), { timeoutMs: 120_000 });
  const warnings = (r: Run) => r.events.flatMap((e) => (e.type === 'warning' ? [e.message] : []));

  before(async () => {
    set = await startNodes({ count: 1 });
    inventory = await set.writeInventory(join(set.workDir, 'inventory.yml'));
  });
  after(async () => set?.destroy());

  it('keeps the lock in root\'s own 0700 state directory, 0600, never in /tmp, and releases it', async () => {
    let during = '';
    const r = await run(sleepFor(1), { on: (e) => { if (e.type === 'step.start') during = execFileSync('docker', ['exec', set.node(NODE).containerId, 'stat', '-c', '%U %a', '/var/lib/capstan', LOCK], { encoding: 'utf8' }); } });
    assert.equal(r.recap.exitCode, 0);
    assert.equal(during, 'root 700\nroot 600\n');
    assert.equal(await sh(`test -e ${LOCK} || test -e /tmp/capstan.lock || echo none`), 'none');
  });

  it('reports a host locked by a live run as LOCKED (exit 3) with the time until stale; --lock-wait waits for the run instead', async () => {
    // the holder keeps the lock until the test lets it go
    const holderEvents: RunEvent[] = [];
    await sh('rm -f /tmp/let-go');
    const hold = definePlaybook({ name: 'hold', plays: [{ name: 'hold', hosts: 'all', become: true, gatherFacts: false, steps: [shell({ script: 'until [ -e /tmp/let-go ]; do sleep 0.2; done' }, { name: 'hold' })] }] });
    const holder = run(hold, { on: (e) => holderEvents.push(e) });
    await started(holderEvents);
    const locked = await run(sleepFor(0));
    assert.equal(locked.recap.exitCode, 3);
    assert.deepEqual(locked.recap.hosts[NODE], { ok: 0, changed: 0, uncertain: 0, failed: 0, skipped: 0, unreachable: 0, ignored: 0 });
    const ev = locked.events.find((e) => e.type === 'host.locked');
    assert.ok(ev && ev.type === 'host.locked', 'a host.locked event');
    assert.equal(ev.lockPath, LOCK);
    assert.match(ev.holder, /^run \S+ by root since /);
    assert.ok(ev.staleInS > 0 && ev.staleInS <= 30, `stale in ${ev.staleInS} s`);
    assert.match(ev.message, /taken over if its heartbeat stays silent for \d+ s more.*--lock-wait/);
    assert.deepEqual(Object.keys(locked.recap.locked ?? {}), [NODE]);

    let letGo: Promise<unknown> | undefined;
    const waited = await run(sleepFor(0), { lockWaitMs: 120_000, on: (e) => { if (e.type === 'warning' && /waiting up to/.test(e.message)) letGo ??= sh('touch /tmp/let-go'); } });
    assert.ok(letGo, 'it waited while the other run held the lock');
    assert.equal((await holder).recap.exitCode, 0);
    assert.equal(waited.recap.exitCode, 0, JSON.stringify(waited.events.filter((e) => e.type !== 'progress')));
    assert.match(warnings(waited).join('\n'), /waiting up to \d+ s for the run lock \/var\/lib\/capstan\/run.lock, held by run /);
  });

  it('a second Ctrl-C kills the remote command, releases the lock and exits within two seconds', async () => {
    const cli = startCli(['run', 'test/fixtures/playbooks/sleep-remote.ts', '-i', inventory, '-e', 'sleep_seconds=4321', '--json']);
    await waitForOutput(cli.child.stdout!, /"step\.start"/, { timeoutMs: 120_000 });
    await waitFor('the remote sleep to run', async () => (await sh('pgrep -f "^sleep 4321$" || true')) !== '', { timeoutMs: 60_000, intervalMs: 100 });
    const interrupted = waitForOutput(cli.child.stderr!, /Interrupted: finishing the steps in flight/);
    cli.child.kill('SIGINT');
    await interrupted;
    const sent = Date.now();
    cli.child.kill('SIGINT');
    const { code, stdout } = await cli.exit;
    assert.equal(code, 130, stdout);
    assert.ok(Date.now() - sent < 2_500, `exited ${Date.now() - sent} ms after the second Ctrl-C`);
    assert.equal(await sh('pgrep -f "^sleep 4321$" || echo gone'), 'gone', 'the remote sleep was killed');
    assert.equal(await sh(`test -e ${LOCK} && cat ${LOCK} || echo released`), 'released');
    assert.equal(await sh('ls -d /tmp/capstan.run.* 2>/dev/null || echo none'), 'none', 'temp dir removed');
  });

  it('takes over the lock of a run whose connection was lost (node paused), reported, and removes its temp directory', async () => {
    const fast: ConnectorFactory = (h) => connectorFactory({})({ ...h, options: { ...h.options, keepaliveIntervalMs: 500, keepaliveCountMax: 2 } });
    const heartbeat = { lockHeartbeatMs: 1_000, connectorFactory: fast };
    const id = set.node(NODE).containerId;
    let paused = false;
    // synchronously, so that the step's command meets a frozen node; the cgroup freezer can
    // fail under load ("unable to freeze"), so a few attempts
    const pause = () => {
      for (let i = 0; i < 5 && !paused; i++) {
        try {
          execFileSync('docker', ['pause', id], { stdio: 'pipe' });
          paused = true;
        } catch (e) {
          if (i === 4) throw e;
        }
      }
    };
    const lost = await run(sleepFor(30), { ...heartbeat, on: (e) => { if (e.type === 'step.start' && !paused) pause(); } });
    execFileSync('docker', ['unpause', id]);
    assert.equal(lost.recap.exitCode, 4, 'the lost host is unreachable');
    const deadTmp = await sh(`sed -n 's/^tmp //p' ${LOCK}`);
    assert.match(deadTmp, /^\/tmp\/capstan\.run\./, 'the dead run left its lock, naming its temp directory');

    const next = await run(sleepFor(0), { ...heartbeat, lockWaitMs: 20_000 });
    assert.equal(next.recap.exitCode, 0, JSON.stringify(next.events.filter((e) => e.type !== 'progress')));
    const takeover = warnings(next).find((w) => w.startsWith('took over the run lock'));
    assert.ok(takeover, `a takeover warning among ${JSON.stringify(warnings(next))}`);
    assert.match(takeover, new RegExp(`no heartbeat for \\d+ s; removed its temp directory ${deadTmp.replace(/\./g, '\\.')}`));
    assert.equal(await sh(`test -e ${deadTmp} && echo left || echo removed`), 'removed');
  });

  it('repairs an interrupted dpkg (dpkg --configure -a) before apt works, as a change of its own', async () => {
    await sh('touch /var/lib/dpkg/updates/0001');
    const aptGet = () => set.exec(NODE, ['apt-get', 'install', '-y', '-q', 'hostname']);
    assert.match((await aptGet()).stderr, /dpkg was interrupted, you must manually run 'dpkg --configure -a'/, 'apt refuses to work');
    const pb = definePlaybook({ name: 'apt', plays: [{ name: 'apt', hosts: 'all', become: true, gatherFacts: false, steps: [apt({ name: 'hostname' }, { name: 'hostname' })] }] });
    const check = await run(pb, { check: true });
    const planned = check.events.find((e) => e.type === 'host.step');
    assert.deepEqual(planned?.type === 'host.step' && planned.result.summaries, ['repair dpkg (dpkg was interrupted): dpkg --configure -a']);
    assert.equal(await sh('ls /var/lib/dpkg/updates'), '0001', 'check changed nothing');
    const apply = await run(pb);
    assert.equal(apply.recap.hosts[NODE]?.changed, 1);
    assert.equal(await sh('ls /var/lib/dpkg/updates'), '', 'the journal is settled');
    assert.equal((await aptGet()).exitCode, 0, 'apt works again');
    assert.equal((await run(pb)).recap.hosts[NODE]?.changed, 0, 'then nothing to do');
  });

  it('refuses a state directory writable by others, or not root\'s, saying what to fix', async () => {
    for (const [spoil, reason] of [['chmod 0777', /writable by group or others \(mode 777\): chmod 0700/], ['chown capstan', /owned by uid \d+, not by root/]] as const) {
      await sh(`${spoil} /var/lib/capstan`);
      try {
        const r = await run(sleepFor(0));
        assert.equal(r.recap.exitCode, 2);
        const failed = r.events.find((e) => e.type === 'host.step' && e.result.status === 'failed');
        assert.match(failed?.type === 'host.step' ? failed.result.msg ?? '' : '', reason);
        assert.equal(await sh(`test -e ${LOCK} || echo none`), 'none', 'no lock taken');
      } finally {
        await sh('chown root:root /var/lib/capstan && chmod 0700 /var/lib/capstan');
      }
    }
  });
});
