/**
 * The run lock's shell script, run for real as an unprivileged user (nobody) whose state
 * directory is a temp dir: exclusive creation, the busy answer with the holder and its age,
 * takeover of a silent lock (its temp directory removed), and refusal of an unsafe state
 * directory.
 *
 *   node --import tsx --test test/engine/run-lock.test.ts
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ExitCode, exitCodeFor } from '../../src/events.ts';
import { heartbeatScript, lockScript, parseLockOutput, releaseScript } from '../../src/engine/run-lock.ts';

const NOBODY = 65534;
/** Root and setpriv (util-linux) run the lock script as nobody; under CI (root, Debian) the specs always run. */
const canSwitch = process.getuid?.() === 0 && spawnSync('setpriv', ['--version']).status === 0;
const skipLock = canSwitch || process.env.CI ? false : 'needs root and setpriv (util-linux) to run the lock script as nobody';

describe('the run lock script', { skip: skipLock }, () => {
  let base: string;
  let state: string;
  const asNobody = (script: string) => {
    const r = spawnSync('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', 'env', `XDG_STATE_HOME=${state}`, 'sh', '-c', script], { encoding: 'utf8', cwd: '/' });
    return parseLockOutput(r.stdout, r.status ?? 1);
  };
  before(() => {
    base = mkdtempSync(join(tmpdir(), 'capstan-lock-'));
    chmodSync(base, 0o755);
    state = join(base, 'state');
    mkdirSync(state, { mode: 0o755 });
    chownSync(state, NOBODY, NOBODY);
  });
  after(() => rmSync(base, { recursive: true, force: true }));

  it('creates the state directory 0700 and the lock 0600, naming the run and its temp directory', () => {
    const a = asNobody(lockScript('run-a', 30_000));
    assert.equal(a.kind, 'acquired');
    if (a.kind !== 'acquired') return;
    assert.equal(a.path, join(state, 'capstan', 'run.lock'));
    assert.equal(statSync(join(state, 'capstan')).mode & 0o777, 0o700);
    assert.equal(statSync(a.path).mode & 0o777, 0o600);
    assert.match(readFileSync(a.path, 'utf8'), new RegExp(`^run run-a by nobody since \\S+\\ntmp ${a.tmpDir}\\n$`));
    assert.ok(a.tmpDir && existsSync(a.tmpDir));
  });

  it('answers busy with the holder and the age of its heartbeat; the heartbeat and the release touch only their own lock', () => {
    const b = asNobody(lockScript('run-b', 30_000));
    assert.equal(b.kind, 'busy');
    assert.match(b.kind === 'busy' ? b.holder : '', /^run run-a by nobody since /);
    assert.ok(b.kind === 'busy' && b.ageS >= 0 && b.ageS < 30);
    const path = join(state, 'capstan', 'run.lock');
    assert.equal(spawnSync('sh', ['-c', heartbeatScript(path, 'run-b')]).status, 3, 'not run-b\'s lock');
    assert.equal(spawnSync('sh', ['-c', heartbeatScript(path, 'run-a')]).status, 0);
    spawnSync('sh', ['-c', releaseScript(path, 'run-b')]);
    assert.ok(existsSync(path), 'run-b cannot release run-a\'s lock');
  });

  it('takes over a lock silent for longer than the stale time, and removes the dead run\'s temp directory', () => {
    const path = join(state, 'capstan', 'run.lock');
    const deadTmp = /^tmp (.*)$/m.exec(readFileSync(path, 'utf8'))?.[1] as string;
    const old = Date.now() / 1000 - 40;
    utimesSync(path, old, old);
    const c = asNobody(lockScript('run-c', 30_000));
    assert.equal(c.kind, 'acquired');
    const t = c.kind === 'acquired' ? c.takeover : undefined;
    assert.ok(t && t.ageS >= 40, `silent for ${t?.ageS} s`);
    assert.match(t.holder, /^run run-a by nobody since \S+$/);
    assert.equal(t.removed, deadTmp);
    assert.equal(existsSync(deadTmp), false);
    assert.match(readFileSync(path, 'utf8'), /^run run-c by nobody/);
  });

  it('refuses a state directory writable by others, or owned by someone else', () => {
    const dir = join(state, 'capstan');
    chmodSync(dir, 0o777);
    const open = asNobody(lockScript('run-d', 30_000));
    assert.deepEqual(open.kind === 'unsafe' && /writable by group or others \(mode 777\): chmod 0700/.test(open.message), true);
    chmodSync(dir, 0o700);
    chownSync(dir, 0, 0);
    const foreign = asNobody(lockScript('run-d', 30_000));
    assert.equal(foreign.kind, 'unsafe');
    assert.match(foreign.kind === 'unsafe' ? foreign.message : '', /owned by uid 0, not by nobody/);
  });
});

describe('exit code 3: a host locked by another run', () => {
  const t = (o: Partial<Record<'failed' | 'unreachable', number>>) => ({ ok: 0, changed: 0, uncertain: 0, skipped: 0, ignored: 0, failed: 0, unreachable: 0, ...o });
  it('is returned only when no host failed or was unreachable, and never when interrupted', () => {
    assert.equal(exitCodeFor([t({})], false, true), ExitCode.locked);
    assert.equal(exitCodeFor([t({ failed: 1 })], false, true), ExitCode.failed);
    assert.equal(exitCodeFor([t({ unreachable: 1 })], false, true), ExitCode.unreachable);
    assert.equal(exitCodeFor([t({})], true, true), ExitCode.interrupted);
  });
});
