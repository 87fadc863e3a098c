/**
 * Before a measured command, the nodes must be quiet again: the previous command's teardown
 * (its SSH sessions closing, Ansible's remote interpreters exiting after its ControlPersist
 * masters are reaped) would otherwise be counted in the next command's node CPU, and compete
 * with it for the cores. The nodes' counters are read over short windows until their CPU per
 * node in one window is below a small share of a core, or the wait has taken `maxMs`.
 *
 *   const s = await nodesQuiet(ids);   // { waitedMs: 1000, quiet: true }
 *   isQuiet({ totalS: 10, unread: [] }, { totalS: 10.02, unread: [] }, 20, 0.5, 0.01);   // true: 0.2 % of a core per node
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { readNodesCpu, type NodesCpu } from './node-cpu.ts';

export interface QuietOptions {
  /** One reading window. */
  windowMs?: number;
  /** Quiet: below this share of one core per node, on average over the nodes, in one window. */
  share?: number;
  /** Give up waiting after this long (the measurement then goes ahead, and says so). */
  maxMs?: number;
}

/** True when the nodes spent less than `share` of a core each, on average, between the readings. */
export function isQuiet(before: NodesCpu, after: NodesCpu, nodes: number, windowS: number, share: number): boolean {
  if (nodes < 1 || before.unread.length || after.unread.length) return true;
  return (after.totalS - before.totalS) / nodes / windowS < share;
}

export async function nodesQuiet(
  containerIds: string[],
  o: QuietOptions = {},
  read: (ids: string[]) => Promise<NodesCpu> = readNodesCpu,
): Promise<{ waitedMs: number; quiet: boolean }> {
  const windowMs = o.windowMs ?? 500;
  const share = o.share ?? 0.01;
  const maxMs = o.maxMs ?? 20_000;
  const started = Date.now();
  let last = await read(containerIds);
  for (;;) {
    await sleep(windowMs);
    const now = await read(containerIds);
    if (isQuiet(last, now, containerIds.length, windowMs / 1000, share)) return { waitedMs: Date.now() - started, quiet: true };
    if (Date.now() - started >= maxMs) return { waitedMs: Date.now() - started, quiet: false };
    last = now;
  }
}
