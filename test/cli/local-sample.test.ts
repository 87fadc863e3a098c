import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Recap, RunEvent } from '../../src/events.ts';
import { waitForOutput } from '../support/wait.ts';
import { distSkip } from '../support/precompiled.ts';

const root = new URL('../..', import.meta.url).pathname;
/** Local runs of other test files take this machine's run lock too: wait for them instead of being LOCKED. */
const LOCK_WAIT = ['--lock-wait', '600'];

function capstan(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(join(root, 'bin/capstan.js'), args, { cwd: root, env: { ...process.env, NO_COLOR: '1' } }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

describe('the CLI runs a sample playbook on the local connector', () => {
  let dir: string;
  let inv: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'capstan-cli-'));
    inv = join(dir, 'hosts.ini');
    writeFileSync(inv, 'localhost ansible_connection=local\n');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const run = async (...extra: string[]) => {
    const r = await capstan(['run', 'test/fixtures/playbooks/local-sample.ts', '-i', inv, '-e', `sample_root=${dir}/ws`, '--json', ...LOCK_WAIT, ...extra]);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as RunEvent);
    const end = events.at(-1);
    assert.equal(end?.type, 'run.end', r.stderr);
    return { ...r, events, recap: (end as { recap: Recap }).recap };
  };

  it('check on a fresh workspace predicts 3 changes, reports the handler (a bare command) as cannot predict, and creates nothing', async () => {
    const r = await run('--check');
    assert.equal(r.code, 0);
    assert.equal(r.recap.hosts.localhost?.changed, 3);
    assert.equal(r.recap.hosts.localhost?.uncertain, 1);
    assert.equal(existsSync(`${dir}/ws`), false);
  });

  it('apply makes them', async () => {
    const r = await run();
    assert.equal(r.code, 0);
    assert.equal(r.recap.hosts.localhost?.changed, 4);
    assert.equal(readFileSync(`${dir}/ws/motd`, 'utf8'), 'managed by capstan on localhost\n');
  });

  it('apply again changes nothing', async () => {
    const r = await run();
    assert.deepEqual(r.recap.hosts.localhost, { ok: 3, changed: 0, uncertain: 0, failed: 0, skipped: 0, unreachable: 0, ignored: 0 });
  });

  it('check again reports nothing to change', async () => {
    const r = await run('--check');
    assert.equal(r.recap.hosts.localhost?.changed, 0);
  });

  it('--json -vvv: diagnostics go to stderr, every line of stdout is a JSON event', async () => {
    const r = await run('--check', '-vvv');
    assert.match(r.stderr, /^debug: /m, 'diagnostics are written');
    for (const line of r.stdout.trimEnd().split('\n')) assert.doesNotThrow(() => JSON.parse(line), line);
  });

  it('invalid input exits 5 with the reason and runs nothing', async () => {
    const r = await capstan(['run', 'test/fixtures/playbooks/missing.ts', '-i', inv]);
    assert.equal(r.code, 5);
    assert.match(r.stderr, /playbook not found/);
    const nomatch = await capstan(['run', 'test/fixtures/playbooks/local-sample.ts', '-i', inv, '--limit', 'web9']);
    assert.equal(nomatch.code, 5);
    assert.match(nomatch.stderr, /web9/);
  });

  it('validate checks without connecting', async () => {
    const r = await capstan(['validate', 'test/fixtures/playbooks/local-sample.ts', '-i', inv, '-e', `sample_root=${dir}/ws`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /is valid/);
  });
});

