import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { definePlaybook } from '../../src/define/playbook.ts';
import { defineRole } from '../../src/define/role.ts';
import { file } from '../../src/modules/file.ts';
import { shell } from '../../src/modules/command.ts';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../src/errors.ts';
import { validatePlaybook } from '../../src/engine/run.ts';
import { loadInventoryView } from '../../src/inventory/view.ts';
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

/** Loads an inventory written to a throwaway file named `name` (its format follows the name), then removes it. */
async function withInventoryFile(name: string, text: string, use: (inv: Awaited<ReturnType<typeof loadInventoryView>>) => unknown): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'capstan-inv-'));
  try {
    const file = join(dir, name);
    writeFileSync(file, text);
    await use(await loadInventoryView([file]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
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

  it('a play whose pattern selects no host (an empty group, a --limit leaving it none) is skipped with a warning while another play has hosts', async () => {
    await withInventoryFile('hosts.yml', 'all:\n  children:\n    server:\n      hosts:\n        s1: {ansible_host: 10.0.0.1}\n        s2: {ansible_host: 10.0.0.2}\n    agent:\n      hosts: {}\n', (inv) => {
      const pb = definePlaybook({ plays: [
        { name: 'servers', hosts: 'server', steps: [shell({ script: 'true' })] },
        { name: 'agents', hosts: 'agent', steps: [shell({ script: 'true' })] },
      ] });
      const o = { extraVars: {}, tags: [], skipTags: [] };
      const p = validatePlaybook(pb, inv, o);
      assert.deepEqual(p.plays.map((x) => x.definition.name), ['servers']);
      assert.deepEqual(p.warnings, ['play "agents": pattern "agent" matches no host: skipped']);
      const limited = validatePlaybook(pb, inv, { ...o, limit: 's2' });
      assert.deepEqual(limited.plays.map((x) => [x.definition.name, x.hosts]), [['servers', ['s2']]]);
      // Still errors: a name no inventory has (a typo), and a playbook where no play selects a host.
      assert.throws(() => validatePlaybook(definePlaybook({ plays: [{ name: 'x', hosts: 'agnet', steps: [] }, pb.plays[0]!] }), inv, o), /"agnet" matches no group or host/);
      assert.throws(() => validatePlaybook(pb, inv, { ...o, limit: 'agent' }), /play "servers": --limit "agent" leaves no host[\s\S]*play "agents": pattern "agent" matches no host/);
    });
  });

  it('a NUL byte in an argument is refused', async () => {
    const e = await configError(runWithFakes(definePlaybook({ plays: [{ name: 's', hosts: 'all', steps: [file({ path: '/tmp/a\u0000b', state: 'directory' })] }] }), testInventory({ web: ['w1'] })));
    assert.match(e.message, /NUL/);
  });

  const twoPlays = definePlaybook({
    plays: [
      { name: 'one', hosts: 'first', steps: [shell({ script: 'true' }, { name: 'one', tags: ['one'] })] },
      { name: 'two', hosts: 'second', steps: [shell({ script: 'true' }, { name: 'two', tags: ['two'] })] },
    ],
  });

  it('bad connection settings of a host in a later play stop the run before any host is contacted (run and validate)', async () => {
    await withInventoryFile('hosts.ini', '[first]\ngood ansible_host=10.0.0.1\n[second]\nbad ansible_port=99999 ansible_host=-oProxyCommand=x ansible_user="a b"\n', async (inv) => {
      const messages = (e: ConfigError) => e.problems.map((p) => p.message);
      let validateError: ConfigError | undefined;
      try {
        validatePlaybook(twoPlays, inv, { extraVars: {}, tags: [], skipTags: [] });
      } catch (e) {
        validateError = e as ConfigError;
      }
      assert.ok(validateError instanceof ConfigError, 'validate refuses it');
      assert.deepEqual(messages(validateError), [
        'host bad: address "-oProxyCommand=x" starts with "-", which ssh would read as an option',
        'host bad: ansible_port must be a port number from 1 to 65535, got 99999',
        'host bad: user "a b" contains whitespace or NUL',
      ]);
      let contacted = 0;
      const e = await configError(runWithFakes(twoPlays, inv, { behaviour: { good: { onExec: () => void contacted++ } } }));
      assert.deepEqual(messages(e), messages(validateError));
      assert.equal(contacted, 0, 'play 1 never ran');
    });
  });

  it('--tags naming no step is refused with the known tags, like a --limit matching no host', async () => {
    const inv = testInventory({ first: ['a'], second: ['b'] });
    const e = await configError(runWithFakes(twoPlays, inv, { tags: ['deploy'] }));
    assert.match(e.message, /--tags deploy: no step has this tag/);
    assert.match(e.message, /known tags: one, two/);
    await runWithFakes(twoPlays, inv, { tags: ['two'] });
  });

  it('--skip-tags (or --tags with --skip-tags) leaving no step to run is refused', async () => {
    const inv = testInventory({ first: ['a'], second: ['b'] });
    const e = await configError(runWithFakes(twoPlays, inv, { skipTags: ['one', 'two'] }));
    assert.match(e.message, /--skip-tags one,two leaves no step to run on the selected hosts/);
    const both = await configError(runWithFakes(twoPlays, inv, { tags: ['one'], skipTags: ['one'] }));
    assert.match(both.message, /--tags one with --skip-tags one leaves no step/);
  });

  it('a problem found only after the run started fails the hosts still running, with a recap (exit 2), never exit 5', async () => {
    const inv = testInventory({ first: ['a'], second: ['b'] });
    let calls = 0;
    const flaky = { ...inv, connection: (h: string) => {
      if (h === 'b' && ++calls > 1) throw new ConfigError('host b: settings changed under the run');
      return inv.connection(h);
    } };
    const r = await runWithFakes(twoPlays, flaky);
    assert.equal(r.recap.hosts.a?.ok, 1, 'play 1 ran on a');
    assert.equal(r.recap.hosts.b?.failed, 1);
    assert.equal(r.recap.exitCode, 2);
    assert.ok(r.events.some((e) => e.type === 'run.end'), 'the recap is reported');
  });
});
