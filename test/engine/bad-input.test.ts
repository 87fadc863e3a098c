import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { definePlaybook } from '../../src/define/playbook.ts';
import { defineRole } from '../../src/define/role.ts';
import { file } from '../../src/modules/file.ts';
import { shell } from '../../src/modules/command.ts';
import { ConfigError } from '../../src/errors.ts';
import { testInventory } from '../support/inventory.ts';
import { runWithFakes } from '../support/run.ts';

const role = defineRole({
  name: 'web',
  vars: z.object({ web_port: z.number().int().min(1).max(65535).default(80), web_root: z.string().default('/srv/www') }),
  steps: (v) => [file({ path: v.web_root, state: 'directory' })],
});

async function configError(run: Promise<unknown>): Promise<ConfigError> {
  try {
    await run;
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected the run to be refused before connecting');
}

describe('bad input is refused before any connection, all problems at once', () => {
  it('a wrong variable type names the host, the variable path and where the value came from', async () => {
    const inv = testInventory({ web: ['w1', 'w2'] }, { w1: { web_port: 'eighty' } }, { web: { web_root: 42 } });
    const pb = definePlaybook({ plays: [{ name: 'site', hosts: 'web', roles: [role.use()] }] });
    let connected = 0;
    const e = await configError(runWithFakes(pb, inv, { behaviour: { w1: { onExec: () => void connected++ } } }));
    assert.equal(connected, 0);
    assert.match(e.message, /host w1: role web: .*\(value from host w1\)/);
    assert.match(e.message, /host w2: role web: .*\(value from group web\)/);
    assert.ok(e.problems.some((p) => p.keyPath === 'web_port'));
    assert.ok(e.problems.some((p) => p.keyPath === 'web_root'));
  });

  it('an unknown parameter in role.use() is refused (and fails tsc)', async () => {
    // @ts-expect-error web_prot is not a variable of the role
    const use = role.use({ web_prot: 8080 });
    const e = await configError(runWithFakes(definePlaybook({ plays: [{ name: 's', hosts: 'all', roles: [use] }] }), testInventory({ web: ['w1'] })));
    assert.match(e.message, /role web has no variable "web_prot"/);
  });

  it('bad module arguments name the step, the file and line of the call, and the key', async () => {
    // @ts-expect-error mode must be a string
    const bad = file({ path: '/tmp/x', state: 'directory', mode: 644 });
    const e = await configError(runWithFakes(definePlaybook({ plays: [{ name: 's', hosts: 'all', steps: [bad] }] }), testInventory({ web: ['w1'] })));
    const p = e.problems[0];
    assert.equal(p?.keyPath, 'args.mode');
    assert.match(p?.file ?? '', /bad-input\.test\.ts$/);
    assert.ok((p?.line ?? 0) > 0);
  });

  it('an unknown key in a step is refused', async () => {
    // @ts-expect-error owner is spelt wrong
    const bad = file({ path: '/tmp/x', ownr: 'root' });
    const e = await configError(runWithFakes(definePlaybook({ plays: [{ name: 's', hosts: 'all', steps: [bad] }] }), testInventory({ web: ['w1'] })));
    assert.match(e.message, /ownr/);
  });

  it('notifying a handler that does not exist is refused with the known names', async () => {
    const pb = definePlaybook({ plays: [{ name: 's', hosts: 'all', steps: [shell({ script: 'true' }, { notify: 'restart ap' })], handlers: { 'restart app': shell({ script: 'true' }) } }] });
    const e = await configError(runWithFakes(pb, testInventory({ web: ['w1'] })));
    assert.match(e.message, /notifies "restart ap"/);
    assert.match(e.message, /known handlers: restart app/);
  });

  it('a pattern or --limit that matches no host is an error', async () => {
    const pb = definePlaybook({ plays: [{ name: 's', hosts: 'dbs', steps: [] }] });
    await configError(runWithFakes(pb, testInventory({ web: ['w1'] })));
    await configError(runWithFakes(definePlaybook({ plays: [{ name: 's', hosts: 'web', steps: [] }] }), testInventory({ web: ['w1'] }), { limit: 'w9' }));
  });

  it('a NUL byte in an argument is refused', async () => {
    const e = await configError(runWithFakes(definePlaybook({ plays: [{ name: 's', hosts: 'all', steps: [file({ path: '/tmp/a\u0000b', state: 'directory' })] }] }), testInventory({ web: ['w1'] })));
    assert.match(e.message, /NUL/);
  });
});
