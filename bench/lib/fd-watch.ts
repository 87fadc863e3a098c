/**
 * How close a measured command comes to its open-file limit: the open descriptors (and the
 * sockets among them, that is the connections) of its whole process tree, sampled from /proc
 * while it runs; the peak is kept, with the soft limit of the process that held the most.
 *
 *   const watch = watchFds(child.pid, 200);
 *   await childExit;
 *   watch.stop();   // { peakFds: 412, peakSockets: 401, fdLimit: 20000 }
 *   parseOpenFilesLimit('Max open files            1024                 524288               files\n');   // 1024
 */
import { readdir, readFile, readlink } from 'node:fs/promises';

export interface FdPeak {
  /** Most descriptors open at once, over the whole tree. */
  peakFds: number;
  /** Sockets among them at that moment. */
  peakSockets: number;
  /** The soft limit of open files of the process with the most descriptors (NaN when unread). */
  fdLimit: number;
}

/** The soft limit from /proc/PID/limits ("unlimited" is Infinity); NaN when absent. */
export function parseOpenFilesLimit(text: string): number {
  const m = /^Max open files\s+(\S+)/m.exec(text);
  if (!m?.[1]) return Number.NaN;
  return m[1] === 'unlimited' ? Number.POSITIVE_INFINITY : Number(m[1]);
}

async function childrenOf(pid: number): Promise<number[]> {
  const tasks = await readdir(`/proc/${pid}/task`).catch(() => [] as string[]);
  const lists = await Promise.all(tasks.map((t) => readFile(`/proc/${pid}/task/${t}/children`, 'utf8').catch(() => '')));
  return lists.flatMap((l) => l.trim().split(/\s+/).filter(Boolean).map(Number));
}

async function tree(root: number): Promise<number[]> {
  const out: number[] = [];
  let level = [root];
  while (level.length && out.length < 10_000) {
    out.push(...level);
    level = (await Promise.all(level.map(childrenOf))).flat();
  }
  return out;
}

async function fdsOf(pid: number): Promise<{ pid: number; fds: number; sockets: number }> {
  const names = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
  const targets = await Promise.all(names.map((n) => readlink(`/proc/${pid}/fd/${n}`).catch(() => '')));
  return { pid, fds: names.length, sockets: targets.filter((t) => t.startsWith('socket:')).length };
}

/** One sample: the descriptors and sockets open now in the tree below `pid`, and the process holding the most. */
export async function sampleFds(pid: number): Promise<{ fds: number; sockets: number; busiest: number }> {
  const counts = await Promise.all((await tree(pid)).map(fdsOf));
  const top = counts.reduce((a, b) => (b.fds > a.fds ? b : a), { pid, fds: 0, sockets: 0 });
  return { fds: counts.reduce((s, c) => s + c.fds, 0), sockets: counts.reduce((s, c) => s + c.sockets, 0), busiest: top.pid };
}

/** The soft open-file limit of a process (NaN when it cannot be read). */
export async function openFilesLimit(pid: number): Promise<number> {
  return parseOpenFilesLimit(await readFile(`/proc/${pid}/limits`, 'utf8').catch(() => ''));
}

/** Samples the tree below `pid` every `intervalMs` until stopped; stop() returns the peak. */
export function watchFds(pid: number, intervalMs = 200): { stop(): FdPeak } {
  const peak: FdPeak = { peakFds: 0, peakSockets: 0, fdLimit: Number.NaN };
  let busiest = 0;
  let busy = false;
  const sample = async () => {
    if (busy) return;
    busy = true;
    try {
      const now = await sampleFds(pid);
      if (now.fds > peak.peakFds) {
        peak.peakFds = now.fds;
        peak.peakSockets = now.sockets;
        if (now.busiest !== busiest) {
          busiest = now.busiest;
          peak.fdLimit = await openFilesLimit(now.busiest);
        }
      }
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void sample(), intervalMs);
  return {
    stop() {
      clearInterval(timer);
      return { ...peak };
    },
  };
}
