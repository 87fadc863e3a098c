/**
 * The command line runs from the precompiled `dist/` when it is current, else from the
 * sources; both behave the same, and user code shares the engine's modules either way
 * (a Secret built in a playbook is still redacted, errors still point into the playbook).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;
const CANARY = 'canary-7c1e9f-precompiled';

function newest(dir: string): number {
  return readdirSync(dir, { withFileTypes: true }).reduce((m, e) =>
    Math.max(m, e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs), 0);
}

function distSkip(): string | false {
  const stamp = join(root, 'dist/built-from.json');
  if (!existsSync(stamp)) return 'dist/ is not built (npm install builds it; or npm run build)';
  const built = (JSON.parse(readFileSync(stamp, 'utf8')) as { sourcesMtimeMs: number }).sourcesMtimeMs;
  return newest(join(root, 'src')) > built ? 'dist/ is older than src/ (npm run build)' : false;
}

function capstan(args: string[], fromSource: boolean): Promise<{ code: number; out: string }> {
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
    const args = (...extra: string[]) => ['run', 'test/fixtures/playbooks/secret-local.ts', '-i', inv, '-e', `sample_root=${dir}`, '-e', `canary=${CANARY}`, ...extra];

    it('redacts a Secret built in the playbook, in check with --diff at full verbosity and in apply', async () => {
      for (const extra of [['--check', '--diff', '-vvvv'], ['--diff', '-vvvv'], ['--json', '--diff']]) {
        const r = await capstan(args(...extra), mode === 'source');
        assert.equal(r.code, 0, r.out);
        assert.ok(!r.out.includes(CANARY), `the secret leaked with ${extra.join(' ')}:\n${r.out}`);
      }
      assert.equal(readFileSync(join(dir, 'token'), 'utf8'), CANARY);
    });

    it('names the playbook\'s file and line for an invalid step argument', async () => {
      const r = await capstan(args('-e', 'bad_step=yes'), mode === 'source');
      assert.equal(r.code, 5, r.out);
      assert.match(r.out, /secret-local\.ts:12/);
    });
  });
}
