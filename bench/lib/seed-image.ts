/**
 * Clones of one converged node, for node sets too large to converge from scratch on a small
 * machine: 200 first converges (apt installs) on 2 cores take about 50 minutes, all untimed.
 * One node is converged by the reference tool, stripped of what makes it that node (SSH host
 * keys, machine id, the tools' run state and temp files, the journal), and committed as an
 * image; large sets boot from it. Every tool still converges a cloned set (untimed) before
 * the timed runs, so what a clone must own (its address and name in the templates) is
 * rewritten on every node, and the warm and check runs meet the same state as after a
 * converge from scratch. A file the workload generates once on a node (its secret) is the
 * same on every clone.
 *
 *   const image = await commitNodeImage(set, 'node-1');   // 'capstan-bench-converged:3fa9c1'
 *   await startNodes({ count: 200, image, ... });          // each boots with its own host keys
 *   await removeNodeImages();                              // every image this process committed
 */
import { randomBytes } from 'node:crypto';
import { docker, dockerExec } from '../../src/testing/docker.ts';
import type { NodeSet } from '../../src/testing/index.ts';

export const SEED_IMAGE_REPO = 'capstan-bench-converged';

/**
 * Run in the node before the commit. /etc/machine-id may be a bind mount over the real file
 * while systemd runs (an empty id at boot gets a transient one): unmount it, then empty the
 * file below, so that every clone gets an id of its own at its first boot. The host keys are
 * made again by capstan-ssh-hostkeys.service when they are missing.
 */
export const IDENTITY_SCRUB = [
  'set -eu',
  'while mountpoint -q /etc/machine-id; do umount /etc/machine-id; done',
  ': > /etc/machine-id',
  'rm -f /etc/ssh/ssh_host_* /var/lib/systemd/random-seed /var/lib/dbus/machine-id.old',
  'rm -rf /var/lib/capstan /root/.local/state/capstan /root/.ansible /tmp/capstan* /var/tmp/capstan* /tmp/ansible* /var/log/journal/*',
].join('\n');

/** Images committed by this process and not yet removed (for the end of the run and SIGINT). */
const committed = new Set<string>();

/** Strips node `name` of `set` of its identity and commits it as a new image; returns the image's name. */
export async function commitNodeImage(set: NodeSet, name: string): Promise<string> {
  const node = set.node(name);
  const scrub = await dockerExec(node.containerId, ['sh', '-c', IDENTITY_SCRUB], { timeoutMs: 60_000 });
  if (scrub.exitCode !== 0) throw new Error(`stripping ${name} of its identity failed (exit ${scrub.exitCode}): ${(scrub.stderr || scrub.stdout).trim()}`);
  const tag = randomBytes(3).toString('hex');
  const image = `${SEED_IMAGE_REPO}:${tag}`;
  committed.add(image);
  // Paused while committed: systemd, journald and the services write nothing half-way into the image.
  await docker().getContainer(node.containerId).commit({ repo: SEED_IMAGE_REPO, tag, pause: true, comment: `converged ${name}, without its identity` });
  return image;
}

/** Removes the images this process committed; never throws (an image already gone is fine). */
export async function removeNodeImages(): Promise<void> {
  const images = [...committed];
  committed.clear();
  await Promise.all(images.map((image) => docker().getImage(image).remove({ force: true }).catch(() => undefined)));
}
