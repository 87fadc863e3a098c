import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { definePlaybook } from '../../src/define/playbook.ts';
import { shell } from '../../src/modules/command.ts';
import { ExitCode, exitCodeFor } from '../../src/events.ts';
import { JsonReporter } from '../../src/output/json.ts';
import { testInventory } from '../support/inventory.ts';
import { runWithFakes } from '../support/run.ts';

const step = (name: string, extra: Parameters<typeof shell>[1] = {}) => shell({ script: `true # ${name}` }, { name, ...extra });
const pb = (steps = [step('a'), step('b')]) => definePlaybook({ plays: [{ name: 'p', hosts: 'all', gatherFacts: false, steps }] });
const inv = () => testInventory({ nodes: ['ok1', 'down', 'bad'] });

describe('unreachable is not failed', () => {
  it('a host that cannot be reached is UNREACHABLE, the others complete, exit 4', async () => {
    const r = await runWithFakes(pb(), inv(), { behaviour: { down: { unreachable: true } } });
    assert.deepEqual(r.recap.hosts.down, { ok: 0, changed: 0, uncertain: 0, failed: 0, skipped: 0, unreachable: 1, ignored: 0 });
    assert.equal(r.recap.hosts.ok1?.ok, 2);
    assert.equal(r.recap.exitCode, ExitCode.unreachable);
    assert.ok(r.events.some((e) => e.type === 'host.unreachable' && e.host === 'down'));
  });

  it('a host that drops mid-run is UNREACHABLE from then on', async () => {
    const r = await runWithFakes(pb([step('a'), step('b'), step('c')]), inv(), { behaviour: { down: { dropAfter: 3 } } });
    assert.equal(r.recap.hosts.down?.unreachable, 1);
    assert.equal(r.recap.hosts.down?.ok, 1);
    assert.equal(r.recap.hosts.ok1?.ok, 3);
  });

  it('failed and unreachable together give exit 6; failed alone 2', async () => {
    const fail = { failMatching: { pattern: /# a/, stderr: 'boom' } };
    const both = await runWithFakes(pb(), inv(), { behaviour: { down: { unreachable: true }, bad: fail } });
    assert.equal(both.recap.exitCode, ExitCode.failedAndUnreachable);
    const failed = await runWithFakes(pb(), inv(), { behaviour: { bad: fail } });
    assert.equal(failed.recap.exitCode, ExitCode.failed);
  });

  it('ignoreErrors counts the failure as ignored and goes on, but never hides an unreachable host', async () => {
    const r = await runWithFakes(pb([step('a', { ignoreErrors: true }), step('b')]), inv(), {
      behaviour: { bad: { failMatching: { pattern: /# a/, stderr: 'boom' } }, down: { unreachable: true } },
    });
    assert.deepEqual(r.recap.hosts.bad, { ok: 2, changed: 1, uncertain: 0, failed: 0, skipped: 0, unreachable: 0, ignored: 1 });
    assert.equal(r.recap.hosts.down?.unreachable, 1);
    assert.equal(r.recap.exitCode, ExitCode.unreachable);
  });

  it('exit codes have one meaning each', () => {
    const t = (o: Partial<Record<'failed' | 'unreachable', number>>) => ({ ok: 0, changed: 0, uncertain: 0, skipped: 0, ignored: 0, failed: 0, unreachable: 0, ...o });
    assert.equal(exitCodeFor([t({})], false), 0);
    assert.equal(exitCodeFor([t({ failed: 1 })], false), 2);
    assert.equal(exitCodeFor([t({ unreachable: 1 })], false), 4);
    assert.equal(exitCodeFor([t({ failed: 1 }), t({ unreachable: 1 })], false), 6);
    assert.equal(exitCodeFor([t({ failed: 1 })], true), 130);
    assert.equal(new Set(Object.values(ExitCode)).size, Object.values(ExitCode).length);
  });
});

describe('the recap and the event stream', () => {
  it('the recap is a data object with tallies, transport counters and the exit code', async () => {
    const r = await runWithFakes(pb(), testInventory({ nodes: ['n1'] }));
    assert.deepEqual(r.recap.hosts.n1, { ok: 2, changed: 2, uncertain: 0, failed: 0, skipped: 0, unreachable: 0, ignored: 0 });
    assert.equal(r.recap.transport.n1?.connections, 1);
    assert.equal(r.recap.exitCode, 0);
    assert.equal(r.recap.check, false);
  });

  it('--json prints one versioned JSON object per event, ending with the recap', async () => {
    const r = await runWithFakes(pb(), testInventory({ nodes: ['n1'] }));
    const lines: string[] = [];
    const rep = new JsonReporter((l) => lines.push(l));
    r.events.forEach((e) => rep.handle(e));
    const parsed = lines.map((l) => JSON.parse(l) as { v: number; type: string });
    assert.ok(lines.every((l) => l.endsWith('\n') && !l.slice(0, -1).includes('\n')));
    assert.ok(parsed.every((p) => p.v === 1));
    assert.deepEqual([parsed[0]?.type, parsed.at(-1)?.type], ['run.start', 'run.end']);
    assert.deepEqual(parsed.filter((p) => p.type === 'host.step').length, 2);
  });

  it('skipped steps are reported with their reason', async () => {
    const r = await runWithFakes(pb([step('a', { when: (ctx) => ctx.host !== 'n1' })]), testInventory({ nodes: ['n1'] }));
    assert.equal(r.stepEvents('n1')[0]?.result.status, 'skipped');
    assert.equal(r.recap.hosts.n1?.skipped, 1);
  });
});
