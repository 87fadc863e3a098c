/**
 * A lab of nodes that outlives the process, for `capstan lab up / inventory / down`: its state
 * (key, known_hosts, inventory, container ids) lives in `.capstan/lab/` under the current
 * directory.
 *
 *   const lab = await labUp({ groups: { web: 2, db: 1 } });
 *   await labInventoryPath();   // '/home/me/project/.capstan/lab/inventory.yml'
 *   await labDown();            // removes the containers, the network and the state files
 */
import { mkdir, readFile, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ConfigError } from '../errors.ts';
import { destroyAll } from './cleanup.ts';
import { startNodes } from './nodes.ts';

export interface LabUpOptions {
  /** Number of ungrouped nodes (default 1 without groups). */
  nodes?: number;
  groups?: Record<string, number>;
  /** Where the state goes (default `.capstan/lab` under the current directory). */
  stateDir?: string;
  withPython?: boolean;
  /** Privileged nodes (needed to run real K3s in them). */
  privileged?: boolean;
  sudoPassword?: string;
  log?: (message: string) => void;
}

export interface LabNodeState {
  name: string;
  address: string;
  port: 22;
  groups: string[];
  containerId: string;
  containerName: string;
  hostKeys: Record<string, string>;
}

export interface LabState {
  version: 1;
  id: string;
  network: string;
  subnet: string;
  createdAt: string;
  user: 'capstan';
  privateKeyPath: string;
  knownHostsPath: string;
  inventoryPath: string;
  nodes: LabNodeState[];
}

const STATE_FILE = 'state.json';
const LAB_FILES = [STATE_FILE, 'inventory.yml', 'id_ed25519', 'id_ed25519.pub', 'known_hosts'];

/** The absolute state directory. */
export function labStateDir(stateDir?: string): string {
  return resolve(stateDir ?? join('.capstan', 'lab'));
}

/** The recorded lab, or undefined when none is up. */
export async function readLabState(stateDir?: string): Promise<LabState | undefined> {
  const file = join(labStateDir(stateDir), STATE_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const state = JSON.parse(text) as LabState;
    if (state.version !== 1 || !Array.isArray(state.nodes)) throw new Error('unknown layout');
    return state;
  } catch (error) {
    throw new ConfigError(`lab state is unreadable: ${(error as Error).message}`, {
      file,
      hint: 'remove the lab with capstan lab down, or delete the file',
    });
  }
}

async function writeState(dir: string, state: LabState): Promise<void> {
  const file = join(dir, STATE_FILE);
  await writeFile(`${file}.tmp`, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  await rename(`${file}.tmp`, file);
}

/** Starts the lab's nodes and records them; refuses when a lab is already up here. */
export async function labUp(options: LabUpOptions = {}): Promise<LabState> {
  const dir = labStateDir(options.stateDir);
  const existing = await readLabState(dir);
  if (existing) {
    throw new ConfigError(`a lab is already up here (${existing.nodes.length} nodes, id ${existing.id})`, {
      file: join(dir, STATE_FILE),
      hint: 'capstan lab down removes it',
    });
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // Without a state file nothing is up: files left by an interrupted start are stale.
  await Promise.all(LAB_FILES.map((f) => rm(join(dir, f), { force: true })));
  const set = await startNodes({
    count: options.nodes,
    groups: options.groups,
    keep: false,
    workDir: dir,
    kind: 'lab',
    withPython: options.withPython,
    privileged: options.privileged,
    sudoPassword: options.sudoPassword,
    log: options.log,
  });
  const inventoryPath = await set.writeInventory(join(dir, 'inventory.yml'));
  const state: LabState = {
    version: 1,
    id: set.id,
    network: set.network,
    subnet: set.subnet,
    createdAt: new Date().toISOString(),
    user: set.user,
    privateKeyPath: set.privateKeyPath,
    knownHostsPath: set.knownHostsPath,
    inventoryPath,
    nodes: set.nodes.map(({ name, address, port, groups, containerId, containerName, hostKeys }) => ({
      name, address, port, groups, containerId, containerName, hostKeys,
    })),
  };
  await writeState(dir, state);
  return state;
}

/** The inventory file of the lab that is up; a ConfigError when there is none. */
export async function labInventoryPath(stateDir?: string): Promise<string> {
  const state = await readLabState(stateDir);
  if (!state) {
    throw new ConfigError(`no lab is up in ${labStateDir(stateDir)}`, { hint: 'capstan lab up starts one' });
  }
  return state.inventoryPath;
}

/** Removes the lab's containers, network and state files. Returns what was removed. */
export async function labDown(stateDir?: string): Promise<{ id?: string; containers: number; networks: number }> {
  const dir = labStateDir(stateDir);
  const state = await readLabState(dir);
  if (!state) return { containers: 0, networks: 0 };
  const removed = await destroyAll({ labId: state.id });
  await Promise.all(LAB_FILES.map((f) => rm(join(dir, f), { force: true })));
  await rmdir(dir).catch(() => undefined);
  return { id: state.id, containers: removed.containers, networks: removed.networks };
}
