/**
 * Ansible Vault in inventories and variable files: files and inline values encrypted by the
 * real ansible-vault are opened with the run's passwords, and what they hold are Secrets.
 *
 *   node --import tsx --test test/vault/inventory-vault.test.ts
 */
import assert from 'node:assert/strict';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Secret } from '../../src/commands/secret.ts';
import { ConfigError } from '../../src/errors.ts';
import { loadInventory } from '../../src/inventory/load.ts';
import { printable } from '../../src/inventory/output.ts';
import { hostVars } from '../../src/inventory/vars.ts';
import { VaultKeyring, vaultKeyring } from '../../src/vault/index.ts';
import { encryptString, vaultTree } from './support.ts';
import { requires, TOOLS } from '../support/tools.ts';

const PASSWORD = 'correct horse battery';
const ring = (password = PASSWORD, label = 'default') => new VaultKeyring([{ label, source: 'test', password: Buffer.from(password) }]);
const HOSTS = 'all:\n  children:\n    server:\n      hosts:\n        s1:\n          ansible_host: 10.0.0.1\n';

/** The same vault text with one hex digit of the ciphertext changed: well formed, but not what was encrypted. */
function flipCiphertextDigit(text: string): string {
  const [header, ...body] = text.trim().split('\n');
  const [salt, hmac, cipher] = Buffer.from(body.join(''), 'hex').toString('latin1').split('\n') as [string, string, string];
  const changed = `${cipher.slice(0, -1)}${cipher.endsWith('0') ? '1' : '0'}`;
  const hex = Buffer.from([salt, hmac, changed].join('\n'), 'latin1').toString('hex');
  return `${header}\n${hex.match(/.{1,80}/g)!.join('\n')}\n`;
}

async function configError(p: Promise<unknown>): Promise<ConfigError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  assert.fail('expected a ConfigError');
}

describe('vault-encrypted variable files', { skip: requires(TOOLS.ansibleVault) }, () => {
  it('opens group_vars/all/vault.yml (format 1.1) and makes its text values Secrets', async () => {
    const dir = await vaultTree(
      { 'hosts.yml': HOSTS, 'group_vars/all/vars.yml': 'k3s_version: v1.32.11+k3s3\n', 'group_vars/all/vault.yml': 'token: tok-canary-11\ngrafana_admin_password: "gr@f-canary"\nreplicas: 3\n' },
      { encrypt: ['group_vars/all/vault.yml'] },
    );
    assert.match(await readFile(join(dir, 'group_vars/all/vault.yml'), 'utf8'), /^\$ANSIBLE_VAULT;1\.1;AES256/);
    const inv = await loadInventory(join(dir, 'hosts.yml'), { vault: ring() });
    const { vars } = hostVars(inv, 's1');
    assert.ok(vars.token instanceof Secret);
    assert.equal((vars.token as Secret).reveal(), 'tok-canary-11');
    assert.equal((vars.grafana_admin_password as Secret).reveal(), 'gr@f-canary');
    assert.equal(vars.replicas, 3, 'numbers stay numbers');
    assert.equal(vars.k3s_version, 'v1.32.11+k3s3', 'plain files are untouched');
    const shown = JSON.stringify(printable(vars));
    assert.ok(!shown.includes('tok-canary-11') && !shown.includes('gr@f-canary'), shown);
  });

  it('opens a 1.2 file by its vault id first, with several passwords given', async () => {
    const dir = await vaultTree({ 'hosts.yml': HOSTS, 'host_vars/s1.yml': 'token: tok-canary-12\n' }, { encrypt: ['host_vars/s1.yml'], label: 'prod', password: 'prod-pw' });
    assert.match(await readFile(join(dir, 'host_vars/s1.yml'), 'utf8'), /^\$ANSIBLE_VAULT;1\.2;AES256;prod/);
    const keyring = new VaultKeyring([
      { label: 'dev', source: 'dev-file', password: Buffer.from('dev-pw') },
      { label: 'prod', source: 'prod-file', password: Buffer.from('prod-pw') },
    ]);
    const inv = await loadInventory(join(dir, 'hosts.yml'), { vault: keyring });
    assert.equal((hostVars(inv, 's1').vars.token as Secret).reveal(), 'tok-canary-12');
  });

  it('opens inline !vault values in an inventory and in group_vars', async () => {
    const base = await vaultTree({});
    const inline = encryptString(base, 'token', 'inline-canary');
    const hosts = `all:\n  vars:\n${inline.replace(/^/gm, '    ').trimEnd()}\n  children:\n    server:\n      hosts:\n        s1: {}\n`;
    await writeFile(join(base, 'hosts.yml'), hosts);
    await writeFile(join(base, 'group_vars.yml'), '');
    const inv = await loadInventory(join(base, 'hosts.yml'), { vault: ring() });
    const token = hostVars(inv, 's1').vars.token;
    assert.ok(token instanceof Secret, `token is ${typeof token}`);
    assert.equal(token.reveal(), 'inline-canary');
  });

  it('a wrong password names the file and line and says what to check', async () => {
    const dir = await vaultTree({ 'hosts.yml': HOSTS, 'group_vars/all/vault.yml': 'token: x\n' }, { encrypt: ['group_vars/all/vault.yml'] });
    const e = await configError(loadInventory(join(dir, 'hosts.yml'), { vault: ring('wrong') }));
    assert.match(e.message, /group_vars\/all\/vault\.yml:1:1: none of the vault passwords given opens this vault: the password is wrong, or the encrypted text was changed/);
    assert.ok(!e.message.includes('wrong'.repeat(2)));
  });

  it('a tampered ciphertext fails its HMAC; a damaged text says it is damaged', async () => {
    const dir = await vaultTree({ 'hosts.yml': HOSTS, 'group_vars/all/vault.yml': 'token: tok-canary-t\n' }, { encrypt: ['group_vars/all/vault.yml'] });
    const file = join(dir, 'group_vars/all/vault.yml');
    const text = await readFile(file, 'utf8');
    await writeFile(file, flipCiphertextDigit(text));
    const tampered = await configError(loadInventory(join(dir, 'hosts.yml'), { vault: ring() }));
    assert.match(tampered.message, /HMAC does not match/);
    await writeFile(file, text.split('\n').slice(0, 3).join('\n'));
    const damaged = await configError(loadInventory(join(dir, 'hosts.yml'), { vault: ring() }));
    assert.match(damaged.message, /cannot read the vault-encrypted text: .*damaged/);
  });

  it('without a password, an encrypted file or value is an error naming the flags to use', async () => {
    const dir = await vaultTree({ 'hosts.yml': HOSTS, 'group_vars/all/vault.yml': 'token: x\n' }, { encrypt: ['group_vars/all/vault.yml'] });
    const e = await configError(loadInventory(join(dir, 'hosts.yml')));
    assert.match(e.message, /vault\.yml:1:1: this file is vault-encrypted, and no vault password was given\n {2}→ .*--vault-password-file FILE, --vault-id LABEL@FILE, or --ask-vault-pass/);
  });
});

