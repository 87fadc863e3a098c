/**
 * The third-party packages a registry specification's projects install (zod, yaml,
 * typescript, ...), taken from this repository's own installation so that the registry needs
 * no uplink and no network: the closure of the named dependencies through package-lock.json
 * (the versions installed here, nested ones included), their tarballs as npm downloaded them
 * (from npm's cache; packed anew from node_modules when the cache no longer has one), and
 * published over the registry's HTTP API (the document `npm publish` sends).
 *
 *   const names = dependencyNames([consumerPackageJson], (n) => n === 'capstan');
 *   const installed = installedClosure(root, names);     // [{ name: 'zod', version: '4.6.7', dir }, ...]
 *   const tarballs = await tarballsOf(installed, scratchDir);
 *   await publishTarballs(registryUrl, token, tarballs);
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import semver from 'semver';
import { runProcess } from './run-process.ts';

interface LockEntry {
  version?: string;
  integrity?: string;
  link?: boolean;
  optional?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

type Deps = Record<string, string> | undefined;
export interface PackageJson {
  dependencies?: Deps;
  devDependencies?: Deps;
  peerDependencies?: Deps;
  optionalDependencies?: Deps;
}

export interface Installed {
  name: string;
  version: string;
  /** The package's directory under the repository's node_modules. */
  dir: string;
  /** Its tarball's integrity, as package-lock.json records it. */
  integrity?: string | undefined;
}

export interface Tarball {
  name: string;
  version: string;
  file: string;
  /** package.json as packed: the version's manifest in the registry. */
  manifest: Record<string, unknown>;
}

/** Every dependency name the given package.json files declare, except those `isLocal` claims. */
export function dependencyNames(manifests: PackageJson[], isLocal: (name: string) => boolean): string[] {
  const names = new Set<string>();
  for (const m of manifests) {
    for (const deps of [m.dependencies, m.devDependencies, m.peerDependencies, m.optionalDependencies]) {
      for (const name of Object.keys(deps ?? {})) if (!isLocal(name)) names.add(name);
    }
  }
  return [...names].sort();
}

