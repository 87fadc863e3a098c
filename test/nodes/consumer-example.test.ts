/**
 * Role reuse across projects: `examples/k3s-consumer` installs capstan and the K3s roles
 * from packed tarballs (as from a registry), type-checks against the roles' variable types,
 * and runs its playbook in check mode on throwaway nodes without changing them.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { diffSnapshots, dockerSkipReason, formatDiff, isEmptyDiff, startNodes, type NodeSet } from '../../src/testing/index.ts';

const root = new URL('../..', import.meta.url).pathname;
const skip = await dockerSkipReason();

function run(cwd: string, file: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd, env: { ...process.env, NO_COLOR: '1' }, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
  });
}

describe('a consumer project reuses the K3s roles as packages (examples/k3s-consumer)', () => {
  let work = '';
  let project = '';
  let nodes: NodeSet | undefined;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'capstan-consumer-'));
    project = join(work, 'k3s-consumer');
    const packs = join(work, 'packs');
    await mkdir(packs);
    for (const args of [['pack', '--pack-destination', packs], ['pack', '-w', 'roles/k3s-server', '-w', 'roles/k3s-agent', '--pack-destination', packs]]) {
      const r = await run(root, 'npm', [...args, '--silent']);
      assert.equal(r.code, 0, r.stderr);
    }
    await cp(join(root, 'examples/k3s-consumer'), project, { recursive: true, filter: (src) => !src.includes('node_modules') });
    const tarballs = (await readdir(packs)).filter((f) => f.endsWith('.tgz')).map((f) => join(packs, f));
    assert.equal(tarballs.length, 3, `packed: ${tarballs.join(', ')}`);
    const install = await run(project, 'npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--ignore-scripts', ...tarballs]);
    assert.equal(install.code, 0, install.stderr);
  });

  after(async () => {
    await nodes?.destroy();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('installs the roles from their tarballs: compiled code and declarations, not the sources or the repository\'s tests', async () => {
    const server = await readdir(join(project, 'node_modules/@capstan/k3s-server'));
    assert.deepEqual(server.sort(), ['README.md', 'dist', 'package.json']);
    const core = await readdir(join(project, 'node_modules/capstan'));
    assert.ok(core.includes('dist') && core.includes('bin') && !core.includes('src') && !core.includes('test') && !core.includes('roles'), core.join(', '));
  });

  it('type-checks against the roles\' variable types (a wrong variable is a compile error)', async () => {
    const ok = await run(project, join(project, 'node_modules/.bin/tsc'), ['--noEmit', '-p', '.']);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    await writeFile(join(project, 'wrong.ts'), "import { k3sServer } from '@capstan/k3s-server';\nk3sServer.use({ tls_san: 'one-name-not-a-list' });\n");
    const wrong = await run(project, join(project, 'node_modules/.bin/tsc'), ['--noEmit', '-p', '.']);
    assert.notEqual(wrong.code, 0);
    assert.match(wrong.stdout, /wrong\.ts\(2,\d+\).*tls_san|wrong\.ts\(2,\d+\)[\s\S]*string\[\]/);
    await rm(join(project, 'wrong.ts'));
  });

  it('runs its playbook in check mode on fresh nodes: changes predicted, nothing changed', { skip }, async () => {
    nodes = await startNodes({ groups: { server: 1, agent: 2 } });
    const set = nodes;
    await set.writeInventory(join(project, 'inventory/hosts.yml'));
    const paths = ['/etc', '/usr/local/bin', '/var/lib'];
    const before = await Promise.all(set.nodes.map((n) => set.snapshotFs(n.name, paths)));
    const check = await run(project, join(project, 'node_modules/.bin/capstan'), ['run', 'site.ts', '-i', 'inventory/hosts.yml', '--check', '--json']);
    assert.equal(check.code, 0, check.stdout.slice(-4000) + check.stderr);
    const events = check.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; recap?: { hosts: Record<string, { changed: number; failed: number }> } });
    const recap = events.find((e) => e.type === 'run.end')?.recap;
    assert.ok(recap, 'a recap at the end');
    for (const host of ['server1', 'agent1', 'agent2']) {
      assert.ok((recap.hosts[host]?.changed ?? 0) > 0, `${host}: changes predicted`);
      assert.equal(recap.hosts[host]?.failed, 0);
    }
    const after = await Promise.all(set.nodes.map((n) => set.snapshotFs(n.name, paths)));
    set.nodes.forEach((n, i) => {
      const diff = diffSnapshots(before[i]!, after[i]!);
      assert.ok(isEmptyDiff(diff), `${n.name} changed under --check:\n${formatDiff(diff)}`);
    });
  });
});
