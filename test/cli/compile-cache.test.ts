/**
 * The user's TypeScript is compiled once and kept in the project's compile cache
 * (node_modules/.cache/capstan): a later run imports the compiled playbook without starting
 * a TypeScript loader, an edit to the playbook or to a file it imports is compiled again
 * (stale code is never served), and a damaged cache entry is ignored and rewritten.
 *
 *   node --import tsx --test test/cli/compile-cache.test.ts
 */
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { distSkip } from '../support/precompiled.ts';

const root = new URL('../..', import.meta.url).pathname;
const RECORDER = join(root, 'test/support/loaded-modules.mjs');

const playbook = (importLine: string, name: string) => `import { definePlaybook, shell } from 'capstan';
${importLine}
export default definePlaybook({ plays: [{ name: ${name}, hosts: 'all', steps: [shell({ script: 'true' }, { name: 'noop' })] }] });
`;

interface Result { code: number; stdout: string; stderr: string; modules: string[] }

let dir = '';
let project = '';
let cache = '';

/** `capstan validate site.ts` in the project, recording the modules its main thread imports. */
const validate = () => capstan(['validate', 'site.ts', '-i', join(dir, 'hosts.ini')]);

function capstan(args: string[], fromSource = false): Promise<Result> {
  const log = join(dir, `modules-${Math.random().toString(36).slice(2)}.txt`);
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', CAPSTAN_FROM_SOURCE: fromSource ? '1' : '0', CAPSTAN_MODULES_LOG: log };
  delete env.CAPSTAN_CACHE_DIR;
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', RECORDER, join(root, 'bin/capstan.js'), ...args], { cwd: project, env }, (err, stdout, stderr) => {
      let modules: string[] = [];
      try {
        modules = readFileSync(log, 'utf8').split('\n').filter(Boolean);
      } catch { /* nothing was imported through the hooks */ }
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr, modules });
    });
  });
}

const loaded = (r: Result, pkg: string) => r.modules.some((u) => u.includes(`/node_modules/${pkg}/`));
const bundles = () => (existsSync(cache) ? readdirSync(cache).filter((f) => f.endsWith('.mjs')) : []);
const manifests = () => readdirSync(cache).filter((f) => f.endsWith('.json')).map((f) => JSON.parse(readFileSync(join(cache, f), 'utf8')) as { bundle: string; bundleSha256: string });

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'capstan-cache-'));
  writeFileSync(join(dir, 'hosts.ini'), 'localhost ansible_connection=local\n');
  project = join(dir, 'project');
  mkdirSync(join(project, 'node_modules'), { recursive: true });
  symlinkSync(root, join(project, 'node_modules', 'capstan'));
  cache = join(project, 'node_modules', '.cache', 'capstan');
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('the compile cache of the user\'s TypeScript', { skip: distSkip() }, () => {
  beforeEach(() => {
    rmSync(cache, { recursive: true, force: true });
    mkdirSync(join(project, 'roles'), { recursive: true });
    writeFileSync(join(project, 'roles', 'names.ts'), 'export const playName: string = \'first\';\n');
    writeFileSync(join(project, 'site.ts'), playbook('import { playName } from \'./roles/names.ts\';', 'playName'));
  });

  it('compiles the playbook once: a second run imports it without a TypeScript loader or compiler', async () => {
    const first = await validate();
    assert.equal(first.code, 0, first.stderr);
    assert.equal(bundles().length, 1, 'the compiled playbook is kept in node_modules/.cache/capstan');
    const second = await validate();
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /play "first"/);
    assert.ok(!loaded(second, 'tsx') && !loaded(second, 'esbuild'), `a warm run loaded: ${second.modules.filter((u) => /tsx|esbuild/.test(u)).join(', ')}`);
  });

  it('compiles an edited playbook again: stale code is never served', async () => {
    assert.match((await validate()).stdout, /play "first"/);
    writeFileSync(join(project, 'site.ts'), playbook('', '\'edited\''));
    const r = await validate();
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /play "edited"/);
    assert.equal(bundles().length, 1, 'the compile replaced the previous bundle');
  });

  it('compiles again when a file the playbook imports was edited', async () => {
    assert.match((await validate()).stdout, /play "first"/);
    writeFileSync(join(project, 'roles', 'names.ts'), 'export const playName: string = \'second\';\n');
    const r = await validate();
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /play "second"/);
  });

  it('ignores a truncated compiled playbook and writes it again', async () => {
    await validate();
    const [bundle] = bundles();
    truncateSync(join(cache, bundle!), 40);
    const r = await validate();
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /play "first"/);
    for (const m of manifests()) {
      assert.equal(createHash('sha256').update(readFileSync(join(cache, m.bundle))).digest('hex'), m.bundleSha256, 'the entry was rewritten whole');
    }
  });

  it('ignores a damaged cache record', async () => {
    await validate();
    for (const f of readdirSync(cache).filter((n) => n.endsWith('.json'))) writeFileSync(join(cache, f), '{"inputs": {');
    const r = await validate();
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /play "first"/);
  });

  it('reports a playbook that does not compile as before, and caches nothing for it', async () => {
    writeFileSync(join(project, 'site.ts'), 'export default definePlaybook({ plays: [ });\n');
    const r = await validate();
    assert.equal(r.code, 5, r.stderr);
    assert.match(r.stderr, /could not load playbook site\.ts/);
    assert.deepEqual(bundles(), []);
  });
});

describe('what a command loads', () => {
  it('`capstan validate` connects to no host and loads no SSH client', { skip: distSkip() }, async () => {
    writeFileSync(join(project, 'site.ts'), playbook('', '\'ssh\''));
    writeFileSync(join(dir, 'ssh.ini'), 'web1 ansible_host=192.0.2.10\n');
    const r = await capstan(['validate', 'site.ts', '-i', join(dir, 'ssh.ini')]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(loaded(r, 'zod'), 'the modules it loads are recorded');
    assert.equal(loaded(r, 'ssh2'), false);
  });

  it('`capstan --version` loads the command line parser, not the inventory, playbook or vault readers', { skip: distSkip() }, async () => {
    const r = await capstan(['--version']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(loaded(r, 'yargs'), 'the modules it loads are recorded');
    assert.deepEqual(['yaml', 'semver', 'zod', 'ssh2', 'tsx', 'esbuild'].filter((pkg) => loaded(r, pkg)), []);
  });


  it('`capstan run` never loads the Docker client, the scaffolding, advise, the lab or the recipes', async () => {
    writeFileSync(join(project, 'site.ts'), playbook('', '\'local\''));
    // another run on this machine (a spec beside this one) may hold localhost's lock for a moment
    const r = await capstan(['run', 'site.ts', '-i', join(dir, 'hosts.ini'), '--check', '--lock-wait', '120'], true);
    assert.equal(r.code, 0, r.stderr);
    const unwanted = r.modules.filter((u) => /\/node_modules\/dockerode\/|\/src\/(cli\/(scaffold|advise|lab|recipe|role-docs)|testing|advise)\b/.test(u));
    assert.ok(r.modules.some((u) => u.endsWith('/src/cli/run.ts')), 'the modules it loads are recorded');
    assert.deepEqual(unwanted, []);
  });
});
