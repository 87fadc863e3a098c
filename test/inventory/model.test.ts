/**
 * The host/group model read from YAML, INI and TS inventories: nested children, ranges,
 * ports, inline variables, `all` and `ungrouped`, depths, several sources merged, and
 * hostile strings (RELIABILITY.md) arriving unchanged.
 *
 *   node --import tsx --test test/inventory/model.test.ts
 */
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadInventory } from '../../src/inventory/load.ts';
import type { Inventory } from '../../src/inventory/types.ts';
import { hostVars } from '../../src/inventory/vars.ts';

const fx = (p: string) => fileURLToPath(new URL(`../fixtures/inventory/${p}`, import.meta.url));

function lastValue(inv: Inventory, host: string, name: string): unknown {
  return inv.hosts.get(host)?.vars.get(name)?.at(-1)?.value;
}

describe('a YAML inventory', async () => {
  const inv = await loadInventory(fx('yaml/hosts.yml'));

  it('has every host in inventory order, ranges expanded', () => {
    assert.deepEqual([...inv.hosts.keys()], ['bastion', 'web01', 'web02', 'web03', 'web-extra', 'db-a', 'db-b', 'db-c', 'db9', 'odd1', 'odd5', 'odd9', 'loner']);
  });

  it('nests children to any depth and records parents', () => {
    assert.deepEqual(inv.groups.get('all')?.children, ['ungrouped', 'dc', 'odd']);
    assert.deepEqual(inv.groups.get('dc')?.children, ['web', 'db']);
    assert.deepEqual(inv.groups.get('web')?.children, ['canary']);
    assert.deepEqual(inv.groups.get('canary')?.parents, ['web']);
    assert.deepEqual(['all', 'dc', 'web', 'canary'].map((g) => inv.groups.get(g)?.depth), [0, 1, 2, 3]);
  });

  it('puts hosts listed only under all (or nowhere) in ungrouped', () => {
    assert.deepEqual(inv.groups.get('ungrouped')?.hosts, ['loner', 'bastion']);
    assert.deepEqual(inv.hosts.get('bastion')?.groups, ['all', 'ungrouped']);
  });

  it('reads inline host vars and host:port', () => {
    assert.equal(lastValue(inv, 'web-extra', 'ansible_port'), 2222);
    assert.equal(lastValue(inv, 'web-extra', 'http_port'), 9090);
    assert.deepEqual(lastValue(inv, 'db9', 'limits'), { nofile: 65536, nproc: 4096 });
    assert.equal(lastValue(inv, 'db-b', 'role'), 'replica');
  });

  it('keeps ansible_group_priority as the group priority, not as a variable', () => {
    assert.equal(inv.groups.get('canary')?.priority, 10);
    assert.equal(inv.groups.get('canary')?.vars.has('ansible_group_priority'), false);
  });

  it('records file, line, column and key path of each assignment', () => {
    const def = inv.hosts.get('db9')?.vars.get('version')?.[0];
    assert.deepEqual(def?.origin, { file: fx('yaml/hosts.yml'), line: 40, col: 15, keyPath: 'all.children.dc.children.db.hosts.db9.version' });
  });

  it('warns, with file and line, about Jinja text instead of evaluating it', () => {
    const w = inv.warnings.find((x) => x.variable === 'greeting');
    assert.ok(w, 'a warning for greeting');
    assert.equal(w.line, 7);
    assert.match(w.message, /group all var greeting contains a Jinja expression, which Capstan does not evaluate; it is passed on as literal text/);
    assert.equal(inv.groups.get('all')?.vars.get('greeting')?.[0]?.value, 'hello {{ inventory_hostname }}');
  });

  it('warns that ansible_ssh_common_args is ignored', () => {
    assert.ok(inv.warnings.some((w) => w.variable === 'ansible_ssh_common_args' && /ignored/.test(w.message) && w.line === 12));
  });
});

describe('an INI inventory', async () => {
  const inv = await loadInventory(fx('ini/hosts.ini'));

  it('reads hosts before any section as ungrouped', () => {
    assert.deepEqual(inv.groups.get('ungrouped')?.hosts, ['loner']);
  });

  it('accepts [g:children] naming groups declared later', () => {
    assert.deepEqual(inv.groups.get('dc')?.children, ['web', 'db', 'undeclared_yet']);
    assert.deepEqual(inv.groups.get('web')?.children, ['canary']);
    assert.equal(inv.groups.get('canary')?.depth, 3);
  });

  it('types inline values like Ansible', () => {
    assert.equal(lastValue(inv, 'web-extra', 'flag'), true);
    assert.equal(lastValue(inv, 'web-extra', 'nothing'), null);
    assert.equal(lastValue(inv, 'db9', 'mode'), '0644');
    assert.deepEqual(lastValue(inv, 'db9', 'list'), [1, 'two', 3.5]);
    assert.equal(lastValue(inv, 'db9', 'motd'), 'hello world');
    assert.equal(lastValue(inv, 'db9', 'word'), 'yes');
    assert.deepEqual(inv.groups.get('dc')?.vars.get('region')?.[0]?.value, 'eu-west');
    assert.deepEqual(inv.groups.get('dc')?.vars.get('empty')?.[0]?.value, '');
  });

  it('records file and line of host and group variables', () => {
    assert.deepEqual(inv.hosts.get('web-extra')?.vars.get('flag')?.[0]?.origin, { file: fx('ini/hosts.ini'), line: 7, col: 31, keyPath: 'web.web-extra:2222.flag' });
    assert.equal(inv.groups.get('dc')?.vars.get('http_port')?.[0]?.origin.line, 31);
  });
});

