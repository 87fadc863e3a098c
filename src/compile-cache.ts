/**
 * The compiled-code cache for the user's TypeScript (playbooks, the roles and helpers they
 * import from source, TypeScript inventories): each entry file is bundled once into one ES
 * module and kept on disk, so later runs import plain JavaScript without compiling anything
 * or starting a TypeScript loader.
 *
 * An entry is keyed by the entry file, Capstan's version and the copy of Capstan that runs;
 * it records the SHA-256 of every file bundled into it (and of the `tsconfig.json` files
 * above the entry) and is used only while every one of them still has that content and every
 * package it imports is still where it was: an edited playbook or role is compiled again,
 * never served stale. The bundle's own hash is checked before it is imported, so a truncated
 * or damaged entry is ignored and rewritten. A compile replaces the entry's previous bundle.
 *
 * What stays outside the bundle is imported from where it was resolved: `capstan` (the
 * running copy), Node's built-in modules, and JavaScript packages under `node_modules`.
 * `import.meta.url`, `.dirname` and `.filename` keep naming each file's own location.
 *
 * The cache lives in `CAPSTAN_CACHE_DIR` when set, else in `node_modules/.cache/capstan` of
 * the nearest directory above the entry that has `node_modules`, else in
 * `$XDG_CACHE_HOME/capstan` (default `~/.cache/capstan`).
 *
 *   const compiled = await compiled('/home/ops/infra/site.ts', { capstan: 'file:///…/dist/index.js' });
 *   if (compiled) await import(pathToFileURL(compiled.bundle).href);
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, extname, join } from 'node:path';
import { isBuiltin } from 'node:module';
import { pathToFileURL } from 'node:url';
import type { Loader, OnLoadArgs, OnResolveArgs, Plugin } from 'esbuild';

/** One cache entry: what the bundle was made from, and the bundle. */
interface Manifest {
  /** Absolute path -> SHA-256 of the content bundled. */
  inputs: Record<string, string>;
  /** Files imported from where they are (packages), by absolute path. */
  externals: string[];
  bundle: string;
  bundleSha256: string;
}

export interface Compiled {
  /** The bundled ES module to import. */
  bundle: string;
  /** Whether it imports packages from `node_modules` (which may import `capstan` themselves). */
  hasPackages: boolean;
}

const FORMAT = 1;
const LOADERS: Record<string, Loader> = {
  '.ts': 'ts', '.mts': 'ts', '.cts': 'ts', '.tsx': 'tsx', '.js': 'js', '.mjs': 'js', '.cjs': 'js', '.jsx': 'jsx', '.json': 'json',
};
const SOURCE = /\.(ts|mts|cts|tsx)$/;

const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');

/** Where the cache entries for `entry` live. */
export function cacheDir(entry: string, env: NodeJS.ProcessEnv = process.env): string {
  if (env.CAPSTAN_CACHE_DIR) return env.CAPSTAN_CACHE_DIR;
  for (let dir = dirname(entry); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'node_modules'))) return join(dir, 'node_modules', '.cache', 'capstan');
    if (dirname(dir) === dir) break;
  }
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'capstan');
}

function capstanVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function manifestPath(entry: string, pinned: Record<string, string>): string {
  const key = sha256(JSON.stringify([FORMAT, capstanVersion(), entry, pinned]));
  return join(cacheDir(entry), `${key}.json`);
}

function readHash(path: string): string | undefined {
  try {
    return sha256(readFileSync(path));
  } catch {
    return undefined;
  }
}

/** The `tsconfig.json` files above the entry: they change how TypeScript compiles. */
function tsconfigs(entry: string): string[] {
  const found: string[] = [];
  for (let dir = dirname(entry); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'tsconfig.json'))) found.push(join(dir, 'tsconfig.json'));
    if (dirname(dir) === dir) return found;
  }
}

/** The entry's bundle when the cache holds one made from the files as they are now. */
function cached(path: string): Compiled | undefined {
  let m: Manifest;
  try {
    m = JSON.parse(readFileSync(path, 'utf8')) as Manifest;
  } catch {
    return undefined;
  }
  if (!m || typeof m.inputs !== 'object' || !Array.isArray(m.externals) || typeof m.bundle !== 'string') return undefined;
  for (const [file, hash] of Object.entries(m.inputs)) if (readHash(file) !== hash) return undefined;
  if (!m.externals.every((file) => existsSync(file))) return undefined;
  const bundle = join(dirname(path), m.bundle);
  if (readHash(bundle) !== m.bundleSha256) return undefined;
  return { bundle, hasPackages: m.externals.length > 0 };
}