// Same file as the runs above: every local run takes the host's lock, so they must not overlap.
describe('SIGINT during a run', () => {
  it('finishes the step in flight, schedules nothing more, releases the lock and temp dir, prints the recap, exits 130', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'capstan-int-'));
    writeFileSync(join(dir, 'hosts.ini'), 'localhost ansible_connection=local\n');
    const release = join(dir, 'release');
    const child = spawn(join(root, 'bin/capstan.js'), ['run', 'test/fixtures/playbooks/slow-local.ts', '-i', join(dir, 'hosts.ini'), '-e', `release=${release}`, ...LOCK_WAIT], { cwd: root, env: { ...process.env, NO_COLOR: '1' } });
    const closed = new Promise<string>((r) => child.on('close', (code, signal) => r(signal ? `killed by ${signal}` : `exit ${code}`)));
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    // The first step holds until released: interrupt while it is in flight, then let it finish.
    await waitForOutput(child.stdout, /STEP \[first\]/, { timeoutMs: 60_000 });
    const tmp = /^tmp (.*)$/m.exec(readFileSync('/var/lib/capstan/run.lock', 'utf8'))?.[1];
    assert.match(tmp ?? '', /^\/tmp\/capstan\.run\./, 'the run names its temp dir in its lock');
    child.kill('SIGINT');
    await waitForOutput(child.stderr, /Interrupted: finishing the steps in flight/, { timeoutMs: 60_000 });
    writeFileSync(release, '');
    assert.equal(await closed, 'exit 130', `${out}${err}`);
    assert.match(out, /STEP \[first\]\nchanged: \[localhost\]/, 'the step in flight finished');
    assert.doesNotMatch(out, /STEP \[second\]|never reached/, 'nothing more was scheduled');
    assert.match(out, /PLAY RECAP/);
    assert.equal(existsSync('/var/lib/capstan/run.lock'), false, 'lock released');
    assert.equal(existsSync(tmp as string), false, 'temp dir removed');
  });
});

/*
 * The command line runs from the precompiled `dist/` when it is current, else from the
 * sources; both behave the same, and user code shares the engine's modules either way
 * (a Secret built in a playbook is still redacted, errors still point into the playbook).
 * In this file, with the runs above: runs on this machine take its run lock one at a time.
 */
const CANARY = 'canary-7c1e9f-precompiled';

function capstanFrom(args: string[], fromSource: boolean): Promise<{ code: number; out: string }> {
  const env = { ...process.env, NO_COLOR: '1', CAPSTAN_FROM_SOURCE: fromSource ? '1' : '0' };
  return new Promise((resolve) => {
    execFile(join(root, 'bin/capstan.js'), args, { cwd: root, env }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, out: stdout + stderr }));
  });
}

for (const mode of ['precompiled', 'source'] as const) {
  describe(`the command line from ${mode === 'precompiled' ? 'dist/' : 'the sources'}`, { skip: mode === 'precompiled' ? distSkip() : false }, () => {
    let dir = '';
    let inv = '';
    before(() => {
      dir = mkdtempSync(join(tmpdir(), `capstan-${mode}-`));
      inv = join(dir, 'hosts.ini');
      writeFileSync(inv, 'localhost ansible_connection=local\n');
    });
    after(() => rmSync(dir, { recursive: true, force: true }));
    const args = (...extra: string[]) => ['run', 'test/fixtures/playbooks/secret-local.ts', '-i', inv, '-e', `sample_root=${dir}`, '-e', `canary=${CANARY}`, ...LOCK_WAIT, ...extra];

    it('redacts a Secret built in the playbook, in check with --diff at full verbosity and in apply', async () => {
      for (const extra of [['--check', '--diff', '-vvvv'], ['--diff', '-vvvv'], ['--json', '--diff']]) {
        const r = await capstanFrom(args(...extra), mode === 'source');
        assert.equal(r.code, 0, r.out);
        assert.ok(!r.out.includes(CANARY), `the secret leaked with ${extra.join(' ')}:\n${r.out}`);
      }
      assert.equal(readFileSync(join(dir, 'token'), 'utf8'), CANARY);
    });

    it('names the playbook\'s file and line for an invalid step argument', async () => {
      const r = await capstanFrom(args('-e', 'bad_step=yes'), mode === 'source');
      assert.equal(r.code, 5, r.out);
      assert.match(r.out, /secret-local\.ts:12/);
    });
  });
}
