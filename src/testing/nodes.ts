/**
 * Throwaway Debian nodes with systemd and sshd, started in parallel on a private bridge
 * network, each reachable by SSH with a key made for the set.
 *
 *   const set = await startNodes({ groups: { web: 2, db: 1 } });
 *   try {
 *     await set.writeInventory('/tmp/inv.yml');
 *     spawnSync('ssh', [...set.sshArgs('web1'), 'sudo', '-n', 'true']);
 *     await set.stop('db1');            // the node goes down mid-run...
 *     await set.start('db1');           // ...and comes back with the same address and host key
 *   } finally {
 *     await set.destroy();              // kept instead when keep: true or CAPSTAN_KEEP_NODES=1
 *   }
 */
import { randomBytes } from 'node:crypto';
import PQueue from 'p-queue';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, ConnectionError } from '../errors.ts';
import { assertDockerAvailable, docker, dockerExec, type ExecOptions, type ExecResult } from './docker.ts';
import { ensureNodeImage } from './image.ts';
import { renderInventory, renderKnownHosts, type InventoryOptions } from './inventory.ts';
import { generateSshKeyPair, writeKeyPair } from './keys.ts';
import { planNodes, type PlannedNode } from './layout.ts';
import { createLabNetwork, type LabNetwork } from './network.ts';
import { bootNode, NodeRecord, removeContainers, type TestNode } from './node-life.ts';
import { snapshotFs, type FsSnapshot, type SnapshotOptions } from './snapshot.ts';
import { raiseInotifyLimits } from './sysctl.ts';
import { LABEL_KIND, LABEL_LAB, LABEL_NODE, LABEL_WORKDIR } from './labels.ts';

export interface StartNodesOptions {
  /** Number of ungrouped nodes node1..nodeN (default 1); with `groups`, must match their sum. */
  count?: number;
  /** Group name -> node count; nodes are named <group><n> (web1, web2, db1). */
  groups?: Record<string, number>;
  namePrefix?: string;
  /** Keep the nodes at destroy() for debugging (also CAPSTAN_KEEP_NODES=1). */
  keep?: boolean;
  /** Nodes with python3 (a separate image variant). */
  withPython?: boolean;
  /** `capstan`'s sudo asks for this password; without it sudo is passwordless. */
  sudoPassword?: string;
  /** Per-node boot deadline (default 120 s), counted from the moment that node's boot begins. */
  bootTimeoutMs?: number;
  /**
   * Nodes booting at once (default 32). A hundred containers whose systemd start together
   * starve each other and the engine: every `docker exec` of their boot times out.
   */
  bootConcurrency?: number;
  /** Directory for the key and known_hosts (default: a new private temp dir, removed at destroy). */
  workDir?: string;
  /** Privileged containers, for nodes that run K3s or another container runtime. */
  privileged?: boolean;
  /** Use this image instead of the recipe's. */
  image?: string;
  /** `test` (default) or `lab` (started by `capstan lab up`; destroyAll leaves those alone). */
  kind?: 'test' | 'lab';
  log?: (message: string) => void;
}

function defaultLog(message: string): void {
  process.stderr.write(`capstan testing: ${message}\n`);
}

async function prepareWorkDir(id: string, wanted: string | undefined): Promise<{ dir: string; owned: boolean }> {
  if (wanted) {
    await mkdir(wanted, { recursive: true, mode: 0o700 });
    return { dir: wanted, owned: false };
  }
  return { dir: await mkdtemp(join(tmpdir(), `capstan-lab-${id}-`)), owned: true };
}

/** A started set of nodes; see startNodes. */
export class NodeSet {
  readonly user = 'capstan' as const;
  readonly network: string;
  readonly subnet: string;
  readonly knownHostsPath: string;
  private destroyed = false;

  constructor(
    readonly id: string,
    private readonly records: NodeRecord[],
    private readonly net: LabNetwork,
    readonly privateKeyPath: string,
    readonly publicKey: string,
    readonly workDir: string,
    private readonly ownsWorkDir: boolean,
    readonly keep: boolean,
    private readonly log: (message: string) => void,
  ) {
    this.network = net.name;
    this.subnet = net.subnet;
    this.knownHostsPath = join(workDir, 'known_hosts');
  }

  get nodes(): TestNode[] {
    return this.records.map((r) => r.node);
  }

  /** The node called `name`; throws when there is none. */
  node(name: string): TestNode {
    return this.record(name).node;
  }

