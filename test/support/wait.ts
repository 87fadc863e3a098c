/**
 * Waiting for an event in tests, always with a bound, never for a fixed time: a loaded
 * machine makes every fixed sleep too short some day.
 *
 *   await waitFor('the sleeps to be killed', () => running('sleep 4133[78]') === '');
 *   const seen = await waitForOutput(child.stdout, /STEP \[first\]/);   // the output so far
 *   await waitForFile('/tmp/x/started');
 */
import { existsSync } from 'node:fs';
import type { Readable } from 'node:stream';

export interface WaitOptions {
  /** Give up after this long (default 20 s). */
  timeoutMs?: number;
  /** Look again after this long (default 25 ms). */
  intervalMs?: number;
}

/** Resolves as soon as `condition` holds; rejects naming `what` when it still does not after the bound. */
export async function waitFor(what: string, condition: () => boolean | Promise<boolean>, o: WaitOptions = {}): Promise<void> {
  const timeoutMs = o.timeoutMs ?? 20_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`waited ${timeoutMs} ms for ${what}, in vain`);
    await new Promise((r) => setTimeout(r, o.intervalMs ?? 25));
  }
}

/** Resolves when `path` exists. */
export function waitForFile(path: string, o: WaitOptions = {}): Promise<void> {
  return waitFor(`${path} to exist`, () => existsSync(path), o);
}

/**
 * Resolves with everything read so far once the output matches `pattern`; rejects when the
 * stream ends first or after the bound. Reading goes on after it resolves (add your own
 * listener for the rest).
 */
export function waitForOutput(stream: Readable, pattern: RegExp, o: Pick<WaitOptions, 'timeoutMs'> = {}): Promise<string> {
  const timeoutMs = o.timeoutMs ?? 20_000;
  return new Promise((resolve, reject) => {
    let seen = '';
    const done = (error?: Error) => {
      clearTimeout(timer);
      stream.off('data', onData);
      stream.off('end', onEnd);
      if (error) reject(error);
      else resolve(seen);
    };
    const onData = (chunk: Buffer | string) => {
      seen += chunk.toString();
      if (pattern.test(seen)) done();
    };
    const onEnd = () => done(new Error(`the output ended without matching ${pattern}:\n${seen}`));
    const timer = setTimeout(() => done(new Error(`waited ${timeoutMs} ms for output matching ${pattern}, in vain:\n${seen}`)), timeoutMs);
    stream.on('data', onData);
    stream.once('end', onEnd);
  });
}
