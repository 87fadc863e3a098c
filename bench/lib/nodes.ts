/**
 * Node sets for the benchmark: N throwaway Debian nodes with python3 (Ansible needs it),
 * prepared by nodePrepScript (apt pointed at the harness's local repository), an inventory logging in as root with every
 * host in group `nodes`. Every set is remembered until destroyed, so that SIGINT can sweep it.
 *
 *   const nodes = await startBenchNodes(5, { repo, workDir: '/tmp/capstan-bench-x/set-3', log });
 *   nodes.inventoryPath;   // '/tmp/capstan-bench-x/set-3/inventory.yml'
 *   await nodes.destroy();
 *   await sweepNodes();    // on SIGINT: removes the containers and networks of every set not yet destroyed
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import PQueue from 'p-queue';
import { docker } from '../../src/testing/docker.ts';
import { LABEL_WORKDIR, renderInventory, startNodes, type NodeSet } from '../../src/testing/index.ts';
import type { RepoServer } from './apt-server.ts';

export interface BenchNodes {
  set: NodeSet;
  n: number;
  inventoryPath: string;
  /** The node set's network gateway, where the repository is served. */
  gateway: string;
  destroy(): Promise<void>;
}

/** Work directories of sets started and not yet destroyed (their containers carry the label). */
const liveWorkDirs = new Set<string>();

/**
 * Prepares a fresh node, identically for every tool: apt installs only from the harness's
 * repository, and the package lists look older than any cache window (as on a node that has
 * not run apt for a while). Docker mounts /proc/sys read-only; the workload sets
 * per-network-namespace keys (net.*), so /proc/sys/net alone is made writable.
 */
export function nodePrepScript(repoUrl: string): string {
  return [
    'set -eu',
    "if ! grep -q ' /proc/sys/net rw,' /proc/self/mountinfo; then mount --bind /proc/sys/net /proc/sys/net && mount -o remount,bind,rw /proc/sys/net; fi",
    'export DEBIAN_FRONTEND=noninteractive',
    'rm -f /etc/apt/sources.list /etc/apt/sources.list.d/*',
    `echo 'deb [trusted=yes] ${repoUrl} ./' > /etc/apt/sources.list.d/capstan-bench.list`,
    'apt-get update -q -o Acquire::Retries=3',
    // The apt module of Ansible needs python3-apt, like it needs python3: a prerequisite on every node.
    'apt-get install -y -q python3-apt',
    'apt-get clean',
    'rm -rf /var/lib/apt/lists/* /var/lib/apt/periodic/update-success-stamp',
    "touch -d '2000-01-01 00:00:00' /var/lib/apt/lists",
  ].join('\n');
}

/** An Ansible-compatible inventory: every node in group `nodes`, logging in as root. */
export function benchInventory(set: NodeSet): string {
  const nodes = set.nodes.map((n) => ({ ...n, groups: ['nodes'] }));
  return renderInventory({ nodes, privateKeyPath: set.privateKeyPath, knownHostsPath: set.knownHostsPath, user: 'root' }, { user: 'root' });
}

async function networkGateway(network: string): Promise<string> {
  const info = await docker().getNetwork(network).inspect() as { IPAM?: { Config?: Array<{ Gateway?: string }> } };
  const gateway = info.IPAM?.Config?.[0]?.Gateway;
  if (!gateway) throw new Error(`network ${network} has no gateway address`);
  return gateway;
}

/** Nodes prepared at once: apt and dpkg on a hundred nodes at a time would only fight for the cores. */
const PREPARE_CONCURRENCY = 16;

async function prepareNodes(set: NodeSet, url: string, timeoutMs: number): Promise<void> {
  const script = nodePrepScript(url);
  const queue = new PQueue({ concurrency: PREPARE_CONCURRENCY });
  await Promise.all(set.nodes.map((node) => queue.add(async () => {
    const r = await set.exec(node.name, ['sh', '-c', script], { timeoutMs });
    if (r.exitCode !== 0) throw new Error(`preparing ${node.name} failed (exit ${r.exitCode}):\n${(r.stderr || r.stdout).trim().split('\n').slice(-15).join('\n')}`);
  })));
}

/**
 * Nodes booting at once: their systemd compete for the cores, the nodes already up idle. Each
 * has 300 s from the start of its own boot: at N=200 on a loaded 2-core machine, 12 of the
 * last nodes were still starting systemd after 120 s.
 */
const BOOT_CONCURRENCY = 16;
const BOOT_TIMEOUT_MS = 300_000;

/**
 * Starts a node set from the python3 image (or `image`, a clone of a converged node), remembered for sweepNodes until destroyed. The
 * sets are of kind `lab`: on a machine shared with test suites, a suite's sweep of leftover
 * test nodes must not remove the nodes of a benchmark that is still running.
 */
export async function startRawNodes(n: number, options: { workDir: string; log: (m: string) => void; image?: string }): Promise<NodeSet> {
  await mkdir(options.workDir, { recursive: true, mode: 0o700 });
  liveWorkDirs.add(options.workDir);
  try {
    return await startNodes({
      count: n, withPython: true, workDir: options.workDir, log: options.log, kind: 'lab', bootConcurrency: BOOT_CONCURRENCY, bootTimeoutMs: BOOT_TIMEOUT_MS,
      ...(options.image ? { image: options.image } : {}),
    });
  } catch (error) {
    await sweepWorkDir(options.workDir);
    throw error;
  }
}

/** N prepared nodes: booted (from `image` when given), apt pointed at the local repository, inventory written. */
export async function startBenchNodes(n: number, options: { repo: RepoServer; workDir: string; log: (m: string) => void; timeoutMs?: number; image?: string }): Promise<BenchNodes> {
  const set = await startRawNodes(n, options);
  let gateway = '';
  const destroy = async () => {
    if (gateway) await options.repo.stopListening(gateway);
    await destroyRawNodes(set);
  };
  try {
    gateway = await networkGateway(set.network);
    const url = await options.repo.listenOn(gateway);
    await prepareNodes(set, url, options.timeoutMs ?? 300_000);
    const inventoryPath = join(options.workDir, 'inventory.yml');
    await writeFile(inventoryPath, benchInventory(set), { mode: 0o600 });
    return { set, n, inventoryPath, gateway, destroy };
  } catch (error) {
    await destroy().catch(() => undefined);
    throw error;
  }
}

/** Destroys a set started with startRawNodes; never throws (a container already gone is fine). */
export async function destroyRawNodes(set: NodeSet): Promise<void> {
  await set.destroy().catch(() => sweepWorkDir(set.workDir)).catch(() => undefined);
  liveWorkDirs.delete(set.workDir);
}

async function sweepWorkDir(dir: string): Promise<void> {
  const filters = JSON.stringify({ label: [`${LABEL_WORKDIR}=${dir}`] });
  const containers = await docker().listContainers({ all: true, filters });
  await Promise.all(containers.map((c) => docker().getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined)));
  const networks = await docker().listNetworks({ filters });
  await Promise.all(networks.map((net) => docker().getNetwork(net.Id).remove().catch(() => undefined)));
}

/** Removes the containers and networks of every set not yet destroyed (for SIGINT). */
export async function sweepNodes(): Promise<number> {
  const dirs = [...liveWorkDirs];
  await Promise.all(dirs.map((d) => sweepWorkDir(d).catch(() => undefined)));
  return dirs.length;
}
