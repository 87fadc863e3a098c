/**
 * The offline way to a node base image: debootstrap Debian bookworm from this machine's own
 * apt mirror, then import the root filesystem into Docker.
 *
 *   const mirror = await aptMirror();              // e.g. the `URIs:` of /etc/apt/sources.list.d/debian.sources
 *   await importDebootstrapImage({ tag: 'capstan-node-base:1a2b', packages: ['systemd', 'openssh-server'], mirror, log });
 *
 * The mirror is read from the machine (or CAPSTAN_APT_MIRROR), never written in the repository.
 */
import { spawn } from 'node:child_process';
import { access, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '../errors.ts';
import { docker } from './docker.ts';
import { followDockerStream } from './progress.ts';

const SUITE = 'bookworm';
const SOURCES_DIR = '/etc/apt/sources.list.d';

/** Parses deb822 `.sources` text; returns the first URI of a `deb` entry for the suite. */
export function mirrorFromDeb822(text: string, suite = SUITE): string | undefined {
  for (const stanza of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    let last = '';
    for (const line of stanza.split('\n')) {
      if (line.startsWith('#')) continue;
      const field = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
      if (field?.[1]) fields.set((last = field[1].toLowerCase()), field[2] ?? '');
      else if (/^\s/.test(line) && last) fields.set(last, `${fields.get(last)} ${line.trim()}`);
    }
    const words = (key: string) => (fields.get(key) ?? '').split(/\s+/).filter(Boolean);
    if (fields.get('enabled')?.trim() === 'no') continue;
    if (words('types').includes('deb') && words('suites').includes(suite)) return usable(words('uris'));
  }
  return undefined;
}

/** Parses one-line-style `sources.list` text; returns the URI of the first `deb` line for the suite. */
export function mirrorFromList(text: string, suite = SUITE): string | undefined {
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').replace(/\[[^\]]*\]/, ' ').trim();
    const [type, uri, dist] = line.split(/\s+/);
    if (type === 'deb' && dist === suite && uri) return usable([uri]);
  }
  return undefined;
}

function usable(uris: string[]): string | undefined {
  return uris.find((u) => /^(https?|file):/.test(u));
}

/** The machine's Debian mirror for bookworm: CAPSTAN_APT_MIRROR, then apt's sources. */
export async function aptMirror(): Promise<string> {
  if (process.env.CAPSTAN_APT_MIRROR) return process.env.CAPSTAN_APT_MIRROR;
  const files = await readdir(SOURCES_DIR).catch(() => [] as string[]);
  for (const name of files.sort()) {
    const text = await readFile(join(SOURCES_DIR, name), 'utf8').catch(() => '');
    const found = name.endsWith('.sources') ? mirrorFromDeb822(text) : name.endsWith('.list') ? mirrorFromList(text) : undefined;
    if (found) return found;
  }
  const found = mirrorFromList(await readFile('/etc/apt/sources.list', 'utf8').catch(() => ''));
  if (found) return found;
  throw new ConfigError(`no apt source for Debian ${SUITE} found in ${SOURCES_DIR} or /etc/apt/sources.list`, {
    hint: 'set CAPSTAN_APT_MIRROR to a Debian mirror URL',
  });
}

async function findDebootstrap(): Promise<string> {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/sbin'];
  for (const dir of dirs.filter(Boolean)) {
    const candidate = join(dir, 'debootstrap');
    if (await access(candidate).then(() => true, () => false)) return candidate;
  }
  throw new ConfigError('building the node image offline needs debootstrap, which is not installed', {
    hint: 'apt-get install -y debootstrap (or make debian:bookworm available to Docker)',
  });
}

/** Runs a command, keeping the tail of its output for the error message. */
function run(argv: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const [file, ...args] = argv;
    const child = spawn(file ?? '', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let tail = '';
    const keep = (chunk: Buffer) => {
      tail = (tail + chunk.toString()).slice(-4000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) return resolve();
      reject(new ConfigError(`${argv.slice(0, 2).join(' ')} failed (exit ${code}):\n${tail.trim().split('\n').slice(-15).join('\n')}`));
    });
  });
}

async function importRootfs(rootfs: string, tag: string): Promise<void> {
  const tar = spawn('tar', ['--numeric-owner', '-C', rootfs, '-c', '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [repo, version] = tag.split(':');
  const tarDone = new Promise<void>((resolve, reject) => {
    tar.on('error', reject);
    tar.on('close', (code) => (code === 0 ? resolve() : reject(new ConfigError(`tar of ${rootfs} failed (exit ${code})`))));
  });
  tarDone.catch(() => undefined);
  try {
    await followDockerStream(await docker().importImage(tar.stdout, { repo, tag: version }), () => undefined);
  } catch (error) {
    tar.kill();
    throw error;
  }
  await tarDone;
}

export interface DebootstrapOptions {
  tag: string;
  packages: string[];
  mirror: string;
  log: (line: string) => void;
}

/** Debootstraps a minimal bookworm with `packages` and imports it as the image `tag`. */
export async function importDebootstrapImage(options: DebootstrapOptions): Promise<void> {
  if (process.getuid?.() !== 0) {
    throw new ConfigError('building the node image with debootstrap needs root', {
      hint: 'run as root, or make debian:bookworm available to Docker',
    });
  }
  const debootstrap = await findDebootstrap();
  const work = await mkdtemp('/var/tmp/capstan-rootfs-');
  const rootfs = join(work, 'rootfs');
  try {
    options.log(`debootstrap ${SUITE} (minbase) from ${options.mirror}`);
    const include = `--include=${options.packages.join(',')}`;
    await run([debootstrap, '--variant=minbase', include, SUITE, rootfs, options.mirror]);
    options.log(`importing the root filesystem as ${options.tag}`);
    await importRootfs(rootfs, options.tag);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
