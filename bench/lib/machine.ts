/**
 * The machine and the versions a result was measured with.
 *
 *   const machine = await machineInfo();   // { cores: 2, cpuModel: '...', memoryGiB: 23.5, kernel: '6.1.0-...', os: 'Debian GNU/Linux 12 (bookworm)' }
 *   const versions = await toolVersions('/work/main');   // { node: 'v20.20.2', capstan: '4cc0937a1b2c', ansibleCore: '2.14.18', mitogen: '0.3.3-9+deb12u1', ... }
 */
import { readFile } from 'node:fs/promises';
import { cpus, release, totalmem } from 'node:os';
import { docker } from '../../src/testing/docker.ts';
import { nodeImageTag } from '../../src/testing/index.ts';
import { runHelper } from './proc.ts';

export interface MachineInfo {
  cores: number;
  cpuModel: string;
  memoryGiB: number;
  kernel: string;
  os: string;
}

export interface Versions {
  node: string;
  capstan: string;
  ansibleCore: string;
  mitogen: string;
  openssh: string;
  gnuTime: string;
  docker: string;
  nodeImage: string;
}

export async function machineInfo(): Promise<MachineInfo> {
  const osRelease = await readFile('/etc/os-release', 'utf8').catch(() => '');
  return {
    cores: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    kernel: release(),
    os: /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(osRelease)?.[1] ?? 'unknown',
  };
}

async function firstLine(argv: string[], options: { stderr?: boolean; cwd?: string } = {}): Promise<string> {
  const r = await runHelper(argv, { timeoutMs: 30_000, ...(options.cwd ? { cwd: options.cwd } : {}) });
  if (r.code !== 0) return 'not available';
  return ((options.stderr ? r.stderr : r.stdout).trim().split('\n')[0] ?? '').trim() || 'unknown';
}

async function capstanCommit(repoRoot: string): Promise<string> {
  const commit = await firstLine(['git', 'rev-parse', '--short=12', 'HEAD'], { cwd: repoRoot });
  const status = await runHelper(['git', 'status', '--porcelain', '--untracked-files=no'], { cwd: repoRoot });
  return status.code === 0 && status.stdout.trim() ? `${commit} with uncommitted changes` : commit;
}

async function packageVersion(name: string): Promise<string> {
  return firstLine(['dpkg-query', '-W', '-f', '${Version}\n', name]);
}

export async function toolVersions(repoRoot: string): Promise<Versions> {
  const [capstan, ansibleCore, mitogen, openssh, gnuTime, nodeImage] = await Promise.all([
    capstanCommit(repoRoot),
    packageVersion('ansible-core'),
    packageVersion('ansible-mitogen'),
    firstLine(['ssh', '-V'], { stderr: true }),
    packageVersion('time'),
    nodeImageTag({ withPython: true }),
  ]);
  const engine = await docker().version().then((v) => v.Version, () => 'unknown');
  return { node: process.version, capstan, ansibleCore, mitogen, openssh, gnuTime, docker: engine, nodeImage };
}
