/**
 * Connection settings from ansible_* variables, secrets, and refused values.
 *
 *   node --import tsx --test test/inventory/connection.test.ts
 */
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Secret } from '../../src/commands/secret.ts';
import { ConfigError } from '../../src/errors.ts';
import { connectionFor, connectionsFor } from '../../src/inventory/connection.ts';
import { loadInventory } from '../../src/inventory/load.ts';
import { formatAnsibleListJson } from '../../src/inventory/output.ts';

const fx = (p: string) => fileURLToPath(new URL(`../fixtures/inventory/${p}`, import.meta.url));

async function inventory(text: string, name = 'hosts.ini') {
  const dir = await mkdtemp(join(tmpdir(), 'capstan-conn-'));
  await writeFile(join(dir, name), text);
  return loadInventory(join(dir, name));
}

function problems(fn: () => unknown): ConfigError['problems'] {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e.problems;
  }
  assert.fail('expected a ConfigError');
}

describe('connectionFor', () => {
  it('defaults to ssh on port 22 at the inventory name', async () => {
    const inv = await inventory('[web]\nweb1\n');
    assert.deepEqual(connectionFor(inv, 'web1'), { name: 'web1', transport: 'ssh', address: 'web1', port: 22, options: {} });
  });

  it('reads address, port, user, key and local transport', async () => {
    const inv = await inventory('[web]\nweb1:2200 ansible_host=10.0.0.5 ansible_user=ops ansible_ssh_private_key_file=/keys/id\nlocal1 ansible_connection=local\n');
    const c = connectionFor(inv, 'web1');
    assert.deepEqual([c.address, c.port, c.user, c.privateKeyPath, c.transport], ['10.0.0.5', 2200, 'ops', '/keys/id', 'ssh']);
    assert.equal(connectionFor(inv, 'local1').transport, 'local');
  });

  it('wraps passwords in Secret as soon as they are read, and never prints them', async () => {
    const inv = await inventory('[web]\nweb1 ansible_password=canary-pw-1 ansible_become=yes ansible_become_pass=canary-pw-2\n');
    const c = connectionFor(inv, 'web1');
    assert.ok(c.password instanceof Secret);
    assert.equal(c.password.reveal(), 'canary-pw-1');
    assert.deepEqual({ ...c.become, password: c.become?.password?.reveal() }, { enabled: true, method: 'sudo', password: 'canary-pw-2' });
    const printed = `${formatAnsibleListJson(inv)}${JSON.stringify(c)}${inspect(c)}`;
    assert.equal(printed.includes('canary-pw'), false);
  });

  it('reads ansible_ssh_pass and become settings from YAML', async () => {
    const inv = await inventory('all:\n  hosts:\n    h:\n      ansible_ssh_pass: s3cret-value\n      ansible_become: true\n      ansible_become_user: deploy\n', 'h.yml');
    const c = connectionFor(inv, 'h');
    assert.equal(c.password?.reveal(), 's3cret-value');
    assert.deepEqual([c.become?.enabled, c.become?.user], [true, 'deploy']);
  });

  it('lets play and extra vars change connection settings', async () => {
    const inv = await inventory('[web]\nweb1 ansible_user=ops\n');
    assert.equal(connectionFor(inv, 'web1', { extraVars: { label: '-e', vars: { ansible_user: 'admin' } } }).user, 'admin');
  });

  it('keeps other secret-looking variables as plain data', async () => {
    const inv = await inventory('[web]\nweb1 api_token=abcdef123456\n');
    const hv = (await import('../../src/inventory/vars.ts')).hostVars(inv, 'web1');
    assert.equal(hv.vars.api_token, 'abcdef123456');
  });

  it('refuses an unknown ansible_connection with file:line', async () => {
    const inv = await loadInventory(fx('bad/connection.yml'));
    const [p] = problems(() => connectionFor(inv, 'win1'));
    assert.match(p?.message ?? '', /ansible_connection "winrm" is not supported/);
    assert.deepEqual([p?.file, p?.line, p?.keyPath], [fx('bad/connection.yml'), 4, 'all.hosts.win1.ansible_connection']);
    assert.equal(connectionFor(inv, 'ok1').transport, 'ssh');
  });

  it('refuses become methods other than sudo, and non-boolean become', async () => {
    const inv = await inventory('[web]\nweb1 ansible_become=maybe ansible_become_method=su\n');
    const ps = problems(() => connectionFor(inv, 'web1'));
    assert.equal(ps.length, 2);
    assert.match(ps.map((p) => p.message).join('\n'), /ansible_become must be a boolean[\s\S]*ansible_become_method "su" is not supported/);
  });

  it('refuses addresses and users that ssh would read as options, or with whitespace or NUL', async () => {
    const inv = await inventory('all:\n  hosts:\n    a:\n      ansible_host: -oProxyCommand=touch /tmp/PWNED\n    b:\n      ansible_user: "--help"\n    c:\n      ansible_host: "a b"\n    d:\n      ansible_become_user: "x\\0y"\n      ansible_become: true\n', 'h.yml');
    for (const h of ['a', 'b', 'c', 'd']) assert.throws(() => connectionFor(inv, h), ConfigError, h);
    assert.match(problems(() => connectionFor(inv, 'a'))[0]?.message ?? '', /starts with "-"/);
  });

  it('refuses a port that is not a port number', async () => {
    const inv = await inventory('[web]\nweb1 ansible_port=99999\nweb2 ansible_port=ssh\n');
    assert.throws(() => connectionFor(inv, 'web1'), /port number from 1 to 65535/);
    assert.throws(() => connectionFor(inv, 'web2'), /port number/);
  });

  it('refuses Jinja in connection settings, which would be used literally', async () => {
    const inv = await loadInventory(fx('bad/jinja-host.yml'));
    assert.throws(() => connectionFor(inv, 'web1'), /ansible_host contains a Jinja expression/);
  });

  it('reports the problems of every host together', async () => {
    const inv = await inventory('[web]\nweb1 ansible_connection=docker\nweb2 ansible_port=0\nweb3\n');
    assert.equal(problems(() => connectionsFor(inv, ['web1', 'web2', 'web3'])).length, 2);
  });

  it('gives the implicit localhost a local connection', async () => {
    const inv = await inventory('[web]\nweb1\n');
    assert.equal(connectionFor(inv, 'localhost').transport, 'local');
  });
});
