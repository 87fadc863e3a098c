/**
 * Steps have an identity: hosts whose step lists differ (conditional steps, roles whose steps
 * depend on host variables, loops of different lengths, a flush or a runOnce step on some
 * hosts only) still run every one of their steps, in their own order, and a lockstep play
 * runs each step together on exactly the hosts that have it.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { definePlaybook, type PlayDefinition } from '../../src/define/playbook.ts';
import { defineRole } from '../../src/define/role.ts';
import { flushHandlers, loop, type Step, type StepOptions } from '../../src/define/step.ts';
import { shell } from '../../src/modules/command.ts';
import { testInventory } from '../support/inventory.ts';
import { stepRounds } from '../../src/engine/step-identity.ts';
import { runWithFakes, type TestRun } from '../support/run.ts';

/** A step that always runs (and so changes), recognisable in the script the host receives. */
const marker = (name: string, options: StepOptions = {}) => shell({ script: `true # ${name}`, creates: '/nonexistent-capstan-guard' }, { name, ...options });

/** Records, per host, the markers in the order the host ran them. */
function recorder(hosts: string[]) {
  const ran: Record<string, string[]> = Object.fromEntries(hosts.map((h) => [h, []]));
  const behaviour = Object.fromEntries(hosts.map((h) => [h, {
    onExec: async (host: string, req: { script: string }) => {
      for (const m of req.script.matchAll(/# ([\w-]+)/g)) ran[host]?.push(m[1] as string);
      await new Promise((r) => setTimeout(r, host === 'h1' ? 15 : 2));
    },
  }]));
  return { ran, behaviour };
}

/** The steps the play started, each with the hosts it ran on: `name [h1,h2]`. */
function started(r: TestRun): string[] {
  return r.events.flatMap((e) => (e.type === 'step.start' ? [`${e.handler ? 'handler ' : ''}${e.step} [${e.hosts.join(',')}]`] : []));
}

/** Every host.step event belongs to the step.start before it: same name, index and id. */
function assertEventsConsistent(r: TestRun): void {
  let current: { step: string; index: number; stepId?: string } | undefined;
  for (const e of r.events) {
    if (e.type === 'step.start') current = e;
    if (e.type !== 'host.step' || e.index < 0) continue;
    assert.ok(current, `host.step ${e.step} on ${e.host} before any step.start`);
    assert.deepEqual([e.step, e.index, e.stepId], [current.step, current.index, current.stepId], `host.step of ${e.host} reports the step that was started`);
  }
}

async function run(hosts: string[], play: Partial<PlayDefinition>, hostVars: Record<string, Record<string, unknown>> = {}) {
  const rec = recorder(hosts);
  const pb = definePlaybook({ plays: [{ name: 'p', hosts: 'nodes', gatherFacts: false, ...play }] });
  const r = await runWithFakes(pb, testInventory({ nodes: hosts }, hostVars), { behaviour: rec.behaviour, forks: 5 });
  if (play.strategy !== 'free') assertEventsConsistent(r);
  return { ...r, ran: rec.ran };
}

describe('step identity: hosts with different step lists', () => {
  it('a conditional step before a flush runs on its host; nothing after it is skipped', async () => {
    const r = await run(['h1', 'h2'], {
      steps: (_v, ctx) => [
        marker('a', { notify: 'restart' }),
        ...(ctx.host === 'h2' ? [marker('x')] : []),
        flushHandlers(),
        marker('b'),
      ],
      handlers: { restart: marker('hdl') },
    });
    assert.deepEqual(r.ran, { h1: ['a', 'hdl', 'b'], h2: ['a', 'x', 'hdl', 'b'] });
    assert.deepEqual(started(r), ['a [h1,h2]', 'x [h2]', 'handler hdl [h1,h2]', 'b [h1,h2]']);
    assert.equal(r.recap.exitCode, 0);
  });

  it('a role whose steps depend on host variables runs each host its own steps, aligned by identity', async () => {
    const role = defineRole({
      name: 'extras',
      vars: z.object({ extras: z.array(z.string()).default([]), tail: z.boolean().default(true) }),
      steps: (v) => [marker('pre'), ...v.extras.map((e) => marker(e)), ...(v.tail ? [marker('post')] : [])],
    });
    const r = await run(['h1', 'h2', 'h3'], { roles: [role.use()] }, { h2: { extras: ['e1', 'e2'] }, h3: { extras: ['e2'], tail: false } });
    assert.deepEqual(r.ran, { h1: ['pre', 'post'], h2: ['pre', 'e1', 'e2', 'post'], h3: ['pre', 'e2'] });
    assert.deepEqual(started(r), ['pre [h1,h2,h3]', 'e1 [h2]', 'e2 [h2,h3]', 'post [h1,h2]']);
  });

  it('loops of different lengths: every item of every host runs, and the step after them runs on all', async () => {
    const items = { h1: ['i1', 'i2'], h2: ['i1', 'i2', 'i3'] };
    const r = await run(['h1', 'h2'], {
      steps: (_v, ctx) => [
        ...items[ctx.host as 'h1'].map((i) => marker(`map-${i}`)),
        loop(items[ctx.host as 'h1'], (i) => shell({ script: `true # loop-${i}`, creates: '/nonexistent-capstan-guard' }), { name: 'loop' }),
        marker('end'),
      ],
    });
    assert.deepEqual(r.ran, {
      h1: ['map-i1', 'map-i2', 'loop-i1', 'loop-i2', 'end'],
      h2: ['map-i1', 'map-i2', 'map-i3', 'loop-i1', 'loop-i2', 'loop-i3', 'end'],
    });
    assert.deepEqual(started(r), ['map-i1 [h1,h2]', 'map-i2 [h1,h2]', 'map-i3 [h2]', 'loop [h1,h2]', 'end [h1,h2]']);
  });

  it('a flush on one host only flushes that host there; the other host runs its next step', async () => {
    const r = await run(['h1', 'h2'], {
      steps: (_v, ctx) => [marker('a', { notify: 'restart' }), ...(ctx.host === 'h1' ? [flushHandlers()] : []), marker('b')],
      handlers: { restart: marker('hdl') },
    });
    assert.deepEqual(r.ran, { h1: ['a', 'hdl', 'b'], h2: ['a', 'b', 'hdl'] });
    assert.deepEqual(started(r), ['a [h1,h2]', 'handler hdl [h1]', 'b [h1,h2]', 'handler hdl [h2]']);
  });

  it('runOnce on a step some hosts lack runs once, on the first host that has it, shared only with hosts that have it', async () => {
    const r = await run(['h1', 'h2', 'h3'], {
      steps: (_v, ctx) => [marker('a'), ...(ctx.host === 'h1' ? [] : [marker('once', { runOnce: true })]), marker('b')],
    });
    assert.deepEqual(r.ran, { h1: ['a', 'b'], h2: ['a', 'once', 'b'], h3: ['a', 'b'] });
    assert.deepEqual(started(r), ['a [h1,h2,h3]', 'once [h2,h3]', 'b [h1,h2,h3]']);
    assert.deepEqual(r.stepEvents().filter((e) => e.step === 'once').map((e) => `${e.host}: ${e.result.reason ?? e.result.status}`), ['h2: changed', 'h3: run once on h2']);
  });

  it('runOnce on the first host only never hands its result to another step of another host', async () => {
    const r = await run(['h1', 'h2'], {
      steps: (_v, ctx) => [marker('a'), ...(ctx.host === 'h1' ? [marker('once', { runOnce: true })] : []), marker('b')],
    });
    assert.deepEqual(r.ran, { h1: ['a', 'once', 'b'], h2: ['a', 'b'] });
    assert.deepEqual(started(r), ['a [h1,h2]', 'once [h1]', 'b [h1,h2]']);
  });

  it('free strategy: a runOnce step at different positions on different hosts runs once', async () => {
    const r = await run(['h1', 'h2', 'h3'], {
      strategy: 'free',
      steps: (_v, ctx) => [marker('a'), ...(ctx.host === 'h1' ? [] : [marker(`x-${ctx.host}`)]), marker('once', { runOnce: true }), marker('b')],
    });
    assert.equal(Object.values(r.ran).flat().filter((s) => s === 'once').length, 1, `once ran once: ${JSON.stringify(r.ran)}`);
    for (const h of ['h1', 'h2', 'h3']) assert.deepEqual(r.ran[h]?.filter((s) => s !== 'once'), ['a', ...(h === 'h1' ? [] : [`x-${h}`]), 'b']);
    assert.deepEqual(r.stepEvents().filter((e) => e.step === 'once').map((e) => e.host).sort(), ['h1', 'h2', 'h3']);
  });

  it('handlers run on every host that has them, not only those the first host defines', async () => {
    const role = defineRole({
      name: 'svc',
      vars: z.object({ svc: z.boolean().default(false) }),
      steps: (v) => [marker('a', v.svc ? { notify: 'restart svc' } : {}), marker('b')],
      handlers: (v): Record<string, Step> => (v.svc ? { 'restart svc': marker('hdl-svc') } : {}),
    });
    const r = await run(['h1', 'h2'], { roles: [role.use()] }, { h2: { svc: true } });
    assert.deepEqual(r.ran, { h1: ['a', 'b'], h2: ['a', 'b', 'hdl-svc'] });
  });

  it('ctx.result(step, host) reads the result of the same declared step on another host', async () => {
    const r = await run(['h1', 'h2'], {
      steps: (_v, ctx) => {
        const probe = marker('probe', { when: (c) => c.host === 'h2' });
        return [probe, marker('after', { when: (c) => ctx.host === 'h2' || c.result(probe, 'h2')?.status === 'changed' })];
      },
    });
    assert.deepEqual(r.ran, { h1: ['after'], h2: ['probe', 'after'] });
  });

  it('a later play on another host reads a step by its declaration, without sharing the step object', async () => {
    const convert = () => marker('convert');
    const rec = recorder(['h1', 'h2']);
    const pb = definePlaybook({ plays: [
      { name: 'first', hosts: 'h1', gatherFacts: false, steps: () => [convert()] },
      { name: 'second', hosts: 'h2', gatherFacts: false, steps: () => [marker('join', { when: (c) => c.result(convert(), 'h1')?.status === 'changed' })] },
    ] });
    await runWithFakes(pb, testInventory({ nodes: ['h1', 'h2'] }), { behaviour: rec.behaviour });
    assert.deepEqual(rec.ran, { h1: ['convert'], h2: ['join'] });
  });
});

describe('stepRounds: one lockstep order for several hosts', () => {
  const rounds = (lists: Record<string, string[]>) => stepRounds(new Map(Object.entries(lists))).map((r) => `${r.id} [${r.hosts.join(',')}]`);

  it('keeps every host order and runs a shared step once for all its hosts', () => {
    assert.deepEqual(rounds({ h1: ['a', 'flush', 'b'], h2: ['a', 'x', 'flush', 'b'] }), ['a [h1,h2]', 'x [h2]', 'flush [h1,h2]', 'b [h1,h2]']);
    assert.deepEqual(rounds({ h1: ['a', 'c'], h2: ['b', 'c'], h3: [] }), ['a [h1]', 'b [h2]', 'c [h1,h2]']);
  });

  it('hosts that disagree on the order of two steps each still run both, in their own order', () => {
    const r = rounds({ h1: ['a', 'b', 'c'], h2: ['b', 'a', 'c'] });
    assert.deepEqual(r, ['a [h1]', 'b [h1,h2]', 'a [h2]', 'c [h1,h2]']);
  });
});
