/**
 * The local apt repository, built once and cached: the .deb files the workload installs
 * that the node image lacks (downloaded inside a throwaway node from the machine's mirror),
 * indexed with dpkg-scanpackages, so that the network does not decide the benchmark.
 *
 *   const dir = await ensureLocalRepo({ log, workDir: '/tmp/capstan-bench-x/repo-node' });
 *   // dir: ~/.cache/capstan-bench/apt-3f9c1e0a7b2d (Packages, Packages.gz, Release, *.deb)
 */
import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { access, mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { docker } from '../../src/testing/docker.ts';
import { nodeImageTag } from '../../src/testing/index.ts';
import { indexFiles } from './apt-index.ts';
import { destroyRawNodes, startRawNodes } from './nodes.ts';
import { runHelper } from './proc.ts';

/** What the workload installs (curl, haproxy), and python3-apt, which Ansible's apt module needs. */
export const REPO_PACKAGES = ['curl', 'haproxy', 'python3-apt'] as const;

const DOWNLOAD_TIMEOUT_MS = 600_000;

export function cacheRoot(): string {
  return process.env.CAPSTAN_BENCH_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'capstan-bench');
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(() => true, () => false);
}

/** Extracts the *.deb files of a `docker cp`-style tar stream of /var/cache/apt/archives. */
function extractDebs(tar: Readable, dir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('tar', ['-x', '-C', dir, '--strip-components=1', '--wildcards', 'archives/*.deb'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => void (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`tar could not extract the downloaded packages (exit ${code}): ${stderr.trim()}`));
    });
    tar.on('error', reject);
    tar.pipe(child.stdin);
  });
}

async function downloadDebs(into: string, workDir: string, log: (m: string) => void): Promise<void> {
  const set = await startRawNodes(1, { workDir, log });
  try {
    const node = set.nodes[0];
    if (!node) throw new Error('the download node did not start');
    log(`downloading ${REPO_PACKAGES.join(', ')} and their dependencies in a throwaway node`);
    const script = `set -e; export DEBIAN_FRONTEND=noninteractive; apt-get update -q; apt-get install --download-only -y -q ${REPO_PACKAGES.join(' ')}`;
    const r = await set.exec(node.name, ['sh', '-c', script], { timeoutMs: DOWNLOAD_TIMEOUT_MS });
    if (r.exitCode !== 0) throw new Error(`apt-get --download-only failed (exit ${r.exitCode}):\n${(r.stderr || r.stdout).trim().split('\n').slice(-15).join('\n')}`);
    const tar = await docker().getContainer(node.containerId).getArchive({ path: '/var/cache/apt/archives' });
    await extractDebs(tar as unknown as Readable, into);
  } finally {
    await destroyRawNodes(set);
  }
}

async function writeIndex(dir: string): Promise<number> {
  const scan = await runHelper(['dpkg-scanpackages', '--multiversion', '.', '/dev/null'], { cwd: dir, timeoutMs: 120_000 });
  if (scan.code !== 0) throw new Error(`dpkg-scanpackages failed (is dpkg-dev installed?): ${scan.stderr.trim()}`);
  for (const f of indexFiles(Buffer.from(scan.stdout), new Date())) await writeFile(join(dir, f.name), f.content);
  return (await readdir(dir)).filter((n) => n.endsWith('.deb')).length;
}

/** The repository directory for the current node image, built first when missing. */
export async function ensureLocalRepo(options: { workDir: string; log: (m: string) => void }): Promise<string> {
  const image = await nodeImageTag({ withPython: true });
  const key = createHash('sha256').update(`${image}\0${REPO_PACKAGES.join(' ')}`).digest('hex').slice(0, 12);
  const dir = join(cacheRoot(), `apt-${key}`);
  if (await exists(join(dir, 'Release'))) return dir;
  const building = `${dir}.building-${process.pid}`;
  await rm(building, { recursive: true, force: true });
  await mkdir(building, { recursive: true });
  try {
    await downloadDebs(building, options.workDir, options.log);
    const count = await writeIndex(building);
    if (count === 0) throw new Error('no package was downloaded: does the node image already contain the workload packages?');
    await rm(dir, { recursive: true, force: true });
    await rename(building, dir);
    options.log(`local apt repository ready: ${count} packages in ${dir}`);
    return dir;
  } catch (error) {
    await rm(building, { recursive: true, force: true });
    throw error;
  }
}

/** The Packages file of a repository directory, as text. */
export function readPackages(dir: string): Promise<string> {
  return readFile(join(dir, 'Packages'), 'utf8');
}
