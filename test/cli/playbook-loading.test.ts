/**
 * Playbooks load as ES modules wherever they are: in a directory without a package.json
 * (which Node reads as CommonJS), and outside any project (capstan is the running copy).
 * From the sources and from the precompiled dist/ alike.
 *
 *   node --import tsx --test test/cli/playbook-loading.test.ts
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { distSkip } from '../support/precompiled.ts';

const root = new URL('../..', import.meta.url).pathname;

const PLAYBOOK = `import { definePlaybook, shell } from 'capstan';
export default definePlaybook({ plays: [{ name: 'p', hosts: 'all', steps: [shell({ script: 'true' }, { name: 'noop' })] }] });
`;

function capstan(args: string[], cwd: string, fromSource: boolean): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env, NO_COLOR: '1', CAPSTAN_FROM_SOURCE: fromSource ? '1' : '0' };
  return new Promise((resolve) => {
    execFile(join(root, 'bin/capstan.js'), args, { cwd, env }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
  });
}

for (const mode of ['source', 'precompiled'] as const) {
  describe(`loading a playbook (${mode === 'source' ? 'from the sources' : 'from dist/'})`, { skip: mode === 'precompiled' ? distSkip() : false }, () => {
    let dir = '';
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'capstan-load-'));
      writeFileSync(join(dir, 'hosts.ini'), 'localhost ansible_connection=local\n');
      mkdirSync(join(dir, 'project', 'node_modules'), { recursive: true });
      symlinkSync(root, join(dir, 'project', 'node_modules', 'capstan'));
      writeFileSync(join(dir, 'project', 'site.ts'), PLAYBOOK);
      mkdirSync(join(dir, 'loose'));
      writeFileSync(join(dir, 'loose', 'site.ts'), PLAYBOOK);
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('loads a playbook from a directory without a package.json as an ES module', async () => {
      const r = await capstan(['validate', 'site.ts', '-i', join(dir, 'hosts.ini')], join(dir, 'project'), mode === 'source');
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /site\.ts is valid/);
    });

    it('loads a playbook outside any project with the running copy of capstan', async () => {
      const r = await capstan(['validate', 'site.ts', '-i', join(dir, 'hosts.ini')], join(dir, 'loose'), mode === 'source');
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /site\.ts is valid/);
    });
  });
}
