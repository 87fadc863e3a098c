/**
 * Loading inventories: formats, sources, and every kind of bad input, each reported with
 * file:line(:col) before anything connects.
 *
 *   node --import tsx --test test/inventory/load.test.ts
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../../src/errors.ts';
import type { ConfigProblem } from '../../src/errors.ts';
import { loadInventory } from '../../src/inventory/load.ts';
import { hostVars } from '../../src/inventory/vars.ts';

const fx = (p: string) => fileURLToPath(new URL(`../fixtures/inventory/${p}`, import.meta.url));

async function rejected(sources: string | string[]): Promise<ConfigProblem[]> {
  try {
    await loadInventory(sources);
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${String(e)}`);
    return e.problems;
  }
  assert.fail(`expected ${String(sources)} to be rejected`);
}

async function file(name: string, text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'capstan-load-'));
  await writeFile(join(dir, name), text);
  return join(dir, name);
}

describe('bad inventories are rejected with file:line:col', () => {
  const cases: [string, number, number | undefined, RegExp, string?][] = [
    ['bad/syntax.yml', 5, 5, /^invalid YAML: Flow sequence/, 'all.hosts.web1.packages[1]'],
    ['bad/duplicate.yml', 7, 11, /duplicate key "http_port"/, 'all.children.web.hosts.web1.http_port'],
    ['bad/octal.yml', 4, 13, /unquoted 0644 is read as the decimal number 644/, 'all.hosts.web1.mode'],
    ['bad/version.yml', 3, 18, /unquoted 1\.10 is read as the number 1\.1/, 'all.vars.app_version'],
    ['bad/yes-no.yml', 5, 16, /unquoted yes is the string "yes" in YAML 1\.2/, 'all.hosts.web1.use_tls'],
    ['bad/alias-bomb.yml', 2, 8, /aliases expand too far/, 'b[0]'],
    ['bad/vault.yml', 3, 25, /this value is vault-encrypted, and no vault password was given/, 'all.vars.db_password'],
    ['bad/multi-doc.yml', 4, 1, /one document/],
    ['bad/unknown-key.yml', 4, 7, /unknown key "host" in group "web"/, 'all.children.web.host'],
    ['bad/loop.yml', 5, 9, /creates a loop/, 'all.children.a.children.b'],
    ['bad/bad-range.yml', 3, 5, /yields no host/, 'all.hosts.web[5:1]'],
    ['bad/dash-host.yml', 3, 5, /host name "-oProxyCommand=x" starts with "-"/, 'all.hosts.-oProxyCommand=x'],
    ['bad/dash-host.ini', 3, 1, /host name "-oProxyCommand=touch_PWNED" starts with "-"/],
    ['bad/section.ini', 4, 1, /section \[web:hosts_and_more\] has unknown type/],
    ['bad/undeclared-child.ini', 6, 1, /\[dc:children\] names group "dbs", which is never declared/],
    ['bad/undeclared-vars.ini', 4, 1, /\[webservers:vars\] is for a group that is never declared/],
    ['bad/unclosed-quote.ini', 2, 11, /no closing quotation/],
    ['bad/not-key-value.ini', 2, 23, /expected key=value after the host name, got "admin"/],
  ];
  for (const [source, line, col, message, keyPath] of cases) {
    it(source, async () => {
      const [p] = await rejected(fx(source));
      assert.equal(p?.file, fx(source));
      assert.equal(p?.line, line);
      assert.equal(p?.col, col);
      assert.match(p?.message ?? '', message);
      if (keyPath) assert.equal(p?.keyPath, keyPath);
    });
  }

  it('reports every problem of an INI file together', async () => {
    const problems = await rejected(fx('bad/section.ini'));
    assert.deepEqual(problems.map((p) => p.line), [4, 7]);
  });

  it('reports every problem of every source together', async () => {
    const problems = await rejected([fx('bad/octal.yml'), fx('bad/dash-host.ini'), fx('bad/bad-range.yml')]);
    assert.deepEqual(problems.map((p) => p.file?.split('/').pop()), ['octal.yml', 'dash-host.ini', 'bad-range.yml', 'bad-range.yml']);
  });

  it('rejects a host name with whitespace', async () => {
    const [p] = await rejected(await file('h.yml', 'all:\n  hosts:\n    "web 1":\n'));
    assert.match(p?.message ?? '', /contains whitespace or NUL/);
  });

  it('rejects a missing file, an empty YAML file and a non-mapping YAML file', async () => {
    assert.match((await rejected('/nonexistent/hosts.yml'))[0]?.message ?? '', /inventory not found/);
    assert.match((await rejected(await file('e.yml', '# nothing\n')))[0]?.message ?? '', /empty/);
    assert.match((await rejected(await file('l.yml', '- web1\n')))[0]?.message ?? '', /must be a mapping of group names/);
  });

  it('rejects host variables that are not a mapping', async () => {
    assert.match((await rejected(await file('h.yml', 'all:\n  hosts:\n    web1: [1]\n')))[0]?.message ?? '', /variables of host "web1" must be a mapping/);
  });

  it('rejects a YAML file that looks like an INI file', async () => {
    assert.match((await rejected(await file('h.ini', '---\nall:\n')))[0]?.message ?? '', /looks like a YAML file/);
  });
});

describe('inventory sources', () => {
  it('reads a file without extension as YAML when it is YAML, else as INI', async () => {
    const y = await loadInventory(await file('hosts', 'all:\n  children:\n    web:\n      hosts:\n        web1:\n'));
    assert.deepEqual(y.groups.get('web')?.hosts, ['web1']);
    const i = await loadInventory(await file('hosts', '[web]\nweb1 x=1\n'));
    assert.deepEqual(i.groups.get('web')?.hosts, ['web1']);
  });

  it('reads a comma-separated host list like -i "a,b:2222,"', async () => {
    const inv = await loadInventory('web1,web2:2222,');
    assert.deepEqual(inv.groups.get('ungrouped')?.hosts, ['web1', 'web2']);
    assert.equal(inv.hosts.get('web2')?.vars.get('ansible_port')?.[0]?.value, 2222);
  });

  it('reads every file of a directory source, skipping what Ansible skips (.ini, .md, dot files)', async () => {
    const inv = await loadInventory(fx('dir'));
    assert.deepEqual([...inv.hosts.keys()], ['web1', 'web2', 'db1']);
    assert.equal(inv.groups.has('ignored'), false);
  });

  it('warns about group names Ansible considers invalid', async () => {
    const inv = await loadInventory(await file('h.ini', '[web-servers]\nweb1\n'));
    assert.ok(inv.warnings.some((w) => w.group === 'web-servers'));
  });

  it('warns about INI floats that drop a trailing zero and list-like text that is not a list', async () => {
    const inv = await loadInventory(await file('h.ini', '[web]\nweb1 v=1.10 l=[1,\n'));
    assert.deepEqual(inv.warnings.map((w) => w.variable), ['v', 'l']);
    assert.equal(inv.hosts.get('web1')?.vars.get('v')?.[0]?.value, 1.1);
  });
});

describe('Ansible settings written the YAML 1.1 way', () => {
  it('reads ansible_become: yes as the boolean true, as Ansible does', async () => {
    const { parseYamlStrict } = await import('../../src/inventory/yaml-safe.ts');
    const data = parseYamlStrict('all:\n  vars:\n    ansible_become: yes\n    ansible_check: off\n', 'inline.yml') as { all: { vars: Record<string, unknown> } };
    assert.deepEqual(data.all.vars, { ansible_become: true, ansible_check: false });
  });
});

describe('symlinks in inventories and variable directories', () => {
  it('a symlink loop in group_vars/ is a problem naming the file, not a crash', async () => {
    const inv = await file('hosts.ini', '[web]\nweb1\n');
    const dir = join(inv, '..');
    await mkdir(join(dir, 'group_vars'));
    await symlink('web.yml', join(dir, 'group_vars', 'web.yml'));
    const [p] = await rejected(inv);
    assert.equal(p?.file, join(dir, 'group_vars', 'web.yml'));
    assert.match(p?.message ?? '', /cannot read .*group_vars\/web\.yml: it is a symlink loop \(ELOOP\)/);
  });

  it('follows a symlinked group_vars directory, and refuses one linked into itself', async () => {
    const inv = await file('hosts.ini', '[web]\nweb1\n');
    const dir = join(inv, '..');
    await mkdir(join(dir, 'shared'));
    await writeFile(join(dir, 'shared', 'vars.yml'), 'http_port: 8080\n');
    await mkdir(join(dir, 'group_vars'));
    await symlink(join(dir, 'shared'), join(dir, 'group_vars', 'web'));
    const loaded = await loadInventory(inv);
    assert.equal(hostVars(loaded, 'web1').vars.http_port, 8080);
    await symlink('..', join(dir, 'shared', 'up'));
    const problems = await rejected(inv);
    assert.ok(problems.some((p) => /links back into a directory it is part of/.test(p.message)), JSON.stringify(problems));
  });

  it('a directory inventory linked into itself is refused, not walked forever', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'capstan-load-'));
    await writeFile(join(dir, 'hosts.ini'), '[web]\nweb1\n');
    await symlink('.', join(dir, 'again'));
    const problems = await rejected(dir);
    assert.ok(problems.some((p) => /links back into a directory it is part of/.test(p.message)), JSON.stringify(problems));
  });
});
