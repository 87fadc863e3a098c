import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, existsSync, statSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { definePlaybook } from '../../src/define/playbook.ts';
import { file } from '../../src/modules/file.ts';
import { shell } from '../../src/modules/command.ts';
import { testInventory } from '../support/inventory.ts';
import { runWithFakes } from '../support/run.ts';

describe('a playbook through its lifecycle: check, apply, apply again, check again', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'capstan-lifecycle-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  const playbook = () =>
    definePlaybook({
      name: 'lifecycle',
      plays: [{
        name: 'prepare',
        hosts: 'nodes',
        steps: (v) => [
          file({ path: `${dir}/${v.inventory_hostname as string}`, state: 'directory', mode: '0750' }, { name: 'host directory' }),
          shell({ script: `echo ready > ${dir}/${v.inventory_hostname as string}/flag`, creates: `${dir}/${v.inventory_hostname as string}/flag` }, { name: 'flag file' }),
          file({ path: `${dir}/${v.inventory_hostname as string}/flag`, state: 'file', mode: '0600' }, { name: 'flag mode' }),
        ],
      }],
    });
  const inv = () => testInventory({ nodes: ['n1', 'n2'] }, { n1: { inventory_hostname: 'n1' }, n2: { inventory_hostname: 'n2' } });

  it('check on a fresh host predicts every change and changes nothing', async () => {
    const r = await runWithFakes(playbook(), inv(), { check: true });
    assert.equal(r.recap.exitCode, 0);
    assert.deepEqual(r.recap.hosts.n1, { ok: 2, changed: 2, uncertain: 1, failed: 0, skipped: 0, unreachable: 0, ignored: 0 });
    assert.equal(existsSync(`${dir}/n1`), false, 'check mode must not create anything');
    const flagMode = r.stepEvents('n1').find((e) => e.step === 'flag mode');
    assert.equal(flagMode?.result.status, 'changed', 'the later step sees the predicted file, not a missing one');
    assert.ok(flagMode?.result.uncertain, 'what the command writes is known after apply: "cannot predict", counted apart');
  });

  it('apply makes the changes', async () => {
    const r = await runWithFakes(playbook(), inv());
    assert.equal(r.recap.exitCode, 0);
    assert.equal(r.recap.hosts.n2?.changed, 3);
    assert.equal(statSync(`${dir}/n2`).mode & 0o777, 0o750);
    assert.equal(statSync(`${dir}/n2/flag`).mode & 0o777, 0o600);
    assert.equal(readFileSync(`${dir}/n2/flag`, 'utf8'), 'ready\n');
  });

  it('apply again reports zero changes', async () => {
    const r = await runWithFakes(playbook(), inv());
    assert.deepEqual(r.recap.hosts.n1, { ok: 3, changed: 0, uncertain: 0, failed: 0, skipped: 0, unreachable: 0, ignored: 0 });
  });

  it('check after apply reports zero changes', async () => {
    const r = await runWithFakes(playbook(), inv(), { check: true });
    assert.equal(r.recap.hosts.n1?.changed, 0);
    assert.equal(r.recap.hosts.n2?.changed, 0);
  });
});
