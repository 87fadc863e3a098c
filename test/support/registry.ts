/**
 * A real npm registry for specifications: Verdaccio on 127.0.0.1 with a throwaway storage
 * directory and configuration, a user made for the run, and `.npmrc` files that point npm
 * and pnpm at it.
 *
 *   const registry = await startRegistry({ localScopes: ['@acme/*'] });
 *   await registry.publish(join(root, 'roles/k3s-server'));
 *   await registry.writeNpmrc(projectDir);          // npm install / pnpm install use it
 *   await registry.stop();
 *
 * Packages named `capstan`, `@capstan/*` and the given scopes live only in this registry
 * (never looked up elsewhere, so a public package of the same name cannot shadow them).
 * Every other package, the third-party dependencies a consumer installs (zod, yaml, ...),
 * is fetched through Verdaccio's uplink: the registry npm is configured with on this
 * machine (`npm config get registry`), trusting the CA file npm is configured with.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
  /** Writes `.npmrc` into a project so that npm and pnpm install from this registry. */
  writeNpmrc(projectDir: string): Promise<void>;
  stop(): Promise<void>;
}

export interface RegistryOptions {
  /** Scopes (`@acme/*`) that, like capstan's, exist only here. */
  localScopes?: string[];
}

async function npmConfig(key: string): Promise<string> {
  const r = await runProcess(process.cwd(), 'npm', ['config', 'get', key]);
  const value = r.stdout.trim();
  return r.code === 0 && value !== 'null' && value !== 'undefined' ? value : '';
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

function verdaccioConfig(dir: string, uplink: string, localScopes: string[]): string {
  const local = { access: '$all', publish: '$authenticated', unpublish: '$authenticated' };
  const packages: Record<string, object> = { capstan: local, '@capstan/*': local };
  for (const scope of localScopes) packages[scope] = local;
  packages['**'] = { ...local, proxy: 'machine' };
  // JSON is YAML: Verdaccio reads this as its config.yaml.
  return JSON.stringify({
    storage: join(dir, 'storage'),
    auth: { htpasswd: { file: join(dir, 'htpasswd'), max_users: 10 } },
    uplinks: { machine: { url: uplink, timeout: '60s', maxage: '30m' } },
    packages,
    web: { enable: false },
    middlewares: { audit: { enabled: false } },
    max_body_size: '50mb',
    log: { type: 'stdout', format: 'json', level: 'warn' },
  }, null, 2);
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

export async function startRegistry(options: RegistryOptions = {}): Promise<Registry> {
  const dir = await mkdtemp(join(tmpdir(), 'capstan-registry-'));
  const uplink = (await npmConfig('registry')) || 'https://registry.npmjs.org/';
  const cafile = await npmConfig('cafile');
  await writeFile(join(dir, 'config.yaml'), verdaccioConfig(dir, uplink, options.localScopes ?? []));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  const env = { ...process.env, ...(cafile ? { NODE_EXTRA_CA_CERTS: cafile } : {}) };
  const child = spawn(process.execPath, [VERDACCIO, '--config', join(dir, 'config.yaml'), '--listen', `127.0.0.1:${port}`], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
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
      async writeNpmrc(projectDir) {
        await writeFile(join(projectDir, '.npmrc'), `registry=${url}\n${authLine}\n`);
      },
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
