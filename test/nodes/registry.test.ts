/**
 * Role reuse across projects through a real npm registry (Verdaccio on 127.0.0.1, see
 * test/support/registry.ts). The registry has no uplink: the third-party packages the
 * projects below install are published to it first, from this repository's installation
 * (test/support/registry-seed.ts), so the specification needs no network beyond 127.0.0.1.
 * Then capstan and every @capstan role are published with `npm publish` (their
 * prepare/prepack compile them), and projects outside this repository install them like any
 * team would:
 * - `examples/k3s-consumer`, with npm and again with pnpm (strict node_modules): strict
 *   type-check (exactOptionalPropertyTypes, noUncheckedIndexedAccess, no skipLibCheck),
 *   `capstan validate`, its playbook in check mode on throwaway nodes, nothing changed;
 * - a team publishes its own role built on @capstan/k3s-server (test/fixtures/registry/k3s-ha),
 *   a third project installs it with @capstan/k3s-agent and uses both (two hops of reuse);
 * - `npx capstan init` makes a project and `capstan role new` a role; the role's generated
 *   tests pass as generated (its node test on a throwaway node), it is published, installed
 *   in the project from the registry, and the project validates and checks on throwaway nodes;
 * - a role whose capstan peer range excludes the installed capstan is refused at load time,
 *   naming both versions.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { cp, lstat, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectFiles, roleFiles } from '../../src/cli/scaffold-files.ts';
import { diffSnapshots, dockerSkipReason, formatDiff, isEmptyDiff, startNodes, type NodeSet } from '../../src/testing/index.ts';
import { startRegistry, type Registry } from '../support/registry.ts';
import { dependencyNames, type PackageJson } from '../support/registry-seed.ts';
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

const manifest = (path: string) => JSON.parse(readFileSync(join(root, path), 'utf8')) as PackageJson;
const isOurs = (name: string) => name === 'capstan' || /^@(capstan|acme)\//.test(name);

/** Every third-party package the projects below declare: what the registry must serve. */
function thirdPartyNames(): string[] {
  const scaffold = { name: 'x', packageName: 'x', exportName: 'x', roleName: 'x', capstanVersion: '0.1.0' };
  const capstanPackage = manifest('package.json');
  return dependencyNames([
    { dependencies: capstanPackage.dependencies, peerDependencies: capstanPackage.peerDependencies },
    ...ROLES.map((r) => ({ dependencies: manifest(`roles/${r}/package.json`).dependencies })),
    manifest('examples/k3s-consumer/package.json'),
    ...['k3s-ha', 'edge-site', 'future-role'].map((f) => manifest(`test/fixtures/registry/${f}/package.json`)),
    JSON.parse(projectFiles(scaffold)['package.json']!) as PackageJson,
    JSON.parse(roleFiles(scaffold)['package.json']!) as PackageJson,
  ], isOurs);
}

