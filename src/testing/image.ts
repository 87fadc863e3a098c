/**
 * The throwaway-node image, built locally and cached under a tag that is a hash of its recipe
 * (the files in ./node-image plus the variant), so a changed recipe means a new image.
 *
 *   const image = await ensureNodeImage();                     // 'capstan-node:3f9c1e0a7b2d'
 *   const withPython = await ensureNodeImage({ withPython: true });
 *
 * The base is `debian:bookworm` when Docker has it or can pull it; otherwise a debootstrap of
 * bookworm from the machine's apt mirror (about 45 s, root only). CAPSTAN_NODE_IMAGE_SOURCE
 * (`registry` | `debootstrap`) forces one way. A lock file keeps concurrent builds apart.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../errors.ts';
import { aptMirror, importDebootstrapImage } from './debootstrap.ts';
import { docker } from './docker.ts';
import { withFileLock } from './lock.ts';
import { followDockerStream } from './progress.ts';
import { tarArchive } from './tar.ts';

export const NODE_IMAGE_REPO = 'capstan-node';
const BASE_IMAGE_REPO = 'capstan-node-base';
const REGISTRY_BASE = 'debian:bookworm';
const RECIPE_DIR = fileURLToPath(new URL('./node-image/', import.meta.url));
const LOCK_PATH = join(tmpdir(), 'capstan-node-image.lock');
const PULL_TIMEOUT_MS = 180_000;

export type ImageSource = 'auto' | 'registry' | 'debootstrap';

export interface NodeImageOptions {
  /** Add python3 (absent by default: Capstan needs only a POSIX shell on nodes). */
  withPython?: boolean;
  /** Where the Debian base comes from (default: CAPSTAN_NODE_IMAGE_SOURCE, else `auto`). */
  source?: ImageSource;
  /** Progress messages (default: stderr). */
  log?: (message: string) => void;
}

/** The recipe files by name. */
export async function readRecipe(dir = RECIPE_DIR): Promise<Map<string, Buffer>> {
  const names = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name);
  const files = new Map<string, Buffer>();
  for (const name of names.sort()) files.set(name, await readFile(join(dir, name)));
  return files;
}

/** A short, stable hash of the recipe files and the variant. */
export function recipeHash(files: Map<string, Buffer>, variant: string): string {
  const hash = createHash('sha256').update(`capstan-node/1\0${variant}\0`);
  for (const [name, content] of [...files].sort(([a], [b]) => a.localeCompare(b))) {
    hash.update(`${name}\0${content.length}\0`).update(content);
  }
  return hash.digest('hex').slice(0, 12);
}

/** Package names from packages.txt (comments and blank lines ignored). */
export function recipePackages(files: Map<string, Buffer>): string[] {
  const text = files.get('packages.txt')?.toString('utf8') ?? '';
  return text.split('\n').map((l) => l.replace(/#.*/, '').trim()).filter(Boolean);
}

/** The tag the image for these options has, without building anything. */
export async function nodeImageTag(options: Pick<NodeImageOptions, 'withPython'> = {}): Promise<string> {
  const files = await readRecipe();
  return `${NODE_IMAGE_REPO}:${recipeHash(files, options.withPython ? 'python' : 'plain')}`;
}

export async function imageExists(name: string): Promise<boolean> {
  try {
    await docker().getImage(name).inspect();
    return true;
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return false;
    throw error;
  }
}

function defaultLog(message: string): void {
  process.stderr.write(`capstan testing: ${message}\n`);
}

function verbose(line: string): void {
  if (process.env.CAPSTAN_TESTING_VERBOSE) process.stderr.write(`  ${line}\n`);
}

async function pullRegistryBase(log: (m: string) => void): Promise<boolean> {
  if (await imageExists(REGISTRY_BASE)) return true;
  try {
    log(`pulling ${REGISTRY_BASE}`);
    const stream = await docker().pull(REGISTRY_BASE, { abortSignal: AbortSignal.timeout(PULL_TIMEOUT_MS) });
    await followDockerStream(stream, verbose);
    return true;
  } catch (error) {
    log(`cannot pull ${REGISTRY_BASE} (${String((error as Error).message ?? error).split('\n')[0]})`);
    return false;
  }
}

async function debootstrapBase(files: Map<string, Buffer>, log: (m: string) => void): Promise<string> {
  const packages = recipePackages(files);
  const tag = `${BASE_IMAGE_REPO}:${recipeHash(new Map([['packages.txt', Buffer.from(packages.join('\n'))]]), 'debootstrap-minbase-bookworm')}`;
  if (await imageExists(tag)) return tag;
  await importDebootstrapImage({ tag, packages, mirror: await aptMirror(), log });
  return tag;
}

async function resolveBase(files: Map<string, Buffer>, source: ImageSource, log: (m: string) => void): Promise<string> {
  if (source !== 'debootstrap' && (await pullRegistryBase(log))) return REGISTRY_BASE;
  if (source === 'registry') {
    throw new ConfigError(`${REGISTRY_BASE} is not available to Docker and cannot be pulled`, {
      hint: 'unset CAPSTAN_NODE_IMAGE_SOURCE to fall back to debootstrap',
    });
  }
  return debootstrapBase(files, log);
}

async function buildNodeImage(files: Map<string, Buffer>, base: string, tag: string, withPython: boolean): Promise<void> {
  const context = tarArchive([...files].map(([path, content]) => ({ path, content })));
  const stream = await docker().buildImage(Readable.from([context]), {
    t: tag,
    buildargs: { BASE: base, WITH_PYTHON: withPython ? '1' : '0' },
    labels: { 'capstan.recipe': tag.split(':')[1] ?? '' },
    rm: true,
    forcerm: true,
  });
  await followDockerStream(stream, verbose);
}

function sourceFrom(options: NodeImageOptions): ImageSource {
  const wanted = options.source ?? process.env.CAPSTAN_NODE_IMAGE_SOURCE ?? 'auto';
  if (wanted === 'auto' || wanted === 'registry' || wanted === 'debootstrap') return wanted;
  throw new ConfigError(`CAPSTAN_NODE_IMAGE_SOURCE must be auto, registry or debootstrap, not ${JSON.stringify(wanted)}`);
}

/** Returns the tag of a ready node image, building it first when this recipe has none yet. */
export async function ensureNodeImage(options: NodeImageOptions = {}): Promise<string> {
  const log = options.log ?? defaultLog;
  const source = sourceFrom(options);
  const files = await readRecipe();
  const withPython = options.withPython ?? false;
  const tag = `${NODE_IMAGE_REPO}:${recipeHash(files, withPython ? 'python' : 'plain')}`;
  if (await imageExists(tag)) return tag;
  return withFileLock(
    LOCK_PATH,
    async () => {
      if (await imageExists(tag)) return tag;
      const started = Date.now();
      log(`building node image ${tag}${withPython ? ' (with python3)' : ''}`);
      const base = await resolveBase(files, source, log);
      await buildNodeImage(files, base, tag, withPython);
      log(`built ${tag} from ${base} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      return tag;
    },
    { onWait: (pid) => log(`waiting for process ${pid}, which is building the node image`) },
  );
}
