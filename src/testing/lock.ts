/**
 * A machine-wide lock file, so that two test processes never build the node image at once.
 * The lock records its owner's pid; a lock whose owner is gone is taken over.
 *
 *   await withFileLock('/tmp/capstan-node-image.lock', async () => build(), {
 *     onWait: (pid) => console.error(`waiting for pid ${pid}`),
 *   });
 */
import { open, readFile, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { ConfigError } from '../errors.ts';

export interface LockOptions {
  /** Give up after this long (default 20 minutes: an image build can take a few). */
  timeoutMs?: number;
  /** Called once, when the lock is held by another live process. */
  onWait?: (ownerPid: number) => void;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function tryCreate(path: string, stamp: string): Promise<boolean> {
  try {
    const handle = await open(path, 'wx', 0o644);
    await handle.writeFile(stamp);
    await handle.close();
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

/** Returns the owner's pid, or undefined when the lock is stale (or vanished) and was cleared. */
async function liveOwner(path: string): Promise<number | undefined> {
  const text = await readFile(path, 'utf8').catch(() => '');
  const [pidText, host] = text.split('\n');
  const pid = Number(pidText);
  if (text && host === hostname() && Number.isInteger(pid) && pid > 0 && alive(pid)) return pid;
  if (!text) return undefined;
  if (host !== hostname()) return pid || -1;
  const again = await readFile(path, 'utf8').catch(() => '');
  if (again === text) await unlink(path).catch(() => undefined);
  return undefined;
}

async function acquire(path: string, options: LockOptions): Promise<string> {
  const stamp = `${process.pid}\n${hostname()}\n${new Date().toISOString()}\n`;
  const deadline = Date.now() + (options.timeoutMs ?? 20 * 60_000);
  let told = false;
  while (!(await tryCreate(path, stamp))) {
    const owner = await liveOwner(path);
    if (owner === undefined) continue;
    if (!told) options.onWait?.(owner);
    told = true;
    if (Date.now() > deadline) {
      throw new ConfigError(`lock ${path} is still held by pid ${owner}`, {
        hint: `if no Capstan process is running, remove ${path}`,
      });
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return stamp;
}

/** Runs `fn` while holding the lock at `path`. */
export async function withFileLock<T>(path: string, fn: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const stamp = await acquire(path, options);
  try {
    return await fn();
  } finally {
    const current = await readFile(path, 'utf8').catch(() => '');
    if (current === stamp) await unlink(path).catch(() => undefined);
  }
}
