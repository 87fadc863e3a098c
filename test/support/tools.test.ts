/**
 * A test whose tool is missing is skipped outside CI, with the package to install, and fails
 * under CI, by name: CI never skips for want of a package.
 *
 *   node --import tsx --test test/support/tools.test.ts
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { findTool, requires, TOOLS } from './tools.ts';

const root = new URL('../..', import.meta.url).pathname;

function runFixture(ci: boolean): { status: number | null; out: string } {
  const env = { ...process.env };
  delete env.CI;
  delete env.NODE_TEST_CONTEXT; // run as a test runner of its own, not as a child of this one
  if (ci) env.CI = 'true';
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=tap', 'test/fixtures/tools/needs-missing-tool.ts'], { cwd: root, env, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('requires: what a test needs on this machine', () => {
  it('outside CI, skips and names the Debian package to install', () => {
    const r = runFixture(false);
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /# SKIP capstan-no-such-tool is not installed \(apt-get install -y capstan-no-such-package/);
    assert.match(r.out, /# fail 0/);
  });

  it('under CI, runs the test (which fails) and adds a failing test named after the tool', () => {
    const r = runFixture(true);
    assert.equal(r.status, 1, r.out);
    assert.match(r.out, /not ok \d+ - capstan-no-such-tool is installed \(CI must install the Debian package capstan-no-such-package/);
    assert.match(r.out, /not ok \d+ - runs it/);
    assert.match(r.out, /# fail 2/);
  });

  it('finds a tool on PATH or in the sbin directories, and asks nothing of one that is there', () => {
    assert.equal(findTool('sh'), '/usr/bin/sh');
    assert.equal(findTool('capstan-no-such-tool'), undefined);
    assert.equal(requires({ command: 'sh', apt: 'dash' }), false);
  });

  it('names a package for every tool, and scripts/prerequisites.sh installs each of them', () => {
    const listed = spawnSync('bash', ['scripts/prerequisites.sh', '--list'], { cwd: root, encoding: 'utf8' }).stdout.split('\n');
    const missing = Object.values(TOOLS).map((t) => t.apt).filter((p) => !listed.includes(p));
    assert.deepEqual(missing, [], 'packages the tests need that scripts/prerequisites.sh does not install');
  });
});
