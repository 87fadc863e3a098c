/**
 * A real npm registry for specifications: Verdaccio on 127.0.0.1 with a throwaway storage
 * directory and configuration, a user made for the run, and `.npmrc` files that point npm
 * and pnpm at it. It has no uplink: it serves what is published to it and nothing else, so
 * a specification using it needs no network beyond 127.0.0.1.
 *
 *   const registry = await startRegistry();
 *   await registry.publishInstalled(['zod', 'typescript']);  // and what they depend on
 *   await registry.publish(join(root, 'roles/k3s-server'));
 *   await registry.writeNpmrc(projectDir);          // npm install / pnpm install use it
 *   await registry.stop();
 *
 * The third-party packages a specification's projects install are published to it from this
 * repository's own installation (`publishInstalled`, registry-seed.ts): the versions
 * package-lock.json pins, as tarballs npm downloaded.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installedClosure, publishTarballs, tarballsOf } from './registry-seed.ts';
import { runProcess } from './run-process.ts';

const VERDACCIO = new URL('../../node_modules/verdaccio/bin/verdaccio', import.meta.url).pathname;
const READY_WITHIN_MS = 90_000;

export interface Registry {
  /** `http://127.0.0.1:PORT/` */
  readonly url: string;
  readonly token: string;
  /** An npmrc that publishes to and installs from this registry only. */
  readonly userconfig: string;
  /** `npm publish` of a package directory or tarball (its prepack/prepare run). */
  publish(dir: string): Promise<void>;
  /** Publishes packages installed in this repository, with everything they depend on. */
  publishInstalled(names: string[]): Promise<void>;
  /** Writes `.npmrc` into a project so that npm and pnpm install from this registry. */
  writeNpmrc(projectDir: string): Promise<void>;
  stop(): Promise<void>;
}


async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function verdaccioConfig(dir: string): string {
  // No uplinks, and no `proxy` for any package: a name not published here is not found.
  const packages = { '@*/*': local(), '**': local() };
  // JSON is YAML: Verdaccio reads this as its config.yaml.
  return JSON.stringify({
    storage: join(dir, 'storage'),
    auth: { htpasswd: { file: join(dir, 'htpasswd'), max_users: 10 } },
    uplinks: {},
    packages,
    web: { enable: false },
    middlewares: { audit: { enabled: false } },
    max_body_size: '50mb',
    log: { type: 'stdout', format: 'json', level: 'warn' },
  }, null, 2);
}

function local(): object {
  return { access: '$all', publish: '$authenticated', unpublish: '$authenticated' };
}

async function waitUntilReady(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + READY_WITHIN_MS;
  let exited = false;
  child.once('exit', () => (exited = true));
  while (Date.now() < deadline) {
    if (exited) throw new Error(`verdaccio exited while starting:\n${output()}`);
    const ok = await fetch(`${url}-/ping`).then((r) => r.ok, () => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`verdaccio did not answer ${url}-/ping within ${READY_WITHIN_MS / 1000} s:\n${output()}`);
}

async function addUser(url: string): Promise<string> {
  const name = 'capstan-spec';
  const res = await fetch(`${url}-/user/org.couchdb.user:${name}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name, password: `pw-${process.pid}-${Date.now()}` }),
  });
  const body = (await res.json()) as { token?: string };
  if (!res.ok || !body.token) throw new Error(`verdaccio refused the user: ${res.status} ${JSON.stringify(body)}`);
  return body.token;
}

async function publishInstalled(url: string, token: string, names: string[], dir: string): Promise<void> {
  const root = new URL('../..', import.meta.url).pathname;
  const scratch = await mkdtemp(join(dir, 'tarballs-'));
  await publishTarballs(url, token, await tarballsOf(installedClosure(root, names), scratch));
}

export async function startRegistry(): Promise<Registry> {
  const dir = await mkdtemp(join(tmpdir(), 'capstan-registry-'));
  await writeFile(join(dir, 'config.yaml'), verdaccioConfig(dir));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  const child = spawn(process.execPath, [VERDACCIO, '--config', join(dir, 'config.yaml'), '--listen', `127.0.0.1:${port}`], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const keep = (d: Buffer) => void (log = (log + d.toString()).slice(-20_000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const stop = async () => {
    if (child.exitCode === null) {
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await gone;
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitUntilReady(url, child, () => log);
    const token = await addUser(url);
    const authLine = `//127.0.0.1:${port}/:_authToken=${token}`;
    const userconfig = join(dir, 'npmrc');
    await writeFile(userconfig, `registry=${url}\n${authLine}\n`);
    return {
      url, token, userconfig, stop,
      async publish(pkg) {
        const r = await runProcess(pkg, 'npm', ['publish', pkg, '--registry', url, '--userconfig', userconfig, '--no-audit', '--no-fund']);
        if (r.code !== 0) throw new Error(`npm publish ${pkg} failed (${r.code}):\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}\nregistry log:\n${log.slice(-3000)}`);
      },
      publishInstalled: (names) => publishInstalled(url, token, names, dir),
      async writeNpmrc(projectDir) {
        await writeFile(join(projectDir, '.npmrc'), `registry=${url}\n${authLine}\n`);
      },
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
