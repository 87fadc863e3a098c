/**
 * `fetch`: copies a file from the host to the controller.
 *
 *   fetch({ src: '/etc/rancher/k3s/k3s.yaml', dest: 'out/kubeconfig', flat: true })
 *   fetch({ src: '/var/log/app.log', dest: 'logs/' })   // → logs/<host name>/var/log/app.log
 *
 * Without `flat`, files land in `dest/<host>/<src>` so that hosts never overwrite each
 * other; <host> is the name the host reports (`hostname`). With `flat`, `dest` is the local
 * file, or a directory when it ends with '/'. The local copy is compared with the remote
 * file by sha256 and fetched only when they differ; it is written atomically, mode 0600.
 * The host is never changed, so check mode predicts nothing about it.
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { z } from 'zod';
import { defineModule } from '../define/module.ts';
import { change, changes, fail, fetchFrom, noop, type Plan } from '../define/plan.ts';
import { hashedFacts, withSha256, type HashedStat } from '../facts/file.ts';
import { hostnameState, type HostnameState } from '../facts/hostname.ts';
import { remotePath } from './args.ts';
import { hostName } from './hostname.ts';

export const fetchArgs = z
  .object({
    src: remotePath.refine((p) => !p.split('/').includes('..'), 'src must not contain ".." segments'),
    dest: z.string().min(1, 'dest must not be empty').refine((p) => !p.includes('\0'), 'dest must not contain a NUL byte'),
    flat: z.boolean().default(false),
    /** false: a missing src is a no-op instead of a failure. */
    failOnMissing: z.boolean().default(true),
  })
  .strict();

export type FetchArgs = z.output<typeof fetchArgs>;

export interface FetchData {
  /** Absolute local path of the copy. */
  dest: string;
  sha256: string;
  size: number;
}

export interface FetchFacts {
  st: HashedStat | null;
  name: HostnameState | null;
}

export const fetch = defineModule({
  name: 'fetch',
  args: fetchArgs,
  describe: (a) => `fetch ${a.src}`,
  facts: (a) => ({ ...hashedFacts(a.src), ...(a.flat ? {} : { name: hostnameState() }) }),
  plan: (a, f) => planFetch(a, { st: withSha256(f.st, f.sha), name: f.name ?? null }),
  data: (a, f): FetchData => ({ dest: localPath(a, f.name ?? null) ?? '', sha256: f.sha ?? '', size: f.st?.size ?? 0 }),
});

export function planFetch(a: FetchArgs, f: FetchFacts, hashLocal: (path: string) => string | null = sha256OfLocalFile): Plan {
  if (!f.st) return a.failOnMissing ? fail(`${a.src} does not exist on the host`) : noop(`${a.src} does not exist on the host (failOnMissing: false)`);
  if (f.st.type !== 'file') return fail(`${a.src} is a ${f.st.type}: fetch copies regular files only`);
  const local = localPath(a, f.name);
  if (!local) return fail(`the host reports a name that cannot be a directory name (${JSON.stringify(f.name?.live ?? '')}): use flat: true with a dest per host`);
  let sha: string | null;
  try {
    sha = hashLocal(local);
  } catch (e) {
    return fail(`cannot read the local file ${local}: ${(e as Error).message}`);
  }
  if (sha === f.st.sha256) return noop(`${local} already has the content of ${a.src}`);
  return changes(change(`fetch ${a.src} -> ${local} (${f.st.size} bytes)`, fetchFrom({ src: a.src, dest: local })));
}

/** Where the copy goes on the controller; undefined when the host's name is unusable. */
export function localPath(a: FetchArgs, name: HostnameState | null): string | undefined {
  const dest = resolve(a.dest);
  if (a.flat) return a.dest.endsWith('/') ? join(dest, basename(a.src)) : dest;
  const host = name?.live ?? '';
  if (!hostName.safeParse(host).success) return undefined;
  const out = join(dest, host, a.src);
  return relative(dest, out).startsWith('..') ? undefined : out;
}

/** sha256 of a local file, read in chunks; null when it does not exist. */
export function sha256OfLocalFile(path: string): string | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  try {
    const hash = createHash('sha256');
    const buf = Buffer.allocUnsafe(1024 * 1024);
    for (let n = readSync(fd, buf); n > 0; n = readSync(fd, buf)) hash.update(buf.subarray(0, n));
    return hash.digest('hex');
  } finally {
    closeSync(fd);
  }
}
