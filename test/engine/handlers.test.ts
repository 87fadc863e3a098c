import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, existsSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { definePlaybook } from '../../src/define/playbook.ts';
import { shell } from '../../src/modules/command.ts';
import { testInventory } from '../support/inventory.ts';
import { runWithFakes } from '../support/run.ts';

describe('handlers', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'capstan-handlers-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  const playbook = (failAfter: boolean) => definePlaybook({
    plays: [{
      name: `handlers ${dir}`,
      hosts: 'all',
      gatherFacts: false,
      steps: [
        shell({ script: `touch ${dir}/config`, creates: `${dir}/config` }, { name: 'write config', notify: 'restart app' }),
        shell({ script: failAfter ? 'exit 3' : 'true', creates: failAfter ? '/nonexistent-guard' : '/' }, { name: 'later step' }),
      ],
      handlers: {
        'restart app': shell({ script: `echo restarted >> ${dir}/restarts` }, { name: 'restart app' }),
        'unused': shell({ script: `touch ${dir}/never` }),
      },
    }],
  });
  const inv = () => testInventory({ nodes: ['n1'] });
  const restarts = () => (existsSync(`${dir}/restarts`) ? readFileSync(`${dir}/restarts`, 'utf8').split('\n').filter(Boolean).length : 0);

  it('a notification survives a failure later in the play and fires on the next run', async () => {
    const first = await runWithFakes(playbook(true), inv(), { playbookId: dir });
    assert.equal(first.recap.hosts.n1?.failed, 1);
    assert.equal(existsSync(`${dir}/restarts`), false, 'handlers do not run on a failed host');

    const second = await runWithFakes(playbook(false), inv(), { playbookId: dir });
    assert.equal(second.stepEvents('n1').find((e) => e.step === 'write config')?.result.status, 'ok', 'the config is already there');
    assert.equal(second.stepEvents('n1').find((e) => e.handler)?.step, 'restart app', 'the journal re-notified the handler');
    assert.equal(existsSync(`${dir}/never`), false, 'handlers nobody notified do not run');

    const third = await runWithFakes(playbook(false), inv(), { playbookId: dir });
    assert.equal(third.stepEvents('n1').filter((e) => e.handler).length, 0, 'the journal was cleared after the handler ran');
  });

  it('a handler runs once at the end of the play even when notified several times', async () => {
    writeFileSync(`${dir}/restarts`, '');
    const pb = definePlaybook({
      plays: [{
        name: 'twice', hosts: 'all', gatherFacts: false,
        steps: [shell({ script: 'true' }, { notify: 'bounce' }), shell({ script: 'true' }, { notify: 'topic' })],
        handlers: { bounce: { steps: [shell({ script: `echo x >> ${dir}/restarts` })], listen: 'topic' } },
      }],
    });
    const r = await runWithFakes(pb, inv(), { playbookId: `${dir}/twice` });
    assert.equal(r.stepEvents('n1').filter((e) => e.handler).length, 1);
    assert.equal(restarts(), 1);
  });

  it('check mode reports handlers that would run and writes no journal', async () => {
    rmSync(`${dir}/config`, { force: true });
    const r = await runWithFakes(playbook(false), inv(), { check: true, playbookId: `${dir}/check` });
    assert.equal(r.stepEvents('n1').find((e) => e.handler)?.result.status, 'changed');
    assert.equal(existsSync(`${dir}/config`), false);
  });
});

describe('handler events', () => {
  it('carry the handler\'s place among all the play\'s handlers, whichever were notified (check and apply line up)', async () => {
    const pb = definePlaybook({
      plays: [{
        name: 'places', hosts: 'all', gatherFacts: false,
        steps: [shell({ script: 'true' }, { name: 'poke', notify: 'third' })],
        handlers: { first: shell({ script: 'true' }, { name: 'first' }), second: shell({ script: 'true' }, { name: 'second' }), third: shell({ script: 'true' }, { name: 'third' }) },
      }],
    });
    const r = await runWithFakes(pb, testInventory({ nodes: ['n1', 'n2'] }), { playbookId: `handler-places-${process.pid}` });
    const fired = r.stepEvents('n1').filter((e) => e.handler);
    assert.deepEqual(fired.map((e) => [e.step, e.index]), [['third', 2]]);
  });
});

describe('handlers under --check', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'capstan-handler-check-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  const play = (certainToo: boolean) => definePlaybook({ plays: [{
    name: 'p', hosts: 'all', gatherFacts: false,
    steps: [
      shell({ script: 'true' }, { name: 'a command check cannot predict', notify: 'restart app' }),
      ...(certainToo ? [shell({ script: `touch ${dir}/made`, creates: `${dir}/made` }, { name: 'a certain change', notify: 'restart app' })] : []),
    ],
    handlers: { 'restart app': shell({ script: `touch ${dir}/restarted`, creates: `${dir}/restarted` }) },
  }] });

  it('a handler called only by steps that cannot be predicted cannot be predicted either', async () => {
    const r = await runWithFakes(play(false), testInventory({ all: ['h1'] }), { check: true });
    const handler = r.stepEvents('h1').find((e) => e.handler);
    assert.equal(handler?.result.status, 'changed');
    assert.match(handler?.result.uncertain ?? '', /runs only if a step that cannot be predicted changes \(a command without creates\/removes/);
    assert.equal(r.recap.hosts.h1?.changed, 0, 'nothing is counted as a certain change');
  });

  it('one certain notification makes the handler a certain prediction', async () => {
    const r = await runWithFakes(play(true), testInventory({ all: ['h1'] }), { check: true });
    const handler = r.stepEvents('h1').find((e) => e.handler);
    assert.equal(handler?.result.status, 'changed');
    assert.equal(handler?.result.uncertain, undefined);
    assert.equal(existsSync(join(dir, 'restarted')), false, 'check ran nothing');
  });
});
