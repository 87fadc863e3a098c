import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { definePlaybook } from '../../src/define/playbook.ts';
import { Secret } from '../../src/commands/secret.ts';
import { copy } from '../../src/modules/copy.ts';
import { shell, command } from '../../src/modules/command.ts';
import { JsonReporter } from '../../src/output/json.ts';
import { PrettyReporter } from '../../src/output/pretty.ts';
import { createLogger, log } from '../../src/log/logger.ts';
import { testInventory } from '../support/inventory.ts';
import { runWithFakes } from '../support/run.ts';
import { waitFor } from '../support/wait.ts';

const CANARY = 'canary-7f3a9c1e-secret-value';

describe('a secret never leaves through argv, events, diffs, output or logs', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'capstan-secret-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('at maximum verbosity, with --diff, in check and apply, the canary appears zero times', async () => {
    const secret = new Secret(CANARY, 'canary token');
    const logFile = join(dir, 'diag.log');
    await createLogger({ verbosity: 3, file: logFile });
    const pb = definePlaybook({ plays: [{ name: 'secrets', hosts: 'all', gatherFacts: false, steps: [
      copy({ dest: `${dir}/token`, content: secret, mode: '0600' }, { name: 'token file' }),
      shell({ script: `cat > ${dir}/from-stdin`, stdin: secret, creates: `${dir}/from-stdin` }, { name: 'token through stdin' }),
      command({ argv: ['cat', `${dir}/token`] }, { name: 'read it back', changedWhen: () => false }),
    ] }] });
    const outputs: string[] = [];
    for (const check of [true, false]) {
      const r = await runWithFakes(pb, testInventory({ n: ['n1'] }), { check, diff: true });
      const json = new JsonReporter((l) => outputs.push(l));
      const pretty = new PrettyReporter({ write: (s) => outputs.push(s), colors: false, tty: false, verbose: 4 });
      r.events.forEach((e) => { json.handle(e); pretty.handle(e); log().debug('event', { event: e }); });
      const scripts = [...r.fakes.values()].flatMap((f) => f.scripts).join('\n');
      assert.equal(scripts.split(CANARY).length - 1, 0, 'no script sent to the host contains the secret');
      assert.equal(r.recap.exitCode, 0);
    }
    // The file transport writes in order: once this last line is in the file, every earlier one is.
    log().debug('secrets test: last line');
    await waitFor('the diagnostics log to be written', () => existsSync(logFile) && readFileSync(logFile, 'utf8').includes('secrets test: last line'));
    const all = outputs.join('') + readFileSync(logFile, 'utf8');
    assert.equal(all.split(CANARY).length - 1, 0, 'no output or log line contains the secret');
    assert.match(all, /content changed \(secret\)/, 'the diff says what changed without showing it');
    assert.equal(readFileSync(`${dir}/token`, 'utf8'), CANARY, 'the host got the real value');
    assert.equal(readFileSync(`${dir}/from-stdin`, 'utf8'), CANARY);
    assert.equal(statSync(`${dir}/token`).mode & 0o777, 0o600);
  });
});

describe('a file written from a Secret shows hashes and true sizes on both sides of its diff', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'capstan-secret-diff-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  const OLD = 'old-token-5b1d0e7a9c';
  const NEW = 'new-token-8e2f4a6b1d3c5e7f';
  const configYaml = (token: string) => `cluster-init: true\ntoken: ${token}\n`;

  for (const check of [true, false]) {
    it(`${check ? 'check' : 'apply'} --diff: the previous content (an earlier token) never reaches the JSON event or the pretty diff`, async () => {
      const dest = join(dir, `config-${check}.yaml`);
      writeFileSync(dest, configYaml(OLD), { mode: 0o600 });
      const pb = definePlaybook({ plays: [{ name: 'k3s config', hosts: 'all', gatherFacts: false, steps: [
        copy({ dest, content: new Secret(configYaml(NEW), 'k3s config.yaml'), mode: '0600' }, { name: 'config.yaml' }),
      ] }] });
      const r = await runWithFakes(pb, testInventory({ n: ['n1'] }), { check, diff: true });
      const lines: string[] = [];
      const json = new JsonReporter((l) => lines.push(l));
      const pretty = new PrettyReporter({ write: (s) => lines.push(s), colors: false, tty: false, verbose: 4 });
      r.events.forEach((e) => { json.handle(e); pretty.handle(e); });
      const all = lines.join('');
      assert.equal(all.split(OLD).length - 1, 0, `the previous token leaked:\n${all}`);
      assert.equal(all.split(NEW).length - 1, 0, 'the new token leaked');
      const [step] = r.stepEvents('n1');
      const diff = step?.diffs[0];
      assert.equal(diff?.secret, true);
      assert.match(String(diff?.before), /^[0-9a-f]{64}$/, 'before is a hash like after');
      assert.match(String(diff?.after), /^[0-9a-f]{64}$/);
      const size = (t: string) => `${Buffer.byteLength(t)} bytes`;
      assert.match(all, new RegExp(`content changed \\(secret\\): ${size(configYaml(OLD))} → ${size(configYaml(NEW))}`), 'the summary gives the files\' real sizes');
    });
  }
});

describe('which variable names hold credentials', () => {
  it('the credential word ends the name, or a word that still names it follows', async () => {
    const { looksSecret } = await import('../../src/commands/secret.ts');
    for (const name of ['password', 'db_password', 'api_token', 'k3s-token', 'client_secret', 'aws_secret_access_key', 'secret_key', 'vault_pass', 'ssh_passphrase', 'token_value']) {
      assert.equal(looksSecret(name, 'value'), true, name);
    }
    for (const name of ['token_from_server', 'password_file', 'secret_name', 'token_ttl', 'passenger', 'k3s_version', 'bypass_proxy']) {
      assert.equal(looksSecret(name, 'value'), false, name);
    }
  });
});
