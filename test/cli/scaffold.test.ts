/**
 * `capstan init` and `capstan role new` generate what passes its own checks out of the box:
 * the project and the role type-check under a strict tsconfig against capstan's published
 * declarations, the project's playbook validates, the role's README carries its variables
 * table, and nothing is overwritten. (test/nodes/registry.test.ts installs both from a real
 * registry and runs the role's generated test on a throwaway node.)
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runProcess } from '../support/run-process.ts';

const root = new URL('../..', import.meta.url).pathname;
const capstan = (cwd: string, args: string[]) => runProcess(cwd, join(root, 'bin/capstan.js'), args);
const tsc = (cwd: string) => runProcess(cwd, process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', '.']);

describe('capstan init and capstan role new', () => {
  let work = '';
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'capstan-scaffold-'));
    const init = await capstan(work, ['init', 'infra']);
    assert.equal(init.code, 0, init.stderr);
    const role = await capstan(work, ['role', 'new', '@acme/motd-banner']);
    assert.equal(role.code, 0, role.stderr);
    // Installed packages: this checkout's (capstan is linked to it, its declarations built by npm install).
    for (const dir of ['infra', 'motd-banner']) await symlink(join(root, 'node_modules'), join(work, dir, 'node_modules'));
  });
  after(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('creates a project whose README starts with the two commands, and whose playbook type-checks and validates', async () => {
    for (const f of ['package.json', 'tsconfig.json', 'site.ts', 'inventory/hosts.yml', 'README.md']) assert.ok(existsSync(join(work, 'infra', f)), f);
    assert.match(readFileSync(join(work, 'infra/README.md'), 'utf8'), /```sh\nnpm install\nnpx capstan run site\.ts -i inventory\/hosts\.yml --check --diff\n```/);
    const types = await tsc(join(work, 'infra'));
    assert.equal(types.code, 0, types.stdout);
    const valid = await capstan(join(work, 'infra'), ['validate', 'site.ts', '-i', 'inventory/hosts.yml']);
    assert.equal(valid.code, 0, valid.stdout + valid.stderr);
  });

  it('creates a role package: typed variables, steps, handlers, a node test, a README with its variables table', async () => {
    const dir = join(work, 'motd-banner');
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name: string; peerDependencies: Record<string, string> };
    assert.equal(pkg.name, '@acme/motd-banner');
    assert.match(pkg.peerDependencies['capstan'] ?? '', /^\^\d+\.\d+\.\d+$/);
    assert.match(readFileSync(join(dir, 'src/index.ts'), 'utf8'), /handlers:/);
    assert.match(readFileSync(join(dir, 'test/role.test.ts'), 'utf8'), /runScenario/);
    assert.match(readFileSync(join(dir, 'README.md'), 'utf8'), /\| `banner` \| string \| required \| no \| text shown at login \|/);
    const types = await tsc(dir);
    assert.equal(types.code, 0, types.stdout);
    const docs = await capstan(dir, ['role', 'docs', '.', '--check']);
    assert.equal(docs.code, 0, docs.stderr);
  });

  it('overwrites nothing', async () => {
    const again = await capstan(work, ['role', 'new', '@acme/motd-banner']);
    assert.equal(again.code, 5);
    assert.match(again.stderr, /already has .*package\.json.*nothing was written/);
  });
});