/** Where node would find `name` from the package at lockfile path `from` ('' is the root). */
function resolveFrom(packages: Record<string, LockEntry>, from: string, name: string): string | undefined {
  let at = from;
  for (;;) {
    const candidate = at ? `${at}/node_modules/${name}` : `node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (!at) return undefined;
    const cut = at.lastIndexOf('/node_modules/');
    at = cut < 0 ? '' : at.slice(0, cut);
  }
}

function edgesOf(entry: LockEntry): { name: string; optional: boolean }[] {
  const optionalPeer = (n: string) => entry.peerDependenciesMeta?.[n]?.optional === true;
  return [
    ...Object.keys(entry.dependencies ?? {}).map((name) => ({ name, optional: false })),
    ...Object.keys(entry.optionalDependencies ?? {}).map((name) => ({ name, optional: true })),
    ...Object.keys(entry.peerDependencies ?? {}).map((name) => ({ name, optional: optionalPeer(name) })),
  ];
}

/**
 * The installed packages `names` need, found as node finds them from the repository's root,
 * with everything they depend on. Optional dependencies not installed here (another
 * platform's binaries) are left out; a required one that is missing is an error.
 */
export function installedClosure(root: string, names: string[]): Installed[] {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  const packages = lock.packages;
  const seen = new Map<string, Installed>();
  const queue: { from: string; name: string; optional: boolean }[] = names.map((name) => ({ from: '', name, optional: false }));
  const visited = new Set<string>();
  for (let next = queue.shift(); next; next = queue.shift()) {
    const path = resolveFrom(packages, next.from, next.name);
    const entry = path ? packages[path] : undefined;
    const installed = path !== undefined && existsSync(join(root, path, 'package.json'));
    if (!path || !entry || !installed) {
      if (next.optional) continue;
      throw new Error(`${next.name} (needed by ${next.from || 'the repository'}) is not installed here: run npm ci`);
    }
    if (entry.link || visited.has(path)) continue;
    visited.add(path);
    const version = entry.version ?? '';
    seen.set(`${next.name}@${version}`, { name: next.name, version, dir: join(root, path), integrity: entry.integrity });
    for (const edge of edgesOf(entry)) queue.push({ from: path, ...edge });
  }
  return [...seen.values()].sort((a, b) => a.name.localeCompare(b.name));
}

function cachedTarballPath(cacheDir: string, integrity: string | undefined): string | undefined {
  const sha512 = integrity?.split(/\s+/).find((i) => i.startsWith('sha512-'));
  if (!sha512) return undefined;
  const hex = Buffer.from(sha512.slice('sha512-'.length), 'base64').toString('hex');
  const path = join(cacheDir, '_cacache/content-v2/sha512', hex.slice(0, 2), hex.slice(2, 4), hex.slice(4));
  return existsSync(path) ? path : undefined;
}

/** `npm pack` of installed package directories into `dest`, a few processes at a time. */
async function packDirs(installed: Installed[], dest: string): Promise<string[]> {
  const perProcess = Math.max(1, Math.ceil(installed.length / 4));
  const chunks: Installed[][] = [];
  for (let i = 0; i < installed.length; i += perProcess) chunks.push(installed.slice(i, i + perProcess));
  const files = await Promise.all(chunks.map(async (chunk) => {
    const r = await runProcess(dest, 'npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dest, ...chunk.map((p) => p.dir)]);
    if (r.code !== 0) throw new Error(`npm pack of ${chunk.map((p) => p.name).join(', ')} failed:\n${r.stderr.slice(-3000)}`);
    return (JSON.parse(r.stdout) as { filename: string }[]).map((p) => join(dest, p.filename));
  }));
  return files.flat();
}

/**
 * The tarball of each installed package: the very file npm downloaded, from npm's cache
 * (content-addressed by the lockfile's integrity, checked again here), else packed anew
 * from its directory (a cache emptied since the install).
 */
export async function tarballsOf(installed: Installed[], scratch: string): Promise<Tarball[]> {
  const cacheDir = (await runProcess(scratch, 'npm', ['config', 'get', 'cache'])).stdout.trim();
  const fromCache = new Map<Installed, string>();
  for (const p of installed) {
    const path = cacheDir ? cachedTarballPath(cacheDir, p.integrity) : undefined;
    if (path && p.integrity?.includes(`sha512-${createHash('sha512').update(await readFile(path)).digest('base64')}`)) fromCache.set(p, path);
  }
  const missing = installed.filter((p) => !fromCache.has(p));
  const packed = missing.length > 0 ? await packDirs(missing, scratch) : [];
  return Promise.all(installed.map(async (p) => ({
    name: p.name, version: p.version,
    file: fromCache.get(p) ?? packed[missing.indexOf(p)]!,
    manifest: JSON.parse(await readFile(join(p.dir, 'package.json'), 'utf8')) as Record<string, unknown>,
  })));
}

/** The document `npm publish` PUTs: one version, its manifest, the tarball inline. */
function publishDocument(registryUrl: string, t: Tarball, data: Buffer): object {
  const filename = `${t.name}-${t.version}.tgz`;
  const dist = {
    shasum: createHash('sha1').update(data).digest('hex'),
    integrity: `sha512-${createHash('sha512').update(data).digest('base64')}`,
    tarball: `${registryUrl}${t.name}/-/${filename}`,
  };
  return {
    _id: t.name, name: t.name, 'dist-tags': { latest: t.version },
    versions: { [t.version]: { ...t.manifest, _id: `${t.name}@${t.version}`, dist } },
    _attachments: { [filename]: { content_type: 'application/octet-stream', data: data.toString('base64'), length: data.length } },
  };
}

async function publishOne(registryUrl: string, token: string, t: Tarball): Promise<void> {
  const body = JSON.stringify(publishDocument(registryUrl, t, await readFile(t.file)));
  const res = await fetch(`${registryUrl}${t.name.replace('/', '%2f')}`, {
    method: 'PUT', body, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
  });
  if (!res.ok) throw new Error(`publishing ${t.name}@${t.version} failed: ${res.status} ${await res.text()}`);
}

/**
 * Publishes the tarballs, several packages at once; the versions of one package in ascending
 * order, so that `latest` is the highest, as on the public registry.
 */
export async function publishTarballs(registryUrl: string, token: string, tarballs: Tarball[], concurrency = 8): Promise<void> {
  const byName = new Map<string, Tarball[]>();
  for (const t of tarballs) byName.set(t.name, [...(byName.get(t.name) ?? []), t]);
  const lanes = [...byName.values()].map((versions) => versions.sort((a, b) => semver.compare(a.version, b.version)));
  const worker = async () => {
    for (let lane = lanes.shift(); lane; lane = lanes.shift()) for (const t of lane) await publishOne(registryUrl, token, t);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}
