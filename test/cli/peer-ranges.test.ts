/**
 * A role package names the capstan it works with (`peerDependencies.capstan`); when the
 * running capstan is outside that range, loading the playbook fails before any connection,
 * naming the role, its range and both versions. (test/nodes/registry.test.ts does the same
 * with packages installed from a real registry.)
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runProcess } from '../support/run-process.ts';

const root = new URL('../..', import.meta.url).pathname;
const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;

async function project(dir: string, range: string): Promise<void> {
  await mkdir(join(dir, 'node_modules/@acme'), { recursive: true });
  await cp(join(root, 'test/fixtures/registry/future-role'), join(dir, 'node_modules/@acme/future-role'), { recursive: true });
  const pkg = join(dir, 'node_modules/@acme/future-role/package.json');
  const manifest = JSON.parse(readFileSync(pkg, 'utf8')) as { peerDependencies: Record<string, string> };
  manifest.peerDependencies['capstan'] = range;
  await writeFile(pkg, JSON.stringify(manifest));
  await symlink(root, join(dir, 'node_modules/capstan'));
  await writeFile(join(dir, 'package.json'), '{"name": "site", "type": "module"}');
  await writeFile(join(dir, 'site.ts'), "import { futureRole } from '@acme/future-role';\nimport { definePlaybook } from 'capstan';\nexport default definePlaybook({ plays: [{ name: 'p', hosts: 'all', roles: [futureRole.use()] }] });\n");
  await writeFile(join(dir, 'hosts.ini'), 'web1 ansible_host=192.0.2.5\n');
}

describe('a role package whose capstan range excludes the running capstan', () => {
  let work = '';
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'capstan-peer-'));
  });
  after(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('is refused at load time, naming the role, its range and both versions', async () => {
    const dir = join(work, 'future');
    await project(dir, '>=9.0.0');
    const r = await runProcess(dir, join(root, 'bin/capstan.js'), ['validate', 'site.ts', '-i', 'hosts.ini']);
    assert.equal(r.code, 5, r.stdout + r.stderr);
    assert.match(r.stderr, new RegExp(`@acme/future-role 1\\.0\\.0 works with capstan >=9\\.0\\.0 \\(its peerDependencies\\), but this is capstan ${version.replace(/\./g, '\\.')}`));
  });

  it('loads when the range includes the running capstan', async () => {
    const dir = join(work, 'current');
    await project(dir, `^${version}`);
    const r = await runProcess(dir, join(root, 'bin/capstan.js'), ['validate', 'site.ts', '-i', 'hosts.ini']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
  });
});
