/*
 * Specification: over real SSH, a secret never appears in what Capstan writes, in the
 * controller's process list, or in the node's process list (sampled with `ps -eww` inside
 * the node while each run goes on). The k3s-server case: a config.yaml holding the join token
 * is replaced when the token changes, with --diff and --json at -vvv, and neither the old
 * nor the new token is shown. The sudo password (ansible_become_password) is a canary too.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dockerSkipReason, startNodes, type NodeSet } from '../../src/testing/index.ts';
import { leaks, runCapturing } from '../support/canary.ts';
import { requires, TOOLS } from '../support/tools.ts';
import { ROLE_DEFAULT_TOKEN } from '../fixtures/playbooks/secret-canary.ts';

const skip = requires(TOOLS.ps) || (await dockerSkipReason());
const tag = Math.random().toString(16).slice(2, 10);
const canary = (source: string) => `canary-${source}-${tag}`;

const C = {
  sudo: canary('sudo-password'),
  oldToken: canary('previous-token'),
  token: canary('join-token'),
  newToken: canary('changed-join-token'),
  appToken: canary('app-env'),
  fileVars: canary('extra-vars-file'),
};
const ROOT = '/root/canary';
const PLAYBOOK = 'test/fixtures/playbooks/secret-canary.ts';

describe('secret canaries over SSH: controller and node process lists, k3s config.yaml token change', { skip }, () => {
  let set: NodeSet;
  let dir = '';
  let inventory = '';
  let varsFile = '';
  const sources = { ...C, 'role default': ROLE_DEFAULT_TOKEN };

  before(async () => {
    set = await startNodes({ count: 1, sudoPassword: C.sudo });
    dir = mkdtempSync(join(tmpdir(), 'capstan-canary-ssh-'));
    inventory = await set.writeInventory(join(dir, 'hosts.yml'), { includeBecomePassword: true });
    varsFile = join(dir, 'secrets.yml');
    const names = ['db_password', 'api_token', 'registry_secret', 'backup_passwd', 'admin_password', 'session_secret'];
    writeFileSync(varsFile, `${names.map((n) => `${n}: ${C.fileVars}-${n}`).join('\n')}\nmail: { smtp_pass: ${C.fileVars}-mail }\n`, { mode: 0o600 });
    // what an earlier run would have left: config.yaml with the previous token, an env file with a credential
    const seed = (path: string, text: string) => set.exec('node1', ['sh', '-c', `umask 077 && mkdir -p ${ROOT} && cat > ${path}`], { stdin: text });
    await seed(`${ROOT}/config.yaml`, `cluster-init: true\ntoken: ${C.oldToken}\n`);
    await seed(`${ROOT}/app.env`, `APP_NAME=shop\nAPP_TOKEN=${C.appToken}\n`);
  });
  after(async () => {
    await set?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const nodePs = async () => (await set.exec('node1', ['ps', '-eww', '-o', 'pid=,args='])).stdout;
  const run = async (name: string, args: string[]) => {
    const log = join(dir, `${name}.log`);
    const r = await runCapturing([...args, '-vvv', '--log-file', log], { logFile: log, nodePs });
    assert.deepEqual(leaks(r, sources), [], `secrets leaked by ${name}`);
    assert.ok(r.nodePs.length > 0, 'the node\'s process list was sampled during the run');
    return r;
  };
  const playbook = (token: string, ...extra: string[]) =>
    ['run', PLAYBOOK, '-i', inventory, '-e', `root=${ROOT}`, '-e', `@${varsFile}`, '-e', `join_token=${token}`, ...extra];

  it('check --diff --json predicts the changes and shows neither token, nor the sudo password', async () => {
    const r = await run('check', playbook(C.token, '--check', '--diff', '--json'));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /"path":"\/root\/canary\/config\.yaml","before":"[0-9a-f]{64}","after":"[0-9a-f]{64}","secret":true/);
  });

  it('apply --diff writes config.yaml 0600 with the token, and the pretty diff gives the true sizes', async () => {
    const r = await run('apply', playbook(C.token, '--diff'));
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    const size = (t: string) => Buffer.byteLength(`cluster-init: true\ntoken: ${t}\n`);
    assert.match(r.stdout, new RegExp(`content changed \\(secret\\): ${size(C.oldToken)} bytes → ${size(C.token)} bytes`));
    const st = await set.exec('node1', ['stat', '-c', '%a %U', `${ROOT}/config.yaml`]);
    assert.equal(st.stdout.trim(), '600 root');
    const body = await set.exec('node1', ['cat', `${ROOT}/config.yaml`]);
    assert.equal(body.stdout, `cluster-init: true\ntoken: ${C.token}\n`);
  });

  it('the token changes: --json --diff hashes both sides of config.yaml', async () => {
    const r = await run('token-change', playbook(C.newToken, '--diff', '--json'));
    assert.equal(r.code, 0, r.stderr);
    const diffs = r.stdout.split('\n').filter((l) => l.includes('"config.yaml holding the token"') && l.includes('"diffs"'));
    assert.match(diffs.join('\n'), /"before":"[0-9a-f]{64}","after":"[0-9a-f]{64}","secret":true,"sizes":\{"before":\d+,"after":\d+\}/);
    const body = await set.exec('node1', ['cat', `${ROOT}/config.yaml`]);
    assert.equal(body.stdout, `cluster-init: true\ntoken: ${C.newToken}\n`);
  });

  it('facts, explain and inventory --host show no secret', async () => {
    for (const [name, args] of [
      ['facts', ['facts', 'node1', '-i', inventory]],
      ['explain', ['explain', 'node1', 'ansible_become_password', '-i', inventory, '-e', `@${varsFile}`]],
      ['inventory', ['inventory', '-i', inventory, '--host', 'node1']],
    ] as const) {
      const r = await run(name, [...args]);
      assert.equal(r.code, 0, r.stderr);
    }
  });
});