describe('YAML, INI and TS forms of one inventory', async () => {
  const [y, i, t] = await Promise.all(['yaml', 'ini', 'ts'].map((ext) => loadInventory(fx(`same/hosts.${ext === 'yaml' ? 'yml' : ext}`))));
  const shape = (inv: Inventory) => ({
    hosts: [...inv.hosts.values()].map((h) => [h.name, h.groups, [...h.vars].map(([k, d]) => [k, d.at(-1)?.value])]),
    groups: [...inv.groups.values()].map((g) => [g.name, g.hosts, g.children, g.depth, [...g.vars].map(([k, d]) => [k, d.at(-1)?.value])]).sort(),
  });

  it('produce the same model', () => {
    assert.deepEqual(shape(i as Inventory), shape(y as Inventory));
    assert.deepEqual(shape(t as Inventory), shape(y as Inventory));
  });
});

describe('several inventory sources', async () => {
  const inv = await loadInventory([fx('multi/a.yml'), fx('multi/b.ini')]);

  it('merge groups and hosts, later assignments winning', () => {
    assert.deepEqual(inv.groups.get('web')?.hosts, ['web1', 'web2', 'web3']);
    assert.deepEqual(inv.hosts.get('web2')?.vars.get('color')?.map((d) => d.value), ['green']);
    assert.deepEqual(inv.groups.get('web')?.vars.get('owner')?.map((d) => d.value), ['team-a', 'team-b']);
    assert.deepEqual(inv.sources, [fx('multi/a.yml'), fx('multi/b.ini')]);
  });
});

describe('hostile strings in variables', () => {
  const hostile = ['', ' ', 'a b', "it's", '"', '\\', '$(touch /tmp/PWNED)', '`touch /tmp/PWNED`', '${IFS}', 'a;touch /tmp/PWNED', 'line1\nline2', 'cr\r', 'tab\tx', '-rf', '--help', '-oProxyCommand=touch /tmp/PWNED', '*', '~', '!', '#comment', '%s%n', "'; rm -rf / #", '<%= process.env %>', '{{ 7*7 }}', 'é中😀', '\u202eRTL', 'ANSI\u001b[31mred', '../../etc/passwd', '0644', 'no', 'null', 'x'.repeat(100000)];

  it('arrive byte for byte from YAML, including odd variable names', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'capstan-hostile-'));
    const vars = Object.fromEntries(hostile.map((v, i) => [`v${i}`, v]));
    const yaml = `all:\n  hosts:\n    h1:\n${Object.entries({ ...vars, __proto__x: 1 }).map(([k, v]) => `      ${k}: ${JSON.stringify(v)}`).join('\n')}\n      __proto__: polluted\n      constructor: c\n`;
    await writeFile(join(dir, 'h.yml'), yaml);
    const hv = hostVars(await loadInventory(join(dir, 'h.yml')), 'h1');
    for (const [k, v] of Object.entries(vars)) assert.equal(hv.vars[k], v, k);
    assert.equal(Object.hasOwn(hv.vars, '__proto__'), true);
    assert.equal(hv.vars.constructor, 'c');
    assert.equal(Object.getPrototypeOf(hv.vars), Object.prototype);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it('arrive from INI when quoted', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'capstan-hostile-'));
    await writeFile(join(dir, 'h.ini'), `[web]\nh1 a="$(touch /tmp/PWNED)" b='it'"'"'s' c="{{ 7*7 }}" d="a;touch /tmp/PWNED"\n`);
    const hv = hostVars(await loadInventory(join(dir, 'h.ini')), 'h1');
    assert.deepEqual([hv.vars.a, hv.vars.b, hv.vars.c, hv.vars.d], ['$(touch /tmp/PWNED)', "it's", '{{ 7*7 }}', 'a;touch /tmp/PWNED']);
  });

  it('rejects NUL in a host name', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'capstan-hostile-'));
    await writeFile(join(dir, 'h.yml'), 'all:\n  hosts:\n    "a\\0b":\n');
    await assert.rejects(loadInventory(join(dir, 'h.yml')), /contains whitespace or NUL/);
  });
});