/** The bundle an entry's record names, if it names one: replaced by a newer compile, it is removed. */
function previousBundle(path: string): string | undefined {
  try {
    const bundle = (JSON.parse(readFileSync(path, 'utf8')) as Partial<Manifest>).bundle;
    return typeof bundle === 'string' && /^[\w-]+\.mjs$/.test(bundle) ? bundle : undefined;
  } catch {
    return undefined;
  }
}

/** Writes `data` to `path` whole or not at all (a run starting meanwhile sees the old file or the new one). */
function writeAtomic(path: string, data: string): void {
  const tmp = `${path}.${process.pid}-${Math.random().toString(36).slice(2)}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

/** `import.meta.url`, `.dirname` and `.filename` as the file's own, once it is inside the bundle. */
function ownImportMeta(source: string, file: string): string {
  const own: Record<string, string> = { url: pathToFileURL(file).href, dirname: dirname(file), filename: file };
  return source.replace(/\bimport\.meta\.(url|dirname|filename)\b/g, (_m, key: string) => JSON.stringify(own[key]));
}

/** Bundles what is the user's; records every input and leaves packages and `capstan` outside. */
function bundlePlugin(pinned: Record<string, string>, m: Manifest): Plugin {
  const externals = new Set<string>();
  return {
    name: 'capstan-user-code',
    setup(build) {
      build.onResolve({ filter: /.*/ }, async (a: OnResolveArgs) => {
        if (a.kind === 'entry-point' || a.pluginData === 'inner') return undefined;
        const pin = pinned[a.path];
        if (pin) return { path: pin, external: true };
        if (isBuiltin(a.path)) return { path: a.path, external: true };
        const r = await build.resolve(a.path, { kind: a.kind, importer: a.importer, resolveDir: a.resolveDir, pluginData: 'inner' });
        if (r.errors.length > 0 || r.external || !r.path) return r.errors.length > 0 ? { errors: r.errors } : undefined;
        if (r.path.includes('/node_modules/') && !SOURCE.test(r.path)) {
          externals.add(r.path);
          return { path: pathToFileURL(r.path).href, external: true };
        }
        return { path: r.path };
      });
      build.onLoad({ filter: /.*/, namespace: 'file' }, (a: OnLoadArgs) => {
        const content = readFileSync(a.path);
        m.inputs[a.path] = sha256(content);
        const loader = LOADERS[extname(a.path)] ?? 'default';
        const text = content.toString('utf8');
        return { contents: loader === 'json' ? text : ownImportMeta(text, a.path), loader };
      });
      build.onEnd(() => void (m.externals = [...externals]));
    },
  };
}

/** Bundles `entry` and stores the result; throws what the bundler reports. */
async function compile(entry: string, pinned: Record<string, string>, path: string): Promise<Compiled> {
  const { build } = await import('esbuild');
  const m: Manifest = { inputs: {}, externals: [], bundle: '', bundleSha256: '' };
  for (const file of tsconfigs(entry)) m.inputs[file] = sha256(readFileSync(file));
  const dir = dirname(path);
  // the bundle's source map names the files as they are, relative to the bundle's directory
  const r = await build({
    entryPoints: [entry], bundle: true, write: false, format: 'esm', platform: 'node', target: 'node20', outdir: dir, entryNames: '[hash]',
    outExtension: { '.js': '.mjs' }, keepNames: true, sourcemap: 'inline', sourcesContent: false, logLevel: 'silent', plugins: [bundlePlugin(pinned, m)],
  });
  const out = r.outputFiles.find((f) => f.path.endsWith('.mjs'));
  if (!out) throw new Error(`bundling ${entry} produced no module`);
  m.bundleSha256 = sha256(out.contents);
  m.bundle = basename(out.path);
  mkdirSync(dir, { recursive: true });
  writeAtomic(out.path, out.text);
  const previous = previousBundle(path);
  writeAtomic(path, `${JSON.stringify(m)}\n`);
  if (previous && previous !== m.bundle) rmSync(join(dir, previous), { force: true });
  return { bundle: join(dir, m.bundle), hasPackages: m.externals.length > 0 };
}

/**
 * The compiled form of `entry` (an absolute path), from the cache or compiled now; `pinned`
 * maps the specifiers `capstan` and `capstan/testing` to the running copy's URLs.
 * Undefined when it cannot be compiled or stored: the caller loads the sources instead, and
 * reports their errors as it always has.
 */
export async function compiled(entry: string, pinned: Record<string, string>): Promise<Compiled | undefined> {
  const path = manifestPath(entry, pinned);
  const hit = cached(path);
  if (hit) return hit;
  try {
    return await compile(entry, pinned, path);
  } catch {
    return undefined;
  }
}