describe('vault password sources', { skip: requires(TOOLS.ansibleVault) }, () => {
  it('reads a password file stripped of white space, and ANSIBLE_VAULT_PASSWORD_FILE when no flag is given', async () => {
    const dir = await vaultTree({ 'pw': `  ${PASSWORD}\n` });
    const fromFlag = await vaultKeyring({ passwordFiles: [join(dir, 'pw')], env: {} });
    assert.deepEqual(fromFlag.labels, ['default']);
    const fromEnv = await vaultKeyring({ env: { ANSIBLE_VAULT_PASSWORD_FILE: join(dir, 'pw') } });
    assert.equal(fromEnv.size, 1);
    assert.equal((await vaultKeyring({ env: {} })).size, 0);
  });

  it('runs an executable password file; a client script is told its vault id', async () => {
    const dir = await vaultTree({ 'hosts.yml': HOSTS, 'host_vars/s1.yml': 'token: tok-canary-script\n' }, { encrypt: ['host_vars/s1.yml'], label: 'prod', password: 'from-script' });
    await writeFile(join(dir, 'vault-client.sh'), '#!/bin/sh\n[ "$1" = --vault-id ] && [ "$2" = prod ] && echo from-script && exit 0\necho "unexpected args: $*" >&2; exit 3\n');
    await chmod(join(dir, 'vault-client.sh'), 0o755);
    const ring2 = await vaultKeyring({ vaultIds: [`prod@${join(dir, 'vault-client.sh')}`], env: {} });
    const inv = await loadInventory(join(dir, 'hosts.yml'), { vault: ring2 });
    assert.equal((hostVars(inv, 's1').vars.token as Secret).reveal(), 'tok-canary-script');
    const failing = await configError(vaultKeyring({ vaultIds: [`dev@${join(dir, 'vault-client.sh')}`], env: {} }));
    assert.match(failing.message, /vault password script .*vault-client\.sh failed \(exit 3\): unexpected args: --vault-id dev/);
  });

  it('explains a missing or empty password file and a malformed --vault-id', async () => {
    const dir = await vaultTree({ empty: '\n' });
    assert.match((await configError(vaultKeyring({ passwordFiles: [join(dir, 'nope')], env: {} }))).message, /cannot read the vault password file .*nope \(it does not exist\)/);
    assert.match((await configError(vaultKeyring({ passwordFiles: [join(dir, 'empty')], env: {} }))).message, /vault password file .*empty is empty/);
    assert.match((await configError(vaultKeyring({ vaultIds: ['prod@'], env: {} }))).message, /expected LABEL@FILE, LABEL@prompt or FILE/);
  });

  it('prompts for `prompt` sources through the prompt function, and refuses an empty answer', async () => {
    const asked: string[] = [];
    const r = await vaultKeyring({ vaultIds: ['prod@prompt'], ask: true, env: {}, prompt: async (q) => (asked.push(q), 'typed') });
    assert.deepEqual(asked, ['Vault password (prod): ', 'Vault password: ']);
    assert.deepEqual(r.labels, ['prod', 'default']);
    assert.match((await configError(vaultKeyring({ ask: true, env: {}, prompt: async () => '' }))).message, /empty/);
  });
});

describe('a vault value given to a role variable that takes plain text', () => {
  it('fails validation with a hint that names the variable and what to do', async () => {
    const { defineRole } = await import('../../src/define/role.ts');
    const { roleVars } = await import('../../src/engine/role-vars.ts');
    const { z } = await import('zod');
    const role = defineRole({ name: 'app', vars: z.object({ app_version: z.string() }), steps: () => [] });
    const hv = { values: { app_version: new Secret('1.2.3', 'vault.yml.app_version') }, sourceOf: () => 'group_vars/all/vault.yml' };
    const r = roleVars(role.use(), hv, {}, 's1');
    assert.equal(r.ok, false);
    const [p] = r.ok ? [] : r.problems;
    assert.match(p?.message ?? '', /host s1: role app: .*expected string.*\(value from group_vars\/all\/vault\.yml\)/);
    assert.match(p?.hint ?? '', /the value is a Secret \(from a vault, or marked secret\) and "app_version" takes plain text/);
  });
});
