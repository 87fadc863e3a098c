import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { definePlaybook } from '../../src/define/playbook.ts';
import { flushHandlers, type Step } from '../../src/define/step.ts';
import { deferred, knownAfterApply } from '../../src/define/deferred.ts';
import { shell, command } from '../../src/modules/command.ts';
import { copy } from '../../src/modules/copy.ts';
import { testInventory } from '../support/inventory.ts';
import { runWithFakes } from '../support/run.ts';
import { FakeConnector } from '../support/fake-connector.ts';
import { RunState } from '../../src/engine/run-state.ts';

const one = (steps: Step[], extra = {}) => definePlaybook({ plays: [{ name: `p${Math.random()}`, hosts: 'all', gatherFacts: false, steps, ...extra }] });

describe('step options', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'capstan-opts-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a step result is a typed value later steps can read (register)', async () => {
    const probe = command({ argv: ['echo', 'hello world'] }, { checkMode: 'run', changedWhen: () => false });
    const use = shell({ script: `true` }, { name: 'use', when: (ctx) => ctx.result(probe)?.data?.stdout.trim() === 'hello world' });
    const r = await runWithFakes(one([probe, use]), testInventory({ n: ['n1'] }), { check: true });
    assert.equal(r.stepEvents('n1')[0]?.result.status, 'ok', 'changedWhen false turns the run into ok');
    assert.equal(r.stepEvents('n1')[1]?.result.status, 'changed', 'when saw the registered stdout');
  });

  it('checkMode "run" executes a read-only command under --check; commands without creates are not run and say so', async () => {
    const r = await runWithFakes(one([
      command({ argv: ['touch', `${dir}/ran`] }, { name: 'unguarded' }),
    ]), testInventory({ n: ['n1'] }), { check: true });
    const ev = r.stepEvents('n1')[0];
    assert.equal(ev?.result.status, 'changed');
    assert.match(ev?.result.uncertain ?? '', /cannot predict/);
    assert.throws(() => readFileSync(`${dir}/ran`));
  });

  it('flushHandlers runs the notified handlers at that point', async () => {
    const log = `${dir}/flush.log`;
    writeFileSync(log, '');
    const r = await runWithFakes(definePlaybook({ plays: [{
      name: `flush ${dir}`, hosts: 'all', gatherFacts: false,
      steps: [shell({ script: 'true' }, { notify: 'h' }), flushHandlers(), shell({ script: `echo after >> ${log}` })],
      handlers: { h: shell({ script: `echo handler >> ${log}` }) },
    }] }), testInventory({ n: ['n1'] }), { playbookId: `${dir}/flush` });
    assert.equal(r.recap.exitCode, 0);
    assert.equal(readFileSync(log, 'utf8'), 'handler\nafter\n');
  });

  it('runOnce runs on the first host only and shares the result', async () => {
    const log = `${dir}/once.log`;
    writeFileSync(log, '');
    const r = await runWithFakes(one([shell({ script: `echo x >> ${log}` }, { runOnce: true, name: 'once' })]), testInventory({ n: ['n1', 'n2', 'n3'] }));
    assert.equal(readFileSync(log, 'utf8'), 'x\n');
    assert.equal(r.stepEvents().filter((e) => e.step === 'once').length, 3);
  });

  for (const strategy of ['linear', 'free'] as const) {
    it(`a runOnce step that fails fails every host it answers for: none goes on to the next step (${strategy})`, async () => {
      const log = `${dir}/once-failed-${strategy}.log`;
      writeFileSync(log, '');
      const r = await runWithFakes(one([
        shell({ script: `echo once >> ${log}; exit 1` }, { runOnce: true, name: 'token' }),
        shell({ script: `echo next >> ${log}` }, { name: 'join' }),
      ], { strategy }), testInventory({ n: ['n1', 'n2', 'n3'] }));
      assert.equal(readFileSync(log, 'utf8'), 'once\n', 'ran once, and no host joined without the token');
      assert.equal(r.recap.exitCode, 2);
      for (const h of ['n1', 'n2', 'n3']) assert.equal(r.recap.hosts[h]?.failed, 1, `${h} failed`);
      assert.deepEqual(r.stepEvents().map((e) => `${e.host} ${e.step} ${e.result.status}`).sort(), ['n1 token failed', 'n2 token failed', 'n3 token failed']);
    });
  }

  it('a runOnce step that fails with ignoreErrors lets every host go on', async () => {
    const r = await runWithFakes(one([
      shell({ script: 'exit 1' }, { runOnce: true, name: 'token', ignoreErrors: true }),
      shell({ script: 'true # next' }, { name: 'join' }),
    ]), testInventory({ n: ['n1', 'n2'] }));
    assert.equal(r.recap.exitCode, 0);
    assert.deepEqual(r.stepEvents().filter((e) => e.step === 'join').map((e) => e.host).sort(), ['n1', 'n2']);
  });

  it('delegateTo runs the step on another host for this one', async () => {
    const r = await runWithFakes(one([shell({ script: 'true # delegated' }, { delegateTo: 'ctl', name: 'd' })], { hosts: 'web' }), testInventory({ web: ['w1'], ctl: ['ctl'] }));
    assert.ok(r.fakes.get('ctl')?.scripts.some((s) => s.includes('# delegated')));
    assert.ok(!r.fakes.get('w1')?.scripts.some((s) => s.includes('# delegated')));
    assert.equal(r.stepEvents('w1')[0]?.delegatedTo, 'ctl');
  });

  it('retries with until try again until the condition holds', async () => {
    const counter = `${dir}/count`;
    writeFileSync(counter, '');
    const r = await runWithFakes(one([
      shell({ script: `echo . >> ${counter}; test $(wc -l < ${counter}) -ge 3` }, { retries: 5, delayMs: 1, until: (res) => res.rc === 0, ignoreErrors: false }),
    ]), testInventory({ n: ['n1'] }));
    assert.equal(r.recap.exitCode, 0);
    assert.equal(readFileSync(counter, 'utf8').length, 6);
  });

  it('failedWhen turns a zero exit into a failure', async () => {
    const r = await runWithFakes(one([command({ argv: ['echo', 'ERROR: disk'] }, { failedWhen: (res) => /ERROR/.test(res.stdout ?? '') })]), testInventory({ n: ['n1'] }));
    assert.equal(r.recap.hosts.n1?.failed, 1);
  });

  it('--tags and --skip-tags select steps; "always" always runs', async () => {
    const steps = [shell({ script: 'true' }, { name: 'a', tags: ['web'] }), shell({ script: 'true' }, { name: 'b', tags: ['db'] }), shell({ script: 'true' }, { name: 'c', tags: ['always'] })];
    const r = await runWithFakes(one(steps), testInventory({ n: ['n1'] }), { tags: ['web'] });
    assert.deepEqual(r.stepEvents('n1').map((e) => e.step), ['a', 'c']);
    const s = await runWithFakes(one(steps), testInventory({ n: ['n1'] }), { skipTags: ['web'] });
    assert.deepEqual(s.stepEvents('n1').map((e) => e.step), ['b', 'c']);
  });

  it('a value only known after apply is shown as such under --check, never faked', async () => {
    const token = command({ argv: ['sh', '-c', `cat ${dir}/token 2>/dev/null || echo generated`] }, { name: 'read token', changedWhen: () => false });
    const write = copy({ dest: `${dir}/agent.conf`, content: deferred((ctx) => (ctx.check ? knownAfterApply('the server token') : `token=${ctx.result(token)?.data?.stdout.trim()}\n`)) }, { name: 'agent config' });
    const r = await runWithFakes(one([token, write]), testInventory({ n: ['n1'] }), { check: true });
    const ev = r.stepEvents('n1')[1];
    assert.equal(ev?.result.status, 'changed');
    assert.match(ev?.result.uncertain ?? '', /known after apply: the server token/);
    const applied = await runWithFakes(one([token, write]), testInventory({ n: ['n1'] }));
    assert.equal(applied.recap.exitCode, 0);
    assert.equal(readFileSync(`${dir}/agent.conf`, 'utf8'), 'token=generated\n');
  });

  it('under --check, a skip decided on an uncertain result is itself reported as uncertain', async () => {
    const probe = command({ argv: ['echo', 'ready'] }, { name: 'probe' });
    const after = shell({ script: 'true' }, { name: 'after', when: (ctx) => ctx.result(probe)?.data?.stdout.trim() === 'ready' });
    const r = await runWithFakes(one([probe, after]), testInventory({ n: ['n1'] }), { check: true });
    const ev = r.stepEvents('n1')[1];
    assert.equal(ev?.result.status, 'skipped');
    assert.match(ev?.result.uncertain ?? '', /known only after apply/);
  });
});

describe('the run lock', () => {
  it('is taken on the hosts the plays configure, not on a host only reached by delegation', () => {
    const inv = testInventory({ web: ['w1'], ctl: ['ctl'] });
    const options = { check: false, diff: false, forks: 1, tags: [], skipTags: [], extraVars: {}, playbookId: 't', connectorFactory: (h: { name: string }) => new FakeConnector(h.name) };
    const state = new RunState(inv, options as never, () => undefined, new Set(['w1']));
    assert.equal(state.session('w1').takesLock, true);
    assert.equal(state.session('ctl').takesLock, false);
    const unlocked = new RunState(inv, { ...options, noLock: true } as never, () => undefined, new Set(['w1']));
    assert.equal(unlocked.session('w1').takesLock, false);
  });
});
