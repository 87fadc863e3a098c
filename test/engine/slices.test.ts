import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { definePlaybook, type PlayDefinition } from '../../src/define/playbook.ts';
import type { Step } from '../../src/define/step.ts';
import { shell } from '../../src/modules/command.ts';
import { parseSlice, sliceOf } from '../../src/engine/slice.ts';
import { validatePlaybook } from '../../src/engine/run.ts';
import { mergeSliceStreams } from '../../src/engine/recap-merge.ts';
import { ConfigError } from '../../src/errors.ts';
import type { RunEvent } from '../../src/events.ts';
import { testInventory } from '../support/inventory.ts';
import { runWithFakes, type TestRun } from '../support/run.ts';

const hosts = ['h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'h7'];
const inv = () => testInventory({ web: ['h1', 'h2', 'h3', 'h4'], db: ['h5', 'h6', 'h7'] });
const step = (name: string, o: Partial<Parameters<typeof shell>[1]> = {}) => shell({ script: `echo ${name}` }, { name, ...o });
const play = (over: Partial<PlayDefinition> = {}): PlayDefinition => ({ name: 'p', hosts: 'all', gatherFacts: false, steps: [step('one'), step('two')], ...over });
const validate = (pb: ReturnType<typeof definePlaybook>, slice?: string) =>
  validatePlaybook(pb, inv(), { extraVars: {}, tags: [], skipTags: [], ...(slice ? { slice: parseSlice(slice) } : {}) });

/** The --json lines a run printed, as a file holds them. */
const ndjson = (run: TestRun) => run.events.map((e) => JSON.stringify({ v: 1, ...e })).join('\n');

describe('slices: the K-th of N parts of a run', () => {
  it('K/N is checked: K from 1 to N', () => {
    assert.deepEqual(parseSlice('2/4'), { index: 2, count: 4 });
    for (const bad of ['0/4', '5/4', '1/0', 'a/b', '2', '2/4/1', '-1/3']) {
      assert.throws(() => parseSlice(bad), (e: unknown) => e instanceof ConfigError && /--slice takes K\/N/.test(e.message) && e.message.includes(JSON.stringify(bad)), bad);
    }
  });

  it('deals the selected hosts out in turn: every host in exactly one slice, sizes within one, the same every time', () => {
    const parts = [1, 2, 3].map((k) => sliceOf(hosts, { index: k, count: 3 }));
    assert.deepEqual(parts, [['h1', 'h4', 'h7'], ['h2', 'h5'], ['h3', 'h6']]);
    assert.deepEqual(parts.flat().sort(), [...hosts].sort());
    assert.deepEqual([1, 2, 3].map((k) => sliceOf(hosts, { index: k, count: 3 })), parts);
    assert.deepEqual(sliceOf(['a'], { index: 2, count: 2 }), [], 'more slices than hosts: a slice may be empty');
  });

  it('a host keeps its slice in every play that selects it; roles and steps still see the whole play', () => {
    const seen: string[] = [];
    const pb = definePlaybook({ plays: [
      { name: 'web', hosts: 'web', gatherFacts: false, steps: (_v, ctx) => { seen.push(`${ctx.host}:${ctx.playHosts.join(',')}`); return [step('w')]; } },
      { name: 'all', hosts: 'all', gatherFacts: false, steps: [step('a')] },
    ] });
    const p = validate(pb, '2/3');
    assert.deepEqual(p.plays.map((x) => x.hosts), [['h2'], ['h2', 'h5']]);
    assert.deepEqual(p.plays.map((x) => x.playHosts), [['h1', 'h2', 'h3', 'h4'], hosts]);
    assert.deepEqual([...p.otherSlices].sort(), ['h1', 'h3', 'h4', 'h6', 'h7']);
    assert.ok(seen.every((s) => s.endsWith(':h1,h2,h3,h4')), 'every web host was prepared against the whole play');
  });

  it('refuses, before connecting, what slices cannot keep: runOnce, serial batches, maxFailPercentage, anyErrorsFatal', () => {
    const cases: [Partial<PlayDefinition>, RegExp][] = [
      [{ steps: [step('once', { runOnce: true })] }, /runOnce steps would run once in every slice: "once"/],
      [{ serial: 2 }, /serial batches/],
      [{ maxFailPercentage: 20 }, /maxFailPercentage/],
      [{ anyErrorsFatal: true }, /anyErrorsFatal/],
    ];
    for (const [over, why] of cases) {
      const pb = definePlaybook({ plays: [play(over)] });
      assert.doesNotThrow(() => validate(pb), 'unsliced, the play is fine');
      assert.throws(() => validate(pb, '1/2'), (e: unknown) => e instanceof ConfigError && /play "p" cannot be sliced/.test(e.message) && why.test(e.message), String(why));
    }
  });

  it('a step reading the result of a host in another slice fails that host, naming both hosts', async () => {
    const probe: Step = step('probe');
    const reader = shell({ script: 'true' }, { name: 'reader', when: (ctx) => ctx.result(probe, 'h1') !== undefined });
    const pb = definePlaybook({ plays: [play({ steps: [probe, reader] })] });
    const run = await runWithFakes(pb, inv(), { slice: parseSlice('2/2') });
    const failed = run.stepEvents('h2').find((e) => e.step === 'reader');
    assert.equal(failed?.result.status, 'failed');
    assert.match(failed?.result.msg ?? '', /h2 reads the result of step "probe" on h1, which runs in another slice than this one 2\/2/);
  });

  it('merged, the slices report what one unsliced run reports: same hosts, tallies and exit code', async () => {
    const behaviour = { h3: { unreachable: true }, h6: { failMatching: { pattern: /echo two/, stderr: 'boom' } } };
    const pb = definePlaybook({ plays: [{ name: 'web', hosts: 'web', gatherFacts: false, steps: [step('one')] }, play()] });
    const whole = await runWithFakes(pb, inv(), { behaviour });
    assert.equal(whole.recap.exitCode, 6, 'failed and unreachable');
    const slices = await Promise.all([1, 2, 3].map((k) => runWithFakes(pb, inv(), { behaviour, slice: { index: k, count: 3 } })));
    assert.deepEqual(slices.map((s) => s.recap.exitCode), [0, 0, 6], 'h3 (unreachable) and h6 (failing) share slice 3; the others are fine');
    const merged = mergeSliceStreams(slices.map((s, i) => ({ name: `slice-${i + 1}.ndjson`, text: ndjson(s) })).reverse());
    assert.deepEqual(merged.problems, []);
    assert.deepEqual(Object.keys(merged.recap.hosts), hosts, 'hosts in the order one run selects them');
    assert.deepEqual(merged.recap.hosts, whole.recap.hosts);
    assert.equal(merged.recap.exitCode, whole.recap.exitCode);
    assert.deepEqual(Object.keys(merged.recap.transport).sort(), Object.keys(whole.recap.transport).sort());
  });
});

describe('recap merge refuses what is not the N slices of one run', () => {
  const pb = definePlaybook({ plays: [play()] });
  const sliced = (k: number, n = 3) => runWithFakes(pb, inv(), { slice: { index: k, count: n } }).then((r) => ndjson(r));

  it('a missing slice, a slice given twice, slices of different runs', async () => {
    const [s1, s2, s3] = await Promise.all([sliced(1), sliced(2), sliced(3)]);
    const merge = (...texts: string[]) => () => mergeSliceStreams(texts.map((text, i) => ({ name: `f${i + 1}`, text })));
    assert.throws(merge(s1!, s2!), /slices 3\/3 missing/);
    assert.throws(merge(s1!, s2!, s2!), /f3: slice 2\/3 is also in f2/);
    assert.throws(merge(s1!, s2!, await sliced(3, 4)), /slice count 4, but f1 has 3/);
    const other = s3!.replace(/"playbook":"test"/, '"playbook":"other.ts"');
    assert.throws(merge(s1!, s2!, other), /f3: playbook "other.ts", but f1 has "test"/);
    assert.throws(merge(s1!, s2!, `${s3}\n{"v":1,"type":`), /f3:\d+: not a JSON event/);
    assert.throws(merge('{"v":1,"type":"run.end","recap":{}}'), /f1: no run.start event/);
  });

  it('a slice that did not finish: its hosts are named and the exit code is 1, never 0', async () => {
    const [s1, s2, s3] = await Promise.all([sliced(1), sliced(2), sliced(3)]);
    const cut = s2!.split('\n').filter((l) => !l.includes('"run.end"')).join('\n');
    const merged = mergeSliceStreams([{ name: 'a', text: s1! }, { name: 'b', text: `npm warn something\n${cut}` }, { name: 'c', text: s3! }]);
    assert.equal(merged.recap.exitCode, 1);
    assert.deepEqual(merged.problems, ['slice 2/3 (b) did not finish: no recap for h2, h5; run that slice again']);
  });

  it('a sliced stream keeps its slice in run.start and the recap', async () => {
    const events = (await sliced(2)).split('\n').map((l) => JSON.parse(l) as RunEvent);
    const start = events.find((e) => e.type === 'run.start');
    const end = events.find((e) => e.type === 'run.end');
    assert.deepEqual(start?.type === 'run.start' && start.slice, { index: 2, count: 3, selected: 7 });
    assert.deepEqual(end?.type === 'run.end' && end.recap.slice, { index: 2, count: 3 });
    assert.deepEqual(start?.type === 'run.start' && start.hosts, ['h2', 'h5']);
  });
});
