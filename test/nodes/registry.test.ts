/**
 * Role reuse across projects through a real npm registry (Verdaccio on 127.0.0.1, see
 * test/support/registry.ts): capstan and every @capstan role are published with
 * `npm publish` (their prepare/prepack compile them), then projects outside this repository
 * install them like any team would:
 * - `examples/k3s-consumer`, with npm and again with pnpm (strict node_modules): strict
 *   type-check (exactOptionalPropertyTypes, noUncheckedIndexedAccess, no skipLibCheck),
 *   `capstan validate`, its playbook in check mode on throwaway nodes, nothing changed;
 * - a team publishes its own role built on @capstan/k3s-server (test/fixtures/registry/k3s-ha),
 *   a third project installs it with @capstan/k3s-agent and uses both (two hops of reuse);
 * - a role whose capstan peer range excludes the installed capstan is refused at load time,
 *   naming both versions.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cp, lstat, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { diffSnapshots, dockerSkipReason, formatDiff, isEmptyDiff, startNodes, type NodeSet } from '../../src/testing/index.ts';
import { startRegistry, type Registry } from '../support/registry.ts';
import { runProcess, type ProcessResult } from '../support/run-process.ts';

const root = new URL('../..', import.meta.url).pathname;
const fixtures = join(root, 'test/fixtures/registry');
const skip = await dockerSkipReason();
/** Role packages, each after the roles it depends on (their prepack compiles against those). */
const ROLES = ['k3s-server', 'k3s-prereq', 'k3s-agent', 'haproxy', 'etcd-migrate', 'helm-monitoring'];
const PNPM = join(root, 'node_modules/pnpm/bin/pnpm.cjs');

const ok = (r: ProcessResult, what: string) => assert.equal(r.code, 0, `${what}:\n${r.stdout.slice(-4000)}\n${r.stderr.slice(-4000)}`);
const npmInstall = (dir: string, ...extra: string[]) => runProcess(dir, 'npm', ['install', '--no-audit', '--no-fund', ...extra]);
const pnpmInstall = (dir: string, store: string) => runProcess(dir, process.execPath, [PNPM, 'install', '--store-dir', store, '--reporter', 'append-only']);
const tsc = (dir: string) => runProcess(dir, join(dir, 'node_modules/.bin/tsc'), ['-p', '.']);
const capstan = (dir: string, args: string[]) => runProcess(dir, join(dir, 'node_modules/.bin/capstan'), args);

interface PackedFile { path: string }
async function packedFiles(dir: string): Promise<string[]> {
  const r = await runProcess(dir, 'npm', ['pack', '--dry-run', '--json', '--ignore-scripts']);
  ok(r, `npm pack --dry-run in ${dir}`);
  const [pack] = JSON.parse(r.stdout) as { files: PackedFile[] }[];
  return (pack?.files ?? []).map((f) => f.path);
}

