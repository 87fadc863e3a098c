import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { definePlaybook } from '../../src/define/playbook.ts';
import { file } from '../../src/modules/file.ts';
import { testInventory } from '../support/inventory.ts';
import { runWithFakes } from '../support/run.ts';

describe('facts are batched and never stale', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'capstan-rt-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  const dirs = ['a', 'b', 'c', 'd', 'e'];
  const pb = () => definePlaybook({
    plays: [{ name: 'dirs', hosts: 'all', steps: dirs.map((d) => file({ path: `${dir}/${d}`, state: 'directory', mode: '0750' })) }],
  });

  it('a warm run costs two round trips per host: one batch to read everything, one to clean up', async () => {
    await runWithFakes(pb(), testInventory({ nodes: ['n1'] }));
    const warm = await runWithFakes(pb(), testInventory({ nodes: ['n1'] }));
    assert.equal(warm.recap.hosts.n1?.changed, 0);
    assert.deepEqual(warm.recap.transport.n1, { roundTrips: 2, connections: 1 });
  });

  it('after a change, later steps read fresh facts (a batched fact never hides a change)', async () => {
    mkdirSync(`${dir}/x`, { mode: 0o700 });
    const twice = definePlaybook({
      plays: [{ name: 'twice', hosts: 'all', gatherFacts: false, steps: [
        file({ path: `${dir}/x`, state: 'directory', mode: '0755' }, { name: 'first' }),
        file({ path: `${dir}/x`, state: 'directory', mode: '0755' }, { name: 'second' }),
      ] }],
    });
    const r = await runWithFakes(twice, testInventory({ nodes: ['n1'] }));
    assert.equal(r.stepEvents('n1')[0]?.result.status, 'changed');
    assert.equal(r.stepEvents('n1')[1]?.result.status, 'ok', 'the second step saw the mode the first one set');
  });

  it('check mode: later steps see the predicted state of earlier ones', async () => {
    const r = await runWithFakes(twiceCreate(`${dir}/new`), testInventory({ nodes: ['n1'] }), { check: true });
    const [create, again] = r.stepEvents('n1');
    assert.equal(create?.result.status, 'changed');
    assert.equal(again?.result.status, 'ok', 'the second step plans against the directory the first would create');
  });
});

function twiceCreate(path: string) {
  return definePlaybook({
    plays: [{ name: 'predict', hosts: 'all', gatherFacts: false, steps: [
      file({ path, state: 'directory', mode: '0700' }),
      file({ path, state: 'directory', mode: '0700' }),
    ] }],
  });
}

describe('host facts', () => {
  it('stay available to later steps after a change on the host', async () => {
    const { shell } = await import('../../src/modules/command.ts');
    const seen: (number | undefined)[] = [];
    const pb = definePlaybook({ plays: [{ name: 'facts', hosts: 'all', steps: [
      shell({ script: 'true' }, { name: 'a change' }),
      shell({ script: 'true' }, { name: 'reads facts', when: (ctx) => (seen.push(ctx.facts?.cpus), true) }),
    ] }] });
    await runWithFakes(pb, testInventory({ nodes: ['n1'] }));
    assert.ok((seen[0] ?? 0) >= 1, `host facts were ${String(seen[0])} after the change`);
  });
});

describe('prefetching facts of steps whose arguments are deferred', () => {
  it('a warm run with a template rendered from host facts still costs two round trips', async () => {
    const { template } = await import('../../src/modules/template.ts');
    const { deferred } = await import('../../src/define/deferred.ts');
    const dir = mkdtempSync(join(tmpdir(), 'capstan-rt-deferred-'));
    try {
      const pb = () => definePlaybook({ plays: [{ name: 'deferred', hosts: 'all', steps: [
        file({ path: `${dir}/conf`, state: 'directory', mode: '0755' }),
        template({ content: 'cpus=<%= cpus %>\n', dest: `${dir}/conf/app.conf`, mode: '0644', vars: deferred((ctx) => ({ cpus: ctx.facts?.cpus ?? 1 })) }),
      ] }] });
      const cold = await runWithFakes(pb(), testInventory({ nodes: ['n1'] }));
      assert.equal(cold.recap.exitCode, 0);
      const warm = await runWithFakes(pb(), testInventory({ nodes: ['n1'] }));
      assert.equal(warm.recap.hosts.n1?.changed, 0);
      assert.equal(warm.recap.transport.n1?.roundTrips, 2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
