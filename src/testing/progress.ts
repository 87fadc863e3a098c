/**
 * Reads the JSON-lines progress stream of docker build / pull / import to its end and turns an
 * `error` message inside it into an exception (the HTTP status alone says 200).
 *
 *   const stream = await docker().buildImage(context, { t: 'capstan-node:1a2b' });
 *   const lines = await followDockerStream(stream, (line) => debug(line));
 */
import type { Readable } from 'node:stream';
import { ConfigError } from '../errors.ts';

interface ProgressEvent {
  stream?: string;
  status?: string;
  error?: string;
  errorDetail?: { message?: string };
}

function parse(line: string): ProgressEvent | undefined {
  try {
    return JSON.parse(line) as ProgressEvent;
  } catch {
    return undefined;
  }
}

/** Resolves with the human output lines once the stream ends; rejects on an error event. */
export function followDockerStream(stream: Readable | NodeJS.ReadableStream, onLine: (line: string) => void): Promise<string[]> {
  const output: string[] = [];
  let buffered = '';
  let failure: string | undefined;
  const handle = (raw: string) => {
    const event = parse(raw);
    if (!event) return;
    if (event.error || event.errorDetail?.message) failure ??= event.errorDetail?.message ?? event.error;
    const text = (event.stream ?? event.status ?? '').replace(/\n$/, '');
    if (!text) return;
    output.push(text);
    onLine(text);
  };
  return new Promise((resolve, reject) => {
    stream.on('data', (chunk: Buffer | string) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      lines.forEach(handle);
    });
    stream.on('error', reject);
    stream.on('end', () => {
      if (buffered.trim()) handle(buffered);
      if (failure === undefined) return resolve(output);
      const tail = output.slice(-25).join('\n');
      reject(new ConfigError(`docker: ${failure}${tail ? `\n--- last output ---\n${tail}` : ''}`));
    });
  });
}