describe('roles reused across projects through a real npm registry', () => {
  let registry: Registry | undefined;
  let work = '';
  let nodes: NodeSet | undefined;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'capstan-reuse-'));
    registry = await startRegistry({ localScopes: ['@acme/*'] });
    await registry.publish(root);
    for (const role of ROLES) await registry.publish(join(root, 'roles', role));
  });

  after(async () => {
    await nodes?.destroy();
    await registry?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('packs only what a user needs: compiled code, declarations, source maps, templates, docs; no sources, tests or fixtures', async () => {
    for (const dir of [root, ...ROLES.map((r) => join(root, 'roles', r))]) {
      const files = await packedFiles(dir);
      assert.ok(files.includes('dist/index.js') && files.includes('dist/index.d.ts') && files.includes('dist/index.js.map'), `${dir}: ${files.join(', ')}`);
      const unneeded = files.filter((f) => /^(src|test|tests|fixtures|roles|bench|playbooks|scripts|examples)\//.test(f) || /(^|\/)(test|fixtures|golden)\//.test(f) || /\.test\.|tsconfig|\.tsbuildinfo$/.test(f));
      assert.deepEqual(unneeded, [], `${dir} packs files a user does not need`);
    }
  });

  async function consumerProject(name: string): Promise<string> {
    const dir = join(work, name);
    await cp(join(root, 'examples/k3s-consumer'), dir, { recursive: true, filter: (src) => !src.includes('node_modules') });
    await registry!.writeNpmrc(dir);
    return dir;
  }

  async function checkOnNodes(project: string): Promise<void> {
    nodes ??= await startNodes({ groups: { server: 1, agent: 2 } });
    const set = nodes;
    await set.writeInventory(join(project, 'inventory/hosts.yml'));
    const paths = ['/etc', '/usr/local/bin', '/var/lib'];
    const before = await Promise.all(set.nodes.map((n) => set.snapshotFs(n.name, paths)));
    const check = await capstan(project, ['run', 'site.ts', '-i', 'inventory/hosts.yml', '--check', '--json']);
    ok(check, 'capstan run --check');
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
  }

  async function typeChecksStrictly(project: string): Promise<void> {
    ok(await tsc(project), 'strict tsc');
    await writeFile(join(project, 'wrong.ts'), "import { k3sServer } from '@capstan/k3s-server';\nk3sServer.use({ tls_san: 'one-name-not-a-list' });\n");
    const wrong = await tsc(project);
    assert.notEqual(wrong.code, 0);
    assert.match(wrong.stdout, /wrong\.ts\(2,\d+\)[\s\S]*string\[\]/);
    await rm(join(project, 'wrong.ts'));
  }

  it('examples/k3s-consumer installs with npm, type-checks strictly, validates, and checks on fresh nodes without changing them', async () => {
    const project = await consumerProject('npm-consumer');
    ok(await npmInstall(project), 'npm install');
    assert.equal((await lstat(join(project, 'node_modules/capstan'))).isSymbolicLink(), false, 'capstan is an installed copy, not a link');
    assert.deepEqual((await readdir(join(project, 'node_modules/@capstan/k3s-server'))).sort(), ['README.md', 'dist', 'package.json']);
    await typeChecksStrictly(project);
    ok(await capstan(project, ['validate', 'site.ts', '-i', 'inventory/hosts.yml']), 'capstan validate');
    if (!skip) await checkOnNodes(project);
  });

  it('examples/k3s-consumer installs with pnpm (strict node_modules), type-checks strictly, validates, and checks on fresh nodes', async () => {
    const project = await consumerProject('pnpm-consumer');
    ok(await pnpmInstall(project, join(work, 'pnpm-store')), 'pnpm install');
    const top = (await readdir(join(project, 'node_modules'))).filter((f) => !f.startsWith('.'));
    assert.ok(!top.includes('yaml') && !top.includes('zod'), `only direct dependencies at the top: ${top.join(', ')}`);
    await typeChecksStrictly(project);
    ok(await capstan(project, ['validate', 'site.ts', '-i', 'inventory/hosts.yml']), 'capstan validate');
    if (!skip) await checkOnNodes(project);
  });

  it('a team publishes its own role built on @capstan/k3s-server; a third project uses it with @capstan/k3s-agent', async () => {
    const team = join(work, 'k3s-ha');
    await cp(join(fixtures, 'k3s-ha'), team, { recursive: true });
    await registry!.writeNpmrc(team);
    ok(await npmInstall(team), 'npm install (team role)');
    await registry!.publish(team);

    const site = join(work, 'edge-site');
    await cp(join(fixtures, 'edge-site'), site, { recursive: true });
    await registry!.writeNpmrc(site);
    ok(await npmInstall(site), 'npm install (third project)');
    ok(await tsc(site), 'strict tsc (third project)');
    const valid = await capstan(site, ['validate', 'site.ts', '-i', 'inventory/hosts.yml']);
    ok(valid, 'capstan validate (third project)');
    assert.match(valid.stdout, /valid/);
  });

  it('refuses a role whose capstan peer range excludes the installed capstan, naming both versions', async () => {
    await registry!.publish(join(fixtures, 'future-role'));
    const project = join(work, 'future');
    await mkdir(join(project, 'inventory'), { recursive: true });
    await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'future', version: '1.0.0', private: true, type: 'module', dependencies: { capstan: '^0.1.0', '@acme/future-role': '^1.0.0' } }));
    await writeFile(join(project, 'site.ts'), "import { futureRole } from '@acme/future-role';\nimport { definePlaybook } from 'capstan';\nexport default definePlaybook({ plays: [{ name: 'p', hosts: 'all', roles: [futureRole.use()] }] });\n");
    await writeFile(join(project, 'inventory/hosts.ini'), 'web1 ansible_host=192.0.2.5\n');
    await registry!.writeNpmrc(project);
    const strict = await npmInstall(project);
    assert.notEqual(strict.code, 0, 'npm itself refuses the unmet peer');
    ok(await npmInstall(project, '--legacy-peer-deps'), 'npm install --legacy-peer-deps');
    const r = await capstan(project, ['validate', 'site.ts', '-i', 'inventory/hosts.ini']);
    assert.equal(r.code, 5, r.stdout + r.stderr);
    assert.match(r.stderr, /@acme\/future-role 1\.0\.0 works with capstan >=9\.0\.0.*but this is capstan 0\.1\.0/);
  });
});
