import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { definePlaybook, type PlayDefinition } from '../../src/define/playbook.ts';
import { shell } from '../../src/modules/command.ts';
import { serialBatches } from '../../src/engine/scheduler.ts';
import { testInventory } from '../support/inventory.ts';
import { runWithFakes } from '../support/run.ts';

const hosts = ['h1', 'h2', 'h3', 'h4', 'h5', 'h6'];
const inv = () => testInventory({ nodes: hosts });
const marker = (name: string) => shell({ script: `true # ${name}`, creates: '/nonexistent-capstan-guard' }, { name });
const play = (over: Partial<PlayDefinition> = {}): PlayDefinition => ({ name: 'p', hosts: 'nodes', gatherFacts: false, steps: [marker('one'), marker('two')], ...over });

/** Records "host:step" in the order the scripts reached the hosts, with concurrency. */
function recorder() {
  const order: string[] = [];
  let running = 0;
  let peak = 0;
  const onExec = async (host: string, req: { script: string }) => {
    const m = /# (\w+)/.exec(req.script);
    if (!m) return;
    running++;
    peak = Math.max(peak, running);
    order.push(`${host}:${m[1]}`);
    await new Promise((r) => setTimeout(r, host === 'h1' ? 40 : 5));
    running--;
  };
  return { order, onExec, peak: () => peak };
}