describe('roles reused across projects through a real npm registry', () => {
  let registry: Registry | undefined;
  let work = '';
  let nodes: NodeSet | undefined;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'capstan-reuse-'));
    const r = (registry = await startRegistry());
    const ours = async () => {
      await r.publish(root);
      for (const role of ROLES) await r.publish(join(root, 'roles', role));
    };
    await Promise.all([r.publishInstalled(thirdPartyNames()), ours()]);
  });

  after(async () => {
    await nodes?.destroy();
    await registry?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  async function consumerProject(name: string): Promise<string> {
    const dir = join(work, name);
    await cp(join(root, 'examples/k3s-consumer'), dir, { recursive: true, filter: (src) => !src.includes('node_modules') });
    await registry!.writeNpmrc(dir);
    return dir;
  }

  /** `capstan run PLAYBOOK --check` on fresh nodes: changes predicted on every one, none made. */
  async function checkOnNodes(project: string, playbook = 'site.ts'): Promise<void> {
    nodes ??= await startNodes({ groups: { server: 1, agent: 2 } });
    const set = nodes;
    await set.writeInventory(join(project, 'inventory/hosts.yml'));
    const paths = ['/etc', '/usr/local/bin', '/var/lib'];
    const before = await Promise.all(set.nodes.map((n) => set.snapshotFs(n.name, paths)));
    const check = await capstan(project, ['run', playbook, '-i', 'inventory/hosts.yml', '--check', '--json']);
    ok(check, `capstan run ${playbook} --check`);
    const events = check.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; recap?: { hosts: Record<string, { changed: number; failed: number }> } });
    const recap = events.find((e) => e.type === 'run.end')?.recap;
    assert.ok(recap, 'a recap at the end');
    for (const host of set.nodes.map((n) => n.name)) {
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
    for (const role of ['k3s-server', 'k3s-agent']) {
      const installed = join(project, 'node_modules/@capstan', role);
      assert.deepEqual((await readdir(installed)).sort(), ['README.md', 'dist', 'package.json'], `${role}: what its package holds`);
      const dist = await readdir(join(installed, 'dist'));
      assert.ok(['index.js', 'index.d.ts', 'index.js.map'].every((f) => dist.includes(f)), `${role}/dist: ${dist.join(', ')}`);
    }
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

  it('capstan init and capstan role new: both pass their own tests as generated; the role reaches the project through the registry', async () => {
    // A team's first command fetches capstan from its registry (into a cache of this run's own).
    await registry!.writeNpmrc(work);
    const init = await runProcess(work, 'npm', ['exec', '--yes', '--package=capstan@^0.1.0', '--', 'capstan', 'init', 'infra'], { npm_config_cache: join(work, 'npx-cache') });
    ok(init, 'npx capstan init infra');
    const project = join(work, 'infra');
    await registry!.writeNpmrc(project);
    ok(await npmInstall(project), 'npm install (generated project)');
    ok(await tsc(project), 'strict tsc (generated project)');
    ok(await capstan(project, ['validate', 'site.ts', '-i', 'inventory/hosts.yml']), 'capstan validate (generated project)');

    const role = join(work, 'motd-banner');
    ok(await capstan(project, ['role', 'new', '@acme/motd-banner', '--dir', role]), 'capstan role new');
    await registry!.writeNpmrc(role);
    ok(await npmInstall(role), 'npm install (generated role)');
    // As in a user's shell: not as a test run nested in this one (which reports to its parent).
    const tested = await runProcess(role, 'npm', ['test'], { NODE_TEST_CONTEXT: undefined });
    ok(tested, 'npm test (generated role: types, README table, converge on a throwaway node)');
    assert.match(tested.stdout, /^# fail 0$/m);
    assert.match(tested.stdout, skip ? /^# skipped 1$/m : /^# pass 1$/m, skip ? 'skipped as this spec is' : 'the node test ran and passed');
    await registry!.publish(role);

    ok(await npmInstall(project, '@acme/motd-banner'), 'npm install @acme/motd-banner (generated project)');
    assert.match(await readFile(join(project, 'node_modules/@acme/motd-banner/dist/index.d.ts'), 'utf8'), /banner/);
    await writeFile(join(project, 'banner.ts'), [
      "import { definePlaybook } from 'capstan';",
      "import { motdBanner } from '@acme/motd-banner';",
      "export default definePlaybook({ plays: [{ name: 'banner', hosts: 'all', become: true, roles: [motdBanner.use({ banner: 'from the registry' })] }] });",
      '',
    ].join('\n'));
    ok(await tsc(project), 'strict tsc (generated project using the published role)');
    ok(await capstan(project, ['validate', 'banner.ts', '-i', 'inventory/hosts.yml']), 'capstan validate banner.ts');
    if (!skip) {
      await checkOnNodes(project, 'site.ts');
      await checkOnNodes(project, 'banner.ts');
    }
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
