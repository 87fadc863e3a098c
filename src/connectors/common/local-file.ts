/**
 * Writes a stream to a local file atomically: a temp file beside the target (created 0600),
 * renamed over the target only when the whole stream arrived. On failure the temp file is
 * removed and the old file, if any, is untouched.
 *
 *   await writeLocalFileAtomic('/tmp/out/app.log', channelStdout, async () => checkExit());
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/**
 * Streams `source` into `path`. `beforeRename` runs after the data is on disk and may throw
 * to abandon the write (a non-zero exit status, a checksum mismatch).
 */
export async function writeLocalFileAtomic(path: string, source: Readable, beforeRename?: () => Promise<void>): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${basename(path)}.capstan-${randomBytes(6).toString('hex')}.tmp`);
  try {
    const out = createWriteStream(tmp, { flags: 'wx', mode: 0o600 });
    await pipeline(source, out);
    if (beforeRename) await beforeRename();
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}
