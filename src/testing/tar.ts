/**
 * A minimal ustar writer: enough to hand Docker a build context or a few files.
 *
 *   const archive = tarArchive([
 *     { path: 'Dockerfile', content: 'FROM scratch\n' },
 *     { path: 'etc/motd', content: 'hello\n', mode: 0o644, uid: 0, gid: 0 },
 *   ]);
 *   await docker.buildImage(Readable.from(archive), { t: 'x' });
 */
import { InternalError } from '../errors.ts';

export interface TarEntry {
  /** Relative path inside the archive, `/` separated, at most 100 bytes. */
  path: string;
  /** File content; omit for a directory. */
  content?: string | Buffer;
  mode?: number;
  uid?: number;
  gid?: number;
}

const BLOCK = 512;

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

function header(entry: TarEntry, size: number, isDir: boolean): Buffer {
  const name = isDir && !entry.path.endsWith('/') ? `${entry.path}/` : entry.path;
  if (Buffer.byteLength(name) > 100) throw new InternalError(`tar path too long: ${name}`);
  const h = Buffer.alloc(BLOCK);
  h.write(name, 0, 100, 'utf8');
  h.write(octal(entry.mode ?? (isDir ? 0o755 : 0o644), 8), 100, 8, 'ascii');
  h.write(octal(entry.uid ?? 0, 8), 108, 8, 'ascii');
  h.write(octal(entry.gid ?? 0, 8), 116, 8, 'ascii');
  h.write(octal(size, 12), 124, 12, 'ascii');
  h.write(octal(Math.floor(Date.now() / 1000), 12), 136, 12, 'ascii');
  h.write(' '.repeat(8), 148, 8, 'ascii');
  h.write(isDir ? '5' : '0', 156, 1, 'ascii');
  h.write('ustar\0', 257, 6, 'ascii');
  h.write('00', 263, 2, 'ascii');
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(octal(sum, 7) + ' ', 148, 8, 'ascii');
  return h;
}

function padding(size: number): Buffer {
  return Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);
}

/** Builds a complete tar archive (with its two zero end blocks) in memory. */
export function tarArchive(entries: TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const isDir = entry.content === undefined;
    const data = isDir ? Buffer.alloc(0) : Buffer.from(entry.content ?? '');
    parts.push(header(entry, data.length, isDir), data, padding(data.length));
  }
  parts.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(parts);
}