describe('scheduler', () => {
  it('lockstep: every host finishes a step before any host starts the next', async () => {
    const rec = recorder();
    const behaviour = Object.fromEntries(hosts.map((h) => [h, { onExec: rec.onExec }]));
    await runWithFakes(definePlaybook({ plays: [play()] }), inv(), { behaviour, forks: 6 });
    const firstTwo = rec.order.findIndex((o) => o.endsWith(':two'));
    assert.equal(firstTwo, hosts.length, `all "one" before any "two": ${rec.order.join(' ')}`);
  });

  it('free: a fast host goes on without waiting for a slow one', async () => {
    // h1's first step lasts until h2 has reached its second step (bounded): under lockstep h2
    // would wait for h1, the bound would end h1's step, and h2 would start "two" only after.
    const order: string[] = [];
    let reached: () => void = () => undefined;
    const h2AtTwo = new Promise<void>((r) => (reached = r));
    const onExec = async (host: string, req: { script: string }) => {
      const step = /# (\w+)/.exec(req.script)?.[1];
      if (!step) return;
      order.push(`${host}:${step}`);
      if (host === 'h2' && step === 'two') reached();
      if (host === 'h1' && step === 'one') {
        await Promise.race([h2AtTwo, new Promise((r) => setTimeout(r, 10_000))]);
        order.push('h1:one-done');
      }
    };
    const behaviour = Object.fromEntries(hosts.map((h) => [h, { onExec }]));
    await runWithFakes(definePlaybook({ plays: [play({ strategy: 'free' })] }), inv(), { behaviour, forks: 6 });
    assert.ok(order.indexOf('h2:two') < order.indexOf('h1:one-done'), `h2 starts its second step while h1 is still on its first: ${order.join(' ')}`);
  });

  it('never works on more hosts at once than --forks', async () => {
    const rec = recorder();
    const behaviour = Object.fromEntries(hosts.map((h) => [h, { onExec: rec.onExec }]));
    await runWithFakes(definePlaybook({ plays: [play()] }), inv(), { behaviour, forks: 2 });
    assert.equal(rec.peak(), 2);
  });

  it('serial: splits hosts into batches by count, percentage, or a list whose last entry repeats', () => {
    assert.deepEqual(serialBatches(hosts, 4), [['h1', 'h2', 'h3', 'h4'], ['h5', 'h6']]);
    assert.deepEqual(serialBatches(hosts, '50%'), [['h1', 'h2', 'h3'], ['h4', 'h5', 'h6']]);
    assert.deepEqual(serialBatches(hosts, [1, 2]), [['h1'], ['h2', 'h3'], ['h4', 'h5'], ['h6']]);
    assert.deepEqual(serialBatches(hosts, '10%'), hosts.map((h) => [h]), 'a batch has at least one host');
  });

  it('serial: a batch runs the whole play before the next batch starts', async () => {
    const rec = recorder();
    const behaviour = Object.fromEntries(hosts.map((h) => [h, { onExec: rec.onExec }]));
    await runWithFakes(definePlaybook({ plays: [play({ serial: 3 })] }), inv(), { behaviour, forks: 6 });
    assert.deepEqual(rec.order.slice(0, 6).map((o) => o.split(':')[0]).sort(), ['h1', 'h1', 'h2', 'h2', 'h3', 'h3']);
  });

  it('serial chosen by a variable: the play vars under -e decide the batch size', async () => {
    const rec = recorder();
    const behaviour = Object.fromEntries(hosts.map((h) => [h, { onExec: rec.onExec }]));
    const pb = definePlaybook({ plays: [play({ vars: { batch: 4 }, serial: (v) => Number(v.batch) })] });
    await runWithFakes(pb, inv(), { behaviour, forks: 6, extraVars: { batch: 2 } });
    assert.deepEqual(rec.order.slice(0, 4).map((o) => o.split(':')[0]).sort(), ['h1', 'h1', 'h2', 'h2'], rec.order.join(' '));
  });

  it('serial chosen by a variable: a value that is no batch size is refused before any connection', async () => {
    const pb = definePlaybook({ plays: [play({ serial: (v) => Number(v.batch) })] });
    await assert.rejects(runWithFakes(pb, inv(), { extraVars: { batch: 'two' } }), (e: Error) => {
      assert.match(e.message, /play "p": serial must be a positive whole number of hosts or a percentage such as "25%", not null/);
      return true;
    });
  });

  it('maxFailPercentage stops the play when too many hosts of a batch fail', async () => {
    const failing = { failMatching: { pattern: /# one/, stderr: 'boom' } };
    const r = await runWithFakes(definePlaybook({ plays: [play({ maxFailPercentage: 20 })] }), inv(), { behaviour: { h1: failing, h2: failing } });
    assert.equal(r.stepEvents().filter((e) => e.step === 'two').length, 0, 'no host starts step two');
    assert.ok(r.events.some((e) => e.type === 'warning' && /stopped/.test(e.message)));
  });

  it('anyErrorsFatal stops every host after a failure', async () => {
    const r = await runWithFakes(definePlaybook({ plays: [play({ anyErrorsFatal: true })] }), inv(), { behaviour: { h3: { failMatching: { pattern: /# one/, stderr: 'boom' } } } });
    assert.equal(r.stepEvents().filter((e) => e.step === 'two').length, 0);
    assert.equal(r.recap.exitCode, 2);
  });

  for (const limit of [{ anyErrorsFatal: true }, { maxFailPercentage: 20 }]) {
    it(`a tripped ${Object.keys(limit)[0]} ends the run: the next play starts on no host`, async () => {
      const failing = { failMatching: { pattern: /# one/, stderr: 'boom' } };
      const pb = definePlaybook({ plays: [play(limit), { ...play(), name: 'after' }] });
      const r = await runWithFakes(pb, inv(), { behaviour: { h1: failing, h2: failing } });
      assert.deepEqual(r.events.filter((e) => e.type === 'play.start').map((e) => e.play), ['p']);
      assert.equal(r.recap.exitCode, 2);
      assert.ok(r.events.some((e) => e.type === 'warning' && /later plays do not start/.test(e.message)));
    });
  }

  it('a failed host stops; the others go on', async () => {
    const r = await runWithFakes(definePlaybook({ plays: [play()] }), inv(), { behaviour: { h2: { failMatching: { pattern: /# one/, stderr: 'no space left' } } } });
    assert.equal(r.recap.hosts.h2?.failed, 1);
    assert.equal(r.stepEvents('h2').length, 1);
    assert.equal(r.stepEvents('h3').length, 2);
    const failed = r.stepEvents('h2')[0];
    assert.match(failed?.result.msg ?? '', /no space left/);
  });
});