  private record(name: string): NodeRecord {
    const found = this.records.find((r) => r.node.name === name);
    if (!found) {
      const known = this.records.map((r) => r.node.name).join(', ');
      throw new ConfigError(`no node ${JSON.stringify(name)} in node set ${this.id} (it has ${known})`);
    }
    return found;
  }

  inventoryYaml(options: InventoryOptions = {}): string {
    const nodes = this.records.map((r) => ({ ...r.node, sudoPassword: r.sudoPassword }));
    return renderInventory({ nodes, privateKeyPath: this.privateKeyPath, knownHostsPath: this.knownHostsPath, user: this.user }, options);
  }

  async writeInventory(path: string, options: InventoryOptions = {}): Promise<string> {
    await writeFile(path, this.inventoryYaml(options), { mode: 0o600 });
    return path;
  }

  /** Rewrites known_hosts from the nodes' current host keys. */
  async writeKnownHosts(): Promise<string> {
    await writeFile(this.knownHostsPath, renderKnownHosts(this.nodes), { mode: 0o600 });
    return this.knownHostsPath;
  }

  /**
   * Arguments for the system `ssh` client: key, this set's known_hosts (strict), batch mode,
   * then the target; `options` (e.g. 'ConnectTimeout=3') take precedence over those defaults.
   */
  sshArgs(name: string, options: { user?: string; options?: string[] } = {}): string[] {
    const n = this.node(name);
    const opts = [...(options.options ?? []), 'IdentitiesOnly=yes', 'BatchMode=yes', `UserKnownHostsFile=${this.knownHostsPath}`,
      'GlobalKnownHostsFile=/dev/null', 'StrictHostKeyChecking=yes', 'ConnectTimeout=10', 'LogLevel=ERROR'];
    return ['-F', '/dev/null', '-i', this.privateKeyPath, ...opts.flatMap((o) => ['-o', o]), '-p', String(n.port), `${options.user ?? this.user}@${n.address}`];
  }

  /** Stops the node: a clean shutdown, or `kill: true` to pull the plug. */
  async stop(name: string, options: { kill?: boolean } = {}): Promise<void> {
    const container = docker().getContainer(this.record(name).node.containerId);
    const info = await container.inspect();
    if (!info.State.Running) return;
    if (options.kill) await container.kill();
    else await container.stop({ t: 15 });
  }

  /** Starts a stopped node and waits until it is ready again (same address, same host keys). */
  async start(name: string): Promise<TestNode> {
    const record = this.record(name);
    await bootNode(record, { fresh: false, deadline: Date.now() + record.spec.bootTimeoutMs });
    return record.node;
  }

  /**
   * Replaces the node with a new container (same name and address, NEW host keys). known_hosts
   * keeps the old keys unless `updateKnownHosts`, so a test can prove a changed key is refused.
   */
  async rebuild(name: string, options: { updateKnownHosts?: boolean } = {}): Promise<TestNode> {
    const record = this.record(name);
    await removeContainers([record.node.containerId]);
    await bootNode(record, { fresh: true, deadline: Date.now() + record.spec.bootTimeoutMs });
    if (options.updateKnownHosts) await this.writeKnownHosts();
    return record.node;
  }

  /** Switches `capstan`'s sudo on a running node: passwordless, or asking for `password`. */
  async setSudo(name: string, password?: string): Promise<void> {
    const record = this.record(name);
    await record.applySudo(password);
  }

  /** docker exec on the node, for assertions; never goes through SSH. */
  exec(name: string, argv: string[], options?: ExecOptions): Promise<ExecResult> {
    return dockerExec(this.node(name).containerId, argv, options);
  }

  /** A checksum listing of the node's filesystem (see snapshot.ts for what is left out). */
  snapshotFs(name: string, paths?: string[] | SnapshotOptions): Promise<FsSnapshot> {
    const options = Array.isArray(paths) ? { paths } : (paths ?? {});
    return snapshotFs(this.node(name).containerId, name, options);
  }

  /** How to reach and remove a kept set, as shell commands. */
  removalHint(): string {
    return `docker rm -f $(docker ps -aq --filter label=${LABEL_LAB}=${this.id}); docker network rm ${this.network}` +
      (this.ownsWorkDir ? `; rm -rf ${this.workDir}` : '');
  }

