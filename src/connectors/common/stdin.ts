/**
 * What a command's stdin is made of: bytes already in memory (string, Buffer, Secret) or a
 * stream that must never be held in memory whole.
 *
 *   const s = classifyStdin(req.stdin);
 *   if (s.kind === 'bytes') writeInline(s.data); else if (s.kind === 'stream') s.stream.pipe(channel);
 */
import { Readable } from 'node:stream';
import { Secret } from '../../commands/secret.ts';
import type { ExecRequest } from '../connector.ts';

export type StdinSource =
  | { kind: 'none' }
  | { kind: 'bytes'; data: Buffer }
  | { kind: 'stream'; stream: Readable };

export function classifyStdin(stdin: ExecRequest['stdin']): StdinSource {
  if (stdin === undefined) return { kind: 'none' };
  if (Secret.is(stdin)) return { kind: 'bytes', data: Buffer.from(stdin.reveal(), 'utf8') };
  if (typeof stdin === 'string') return { kind: 'bytes', data: Buffer.from(stdin, 'utf8') };
  if (Buffer.isBuffer(stdin)) return { kind: 'bytes', data: stdin };
  if (stdin instanceof Readable || isReadableLike(stdin)) return { kind: 'stream', stream: stdin as Readable };
  throw new TypeError('stdin must be a string, Buffer, Secret or Readable');
}

function isReadableLike(v: unknown): boolean {
  return typeof v === 'object' && v !== null && typeof (v as { pipe?: unknown }).pipe === 'function';
}

/** Bytes as a stream, handed out in pieces so a large buffer is written with backpressure. */
export function bytesStream(data: Buffer, pieceSize = 256 * 1024): Readable {
  function* pieces(): Generator<Buffer> {
    for (let i = 0; i < data.length; i += pieceSize) yield data.subarray(i, i + pieceSize);
  }
  return Readable.from(pieces(), { objectMode: false });
}
