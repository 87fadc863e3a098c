/**
 * The vault flags on the command line, against files encrypted by the real ansible-vault:
 * `--vault-password-file`, `--vault-id`, `--ask-vault-pass` (on a real terminal, echo off;
 * refused without one), on run, validate, inventory and explain. The decrypted token reaches
 * the file the playbook writes and nothing else: not stdout or stderr at -vvv with --diff,
 * not the log file, not any other file written during the run.
 *
 *   node --import tsx --test test/vault/cli-vault.test.ts
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, before } from 'node:test';
import { encryptString, vaultTree } from './support.ts';
import { requires, TOOLS } from '../support/tools.ts';

const root = new URL('../..', import.meta.url).pathname;
const CANARY = 'vault-canary-7f3a9c';
const EXTRA_CANARY = 'extra-canary-51d0e2';

function capstan(args: string[], cwd = root): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(join(root, 'bin/capstan.js'), args, { cwd, env: { ...process.env, NO_COLOR: '1' } }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

/** Files under `dir` modified since `since` (ms), recursively. */
function filesSince(dir: string, since: number, out: string[] = []): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    try {
      if (e.isDirectory()) filesSince(p, since, out);
      else if (e.isFile() && statSync(p).mtimeMs >= since && statSync(p).size < 10_000_000) out.push(p);
    } catch {
      // vanished while walking: another test's temporary file
    }
  }
  return out;
}

/** A file's text, or '' when it vanished meanwhile (other tests' temporary files share the directory). */
function readOrEmpty(f: string): string {
  try {
    return readFileSync(f, 'latin1');
  } catch {
    return '';
  }
}

describe('vault flags on the command line', { skip: requires(TOOLS.ansibleVault) }, () => {
  let dir: string;
  let inv: string;
  before(async () => {
    dir = await vaultTree(
      { 'hosts.ini': 'localhost ansible_connection=local\n', 'group_vars/all/vault.yml': `app_token: ${CANARY}\n` },
      { encrypt: ['group_vars/all/vault.yml'] },
    );
    inv = join(dir, 'hosts.ini');
  });

  it('inventory --list and explain open the vault and print the value as ***', async () => {
    const list = await capstan(['inventory', '-i', inv, '--list', '--vault-password-file', join(dir, '.pw')]);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /"app_token": "\*\*\*"/);
    const ex = await capstan(['explain', 'localhost', 'app_token', '-i', inv, '--vault-id', `${join(dir, '.pw')}`]);
    assert.equal(ex.code, 0, ex.stderr);
    assert.ok(ex.stdout.includes('***'), ex.stdout);
    for (const r of [list, ex]) assert.ok(!`${r.stdout}${r.stderr}`.includes(CANARY));
  });

  it('without a password, and with a wrong one, exits 5 naming the file and the flags', async () => {
    const none = await capstan(['inventory', '-i', inv, '--list'], dir);
    assert.equal(none.code, 5);
    assert.match(none.stderr, /group_vars\/all\/vault\.yml:1:1: this file is vault-encrypted, and no vault password was given\n.*--vault-password-file/);
    const wrong = join(dir, 'wrong-pw');
    spawnSync('sh', ['-c', `printf nope > '${wrong}'`]);
    const bad = await capstan(['validate', 'test/fixtures/playbooks/vault-local.ts', '-i', inv, '--vault-password-file', wrong, '-e', `sample_root=${dir}/ws`]);
    assert.equal(bad.code, 5);
    assert.match(bad.stderr, /vault\.yml:1:1: none of the vault passwords given opens this vault/);
  });

  it('--ask-vault-pass without a terminal is refused with what to use instead', async () => {
    const r = await capstan(['inventory', '-i', inv, '--list', '--ask-vault-pass']);
    assert.equal(r.code, 5);
    assert.match(r.stderr, /--ask-vault-pass needs a terminal.*\n.*--vault-password-file FILE/);
  });

  it('--ask-vault-pass reads the password on a real terminal without echoing it', () => {
    // A pseudo-terminal driven by Python's pty module: the CLI sees a TTY on stdin.
    const driver = `
import os, pty, sys, time
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
out = b''
def read_until(marker, limit=60):
    global out
    end = time.time() + limit
    while marker not in out and time.time() < end:
        try:
            out += os.read(fd, 4096)
        except OSError:
            break
read_until(b'Vault password: ')
os.write(fd, sys.stdin.read().encode() + b'\\r')
read_until(b'app_token')
while True:
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode('utf8', 'replace'))
sys.exit(os.waitstatus_to_exitcode(status))
`;
    const password = readFileSync(join(dir, '.pw'), 'utf8');
    const r = spawnSync('python3', ['-c', driver, join(root, 'bin/capstan.js'), 'inventory', '-i', inv, '--list', '--ask-vault-pass'], { input: password, encoding: 'utf8', cwd: root, timeout: 120_000 });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /Vault password: /);
    assert.match(r.stdout, /"app_token": "\*\*\*"/);
    assert.ok(!r.stdout.includes(password), 'the typed password is not echoed');
    assert.ok(!r.stdout.includes(CANARY));
  });

  it('run: the token reaches the file it is written to, and nothing else, at -vvv with --diff and a log file', async () => {
    const extra = join(dir, 'extra.yml');
    spawnSync('sh', ['-c', `cat > '${extra}'`], { input: `${encryptString(dir, 'extra_secret', EXTRA_CANARY)}sample_root: ${dir}/ws\n` });
    const log = join(dir, 'run.log');
    const since = Date.now() - 1000;
    for (const mode of [['--check'], []]) {
      const r = await capstan(['run', 'test/fixtures/playbooks/vault-local.ts', '-i', inv, '--vault-password-file', join(dir, '.pw'), '-e', `@${extra}`, '--diff', '-vvv', '--log-file', log, '--lock-wait', '600', ...mode]);
      assert.equal(r.code, 0, r.stderr);
      for (const c of [CANARY, EXTRA_CANARY]) assert.ok(!r.stdout.includes(c) && !r.stderr.includes(c), `${c} printed`);
    }
    assert.equal(readFileSync(join(dir, 'ws/token'), 'utf8'), CANARY);
    assert.equal(statSync(join(dir, 'ws/token')).mode & 0o777, 0o600);
    const written = [...filesSince(dir, since), ...filesSince(tmpdir(), since)].filter((f) => f !== join(dir, 'ws/token') && !f.endsWith('.pw'));
    const leaks = written.filter((f) => {
      const text = readOrEmpty(f);
      return text.includes(CANARY) || text.includes(EXTRA_CANARY);
    });
    assert.deepEqual(leaks, [], 'no other file holds a decrypted value');
    assert.ok(written.includes(log), 'the log file was among the files checked');
  });
});