  /** Removes containers, network and the temp dir; with keep, leaves them and says how to remove them. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    if (this.keep) {
      const first = this.records[0]?.node.name;
      this.log(`keeping node set ${this.id} (${this.records.length} nodes, network ${this.network})` +
        (first ? `\n  ssh: ssh ${this.sshArgs(first).join(' ')}` : '') +
        `\n  inventory: ${join(this.workDir, 'inventory.yml')}\n  remove with: ${this.removalHint()}`);
      await this.writeInventory(join(this.workDir, 'inventory.yml')).catch(() => undefined);
      return;
    }
    await removeContainers(this.records.map((r) => r.node.containerId));
    await docker().getNetwork(this.net.id).remove().catch(() => undefined);
    if (this.ownsWorkDir) await rm(this.workDir, { recursive: true, force: true });
    else await Promise.all(['id_ed25519', 'id_ed25519.pub', 'known_hosts'].map((f) => rm(join(this.workDir, f), { force: true })));
  }
}

function labelsFor(id: string, planned: PlannedNode, workDir: string, kind: string): Record<string, string> {
  return { [LABEL_LAB]: id, [LABEL_NODE]: planned.name, [LABEL_WORKDIR]: workDir, [LABEL_KIND]: kind };
}

const DEFAULT_BOOT_CONCURRENCY = 32;

async function bootAll(records: NodeRecord[], concurrency: number): Promise<void> {
  const queue = new PQueue({ concurrency });
  const results = await Promise.allSettled(records.map((r) => queue.add(() => bootNode(r, { fresh: true, deadline: Date.now() + r.spec.bootTimeoutMs }))));
  const failures = results.flatMap((r, i) => (r.status === 'rejected' ? [{ name: records[i]?.node.name ?? '?', error: r.reason as Error }] : []));
  if (failures.length === 0) return;
  if (failures.length === 1 && failures[0]) throw failures[0].error;
  const lines = failures.map((f) => `- ${f.error.message ?? String(f.error)}`).join('\n');
  throw new ConnectionError('lab', `${failures.length} of ${records.length} nodes failed to boot:\n${lines}`, 'other', { cause: failures[0]?.error });
}

function makeRecords(planned: PlannedNode[], net: LabNetwork, ctx: { id: string; image: string; publicKey: string; dir: string; options: StartNodesOptions }): NodeRecord[] {
  const { id, options } = ctx;
  return planned.map((p, i) => {
    const node: TestNode = {
      name: p.name,
      address: net.addressFor(i),
      port: 22,
      hostKeys: {},
      containerId: '',
      containerName: `capstan-${id}-${p.name}`,
      groups: p.groups,
      sudo: options.sudoPassword === undefined ? 'nopasswd' : 'password',
      boot: { state: 'running', failedUnits: [], bootMs: 0 },
    };
    const spec = {
      hostname: p.hostname,
      image: ctx.image,
      network: net.name,
      publicKey: ctx.publicKey,
      labels: labelsFor(id, p, ctx.dir, options.kind ?? 'test'),
      bootTimeoutMs: options.bootTimeoutMs ?? 120_000,
      privileged: options.privileged === true,
    };
    return new NodeRecord(node, spec, options.sudoPassword);
  });
}

/** Starts the nodes in parallel and returns when every one accepts SSH. */
export async function startNodes(options: StartNodesOptions = {}): Promise<NodeSet> {
  const planned = planNodes(options);
  await assertDockerAvailable();
  const log = options.log ?? defaultLog;
  const keep = options.keep === true || process.env.CAPSTAN_KEEP_NODES === '1';
  const image = options.image ?? (await ensureNodeImage({ withPython: options.withPython ?? false, log }));
  await raiseInotifyLimits(planned.length, log);
  const id = randomBytes(3).toString('hex');
  const { dir, owned } = await prepareWorkDir(id, options.workDir);
  const pair = generateSshKeyPair(`capstan-lab-${id}`);
  let net: LabNetwork;
  try {
    await writeKeyPair(dir, pair);
    net = await createLabNetwork(`capstan-${id}`, { [LABEL_LAB]: id, [LABEL_WORKDIR]: dir, [LABEL_KIND]: options.kind ?? 'test' });
  } catch (error) {
    if (owned) await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const records = makeRecords(planned, net, { id, image, publicKey: pair.publicKey, dir, options });
  const set = new NodeSet(id, records, net, join(dir, 'id_ed25519'), pair.publicKey, dir, owned, keep, log);
  try {
    await bootAll(records, Math.max(1, options.bootConcurrency ?? DEFAULT_BOOT_CONCURRENCY));
    await set.writeKnownHosts();
    return set;
  } catch (error) {
    await set.destroy().catch(() => undefined);
    throw error;
  }
}

export type { TestNode } from './node-life.ts';
