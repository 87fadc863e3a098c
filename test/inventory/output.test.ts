/**
 * `ansible-inventory --list`, `--list --export` and `--graph` output, compared byte for byte
 * with what ansible-core 2.14 printed for the same fixtures (plus the newline the CLI adds;
 * recorded in the fixture files:
 * `ansible-inventory -i FILE --list > ansible-list.json`, run outside the fixture directory).
 *
 *   node --import tsx --test test/inventory/output.test.ts
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../../src/errors.ts';
import { loadInventory } from '../../src/inventory/load.ts';
import { formatAnsibleListJson, toAnsibleListJson, toGraph } from '../../src/inventory/output.ts';

const fx = (p: string) => fileURLToPath(new URL(`../fixtures/inventory/${p}`, import.meta.url));
const recorded = (p: string) => readFile(fx(p), 'utf8');

describe('toAnsibleListJson matches ansible-inventory --list', () => {
  const cases: [string, string[], string][] = [
    ['a YAML inventory with group_vars and host_vars', ['yaml/hosts.yml'], 'yaml/ansible-list.json'],
    ['an INI inventory with typed values', ['ini/hosts.ini'], 'ini/ansible-list.json'],
    ['the YAML form of a small inventory', ['same/hosts.yml'], 'same/ansible-list.json'],
    ['the INI form of it', ['same/hosts.ini'], 'same/ansible-list.json'],
    ['the TS form of it', ['same/hosts.ts'], 'same/ansible-list.json'],
    ['two sources (-i a.yml -i b.ini)', ['multi/a.yml', 'multi/b.ini'], 'multi/ansible-list.json'],
    ['a directory source', ['dir'], 'dir-ansible-list.json'],
  ];
  for (const [what, sources, expected] of cases) {
    it(what, async () => {
      const inv = await loadInventory(sources.map(fx));
      assert.equal(`${formatAnsibleListJson(inv)}\n`, await recorded(expected));
    });
  }

  it('with --export: group vars under groups, host vars unmerged', async () => {
    assert.equal(`${formatAnsibleListJson(await loadInventory(fx('yaml/hosts.yml')), { export: true })}\n`, await recorded('yaml/ansible-export.json'));
    assert.equal(`${formatAnsibleListJson(await loadInventory(fx('ini/hosts.ini')), { export: true })}\n`, await recorded('ini/ansible-export.json'));
  });

  it('returns an object with the same shape', async () => {
    const list = toAnsibleListJson(await loadInventory(fx('same/hosts.yml')));
    assert.deepEqual(list.all, { children: ['ungrouped', 'k3s', 'lb'] });
    assert.deepEqual(list.k3s, { children: ['servers', 'agents'] });
    assert.equal('ungrouped' in list, false, 'an empty group is left out');
    assert.deepEqual(list._meta.hostvars['agent-a'], { ansible_port: 2222, cluster_name: 'lab', dns: '10.0.0.2', k3s_role: 'agent' });
  });
});

describe('toGraph matches ansible-inventory --graph', () => {
  for (const [source, expected] of [['yaml/hosts.yml', 'yaml/ansible-graph.txt'], ['ini/hosts.ini', 'ini/ansible-graph.txt']] as const) {
    it(source, async () => assert.equal(`${toGraph(await loadInventory(fx(source)))}\n`, await recorded(expected)));
  }

  it('starts at a given group, and rejects a name that is not a group', async () => {
    const inv = await loadInventory(fx('yaml/hosts.yml'));
    assert.equal(toGraph(inv, 'web'), '@web:\n  |--@canary:\n  |  |--web02\n  |--web01\n  |--web02\n  |--web03\n  |--web-extra');
    assert.throws(() => toGraph(inv, 'wbe'), (e: unknown) => e instanceof ConfigError && /did you mean "web"/.test(e.message));
  });
});

describe('the example inventories in inventory/example', () => {
  it('describe the same inventory in YAML, INI and TS', async () => {
    const example = (f: string) => fileURLToPath(new URL(`../../inventory/example/${f}`, import.meta.url));
    const [y, i, t] = await Promise.all(['hosts.yml', 'hosts.ini', 'hosts.ts'].map(async (f) => formatAnsibleListJson(await loadInventory(example(f)))));
    assert.equal(i, y);
    assert.equal(t, y);
    assert.match(y ?? '', /"haproxy_backends"/);
  });
});
