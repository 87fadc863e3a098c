/**
 * The state the harness keeps per node, and the steps that bring a node up: create (when
 * fresh), start, install the key and the sudo mode, probe until ready, read the host keys.
 *
 *   const record = new NodeRecord(node, { hostname: 'web1', image, network, publicKey, labels, bootTimeoutMs: 120_000 });
 *   await bootNode(record, { fresh: true, deadline: Date.now() + 120_000 });
 *   record.node.hostKeys.ed25519;   // '10.213.47.2 ssh-ed25519 AAAA...'
 */
import { ConfigError } from '../errors.ts';
import { docker } from './docker.ts';
import { assertStillRunning, authorizeAndSetSudo, createNodeContainer, readHostKeys, setSudoMode, waitUntilReady } from './boot.ts';

/** One node of a set, as tests see it. */
export interface TestNode {
  name: string;
  address: string;
  port: 22;
  /** Public host keys as known_hosts lines: { ed25519: '10.213.47.2 ssh-ed25519 AAAA...', ecdsa, rsa }. */
  hostKeys: Record<string, string>;
  containerId: string;
  containerName: string;
  groups: string[];
  /** How `capstan`'s sudo behaves on this node now. */
  sudo: 'nopasswd' | 'password';
  /** systemd's state when the node last became ready, and how long that boot took. */
  boot: { state: 'running' | 'degraded'; failedUnits: string[]; bootMs: number };
}

export interface NodeSpec {
  hostname: string;
  image: string;
  network: string;
  publicKey: string;
  labels: Record<string, string>;
  bootTimeoutMs: number;
  privileged: boolean;
}

export class NodeRecord {
  constructor(
    readonly node: TestNode,
    readonly spec: NodeSpec,
    public sudoPassword?: string,
  ) {}

  /** Writes the sudo rule (and password) on the running node and remembers it for rebuilds. */
  async applySudo(password: string | undefined): Promise<void> {
    await setSudoMode(this.node.containerId, password);
    this.sudoPassword = password;
    this.node.sudo = password === undefined ? 'nopasswd' : 'password';
  }
}

/** Brings a node up: a new container when `fresh`, else the stopped one started again. */
export async function bootNode(record: NodeRecord, options: { fresh: boolean; deadline: number }): Promise<void> {
  const { node, spec } = record;
  if (options.fresh) {
    node.containerId = await createNodeContainer({
      image: spec.image,
      name: spec.hostname,
      containerName: node.containerName,
      network: spec.network,
      address: node.address,
      labels: spec.labels,
      privileged: spec.privileged,
    });
  }
  await docker().getContainer(node.containerId).start().catch((error: Error) => {
    if (spec.privileged && /apply caps|operation not permitted/.test(error.message)) {
      throw new ConfigError(`${node.name}: this Docker engine refuses privileged containers (${error.message.trim()}); start the nodes without privileged mode, or use a host whose Docker allows it`);
    }
    throw error;
  });
  if (options.fresh) {
    try {
      await authorizeAndSetSudo(node.containerId, spec.publicKey, record.sudoPassword, Math.max(30_000, options.deadline - Date.now()));
    } catch (error) {
      // On a loaded machine the exec may fail while the container is still on its way out.
      await assertStillRunning(node.containerId, node.name, 10_000);
      throw error;
    }
  }
  node.boot = await waitUntilReady(node.containerId, node.name, node.address, options.deadline);
  node.hostKeys = await readHostKeys(node.containerId, node.address);
}

/** Force-removes containers (with their anonymous volumes); missing ones are fine. */
export async function removeContainers(ids: string[]): Promise<void> {
  await Promise.all(
    ids.filter(Boolean).map(async (id) => {
      try {
        await docker().getContainer(id).remove({ force: true, v: true });
      } catch (error) {
        if ((error as { statusCode?: number }).statusCode !== 404) throw error;
      }
    }),
  );
}
