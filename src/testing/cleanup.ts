/**
 * Removes leftover throwaway nodes: everything labelled by the harness (containers, networks,
 * and the private temp dirs that held their keys).
 *
 *   await destroyAll();                        // test leftovers; `capstan lab up` nodes stay
 *   await destroyAll({ includeLab: true });    // everything
 *   await destroyAll({ labId: '3fa9c1' });     // one set, whatever its kind
 */
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, resolve } from 'node:path';
import { docker } from './docker.ts';
import { removeNetwork } from './network.ts';
import { removeContainers } from './node-life.ts';
import { LABEL_KIND, LABEL_LAB, LABEL_WORKDIR } from './labels.ts';

export interface DestroyAllOptions {
  /** Only this set. */
  labId?: string;
  /** Also nodes started by `capstan lab up` (kind `lab`); ignored with labId. */
  includeLab?: boolean;
}

export interface DestroyAllResult {
  containers: number;
  networks: number;
  labs: string[];
}

interface Labelled {
  Labels?: Record<string, string>;
}

function wanted(options: DestroyAllOptions): (item: Labelled) => boolean {
  return (item) => {
    const labels = item.Labels ?? {};
    if (!labels[LABEL_LAB]) return false;
    if (options.labId) return labels[LABEL_LAB] === options.labId;
    return options.includeLab === true || labels[LABEL_KIND] !== 'lab';
  };
}

/** Only the harness's own temp dirs are removed (never a lab state dir inside a project). */
async function removeTempWorkDir(dir: string | undefined): Promise<void> {
  if (!dir) return;
  const full = resolve(dir);
  if (dirname(full) === resolve(tmpdir()) && basename(full).startsWith('capstan-lab-')) {
    await rm(full, { recursive: true, force: true });
  }
}

export async function destroyAll(options: DestroyAllOptions = {}): Promise<DestroyAllResult> {
  const keep = wanted(options);
  const filters = JSON.stringify({ label: [options.labId ? `${LABEL_LAB}=${options.labId}` : LABEL_LAB] });
  const containers = (await docker().listContainers({ all: true, filters })).filter(keep);
  await removeContainers(containers.map((c) => c.Id));
  const networks = (await docker().listNetworks({ filters })).filter(keep);
  await Promise.all(networks.map((n) => removeNetwork(n.Id)));
  const dirs = new Set([...containers, ...networks].map((i) => i.Labels?.[LABEL_WORKDIR]));
  await Promise.all([...dirs].map(removeTempWorkDir));
  const labs = new Set([...containers, ...networks].map((i) => i.Labels?.[LABEL_LAB] ?? ''));
  return { containers: containers.length, networks: networks.length, labs: [...labs].filter(Boolean).sort() };
}
