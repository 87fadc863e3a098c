/**
 * Kernel limits that decide how many systemd nodes can boot at once. Every systemd takes
 * several inotify instances; at the default of 128 per user, new nodes exit at once with an
 * empty log from about 30 nodes on.
 *
 *   await raiseInotifyLimits(40, (m) => console.error(m));   // as root: raises, and says so
 *   await inotifyHint();  // 'fs.inotify.max_user_instances is 8192 ...' for error messages
 */
import { readFile, writeFile } from 'node:fs/promises';

const WANTED: ReadonlyArray<[name: string, value: number]> = [
  ['fs.inotify.max_user_instances', 8192],
  ['fs.inotify.max_user_watches', 1048576],
];

const RAISE_COMMAND = `sysctl -w ${WANTED.map(([n, v]) => `${n}=${v}`).join(' ')}`;

function procPath(name: string): string {
  return `/proc/sys/${name.replace(/\./g, '/')}`;
}

async function readLimit(name: string): Promise<number | undefined> {
  const text = await readFile(procPath(name), 'utf8').catch(() => undefined);
  return text === undefined ? undefined : Number(text.trim());
}

/** Raises the inotify limits when they are below what many nodes need; warns when it cannot. */
export async function raiseInotifyLimits(nodeCount: number, log: (message: string) => void): Promise<void> {
  for (const [name, wanted] of WANTED) {
    const current = await readLimit(name);
    if (current === undefined || current >= wanted) continue;
    try {
      await writeFile(procPath(name), `${wanted}\n`);
      log(`raised ${name} from ${current} to ${wanted} (each systemd node needs inotify instances)`);
    } catch {
      if (nodeCount >= 20) {
        log(`${name} is ${current}: nodes may exit during boot beyond about 30; as root run: ${RAISE_COMMAND}`);
      }
    }
  }
}

/** One sentence for boot-failure messages: the current limit, and how to raise it if low. */
export async function inotifyHint(): Promise<string> {
  const [name, wanted] = WANTED[0] ?? ['fs.inotify.max_user_instances', 8192];
  const current = await readLimit(name);
  if (current === undefined) return `(could not read ${name})`;
  if (current >= wanted) return `(${name} is ${current}, high enough)`;
  return `${name} is only ${current}: systemd nodes exit at once when inotify instances run out; as root run: ${RAISE_COMMAND}`;
}
