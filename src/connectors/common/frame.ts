/**
 * Framing of commands written to one long-lived `sh`: each command gets a random marker,
 * printed before and after it on both stdout and stderr, the exit status after the stdout
 * end marker. Output needs no final newline, and text that merely looks like a marker is
 * harmless because the marker is new and unguessable for every command. Each command
 * reads its own stdin (a here-document decoded from base64, or /dev/null), so it cannot
 * swallow the commands queued after it.
 *
 *   const f = buildFrame({ words: runWords('echo hi', { killAfterMs: 2000 }) });
 *   shell.write(f.text);
 *   const out = new MarkedStream(f.marker, true);   // stdout: body, then the status
 *   const err = new MarkedStream(f.marker, false);  // stderr: body only
 */
import { token } from './wrap.ts';

export interface FrameInput {
  /** Shell words that run the command (see `runWords`). */
  words: string;
  /** Bytes for the command's stdin; none means /dev/null. */
  stdin?: Buffer | undefined;
  /** Script text delivered on file descriptor 3 (for scripts too long for argv). */
  scriptOnFd3?: string | undefined;
}

export interface Frame {
  marker: string;
  text: string;
}

/** Builds the text written to the shell for one command. */
export function buildFrame(input: FrameInput): Frame {
  const marker = token(':capstan:');
  const lines = [`printf %s ${marker}B; printf %s ${marker}B >&2`];
  const docs: string[] = [];
  let command = input.words;
  if (input.stdin && input.stdin.length > 0) {
    const delim = token('CAPSTAN_IN_', 8);
    command = `base64 -d <<'${delim}' | ${command}`;
    docs.push(base64Lines(input.stdin), delim);
  } else {
    command = `${command} </dev/null`;
  }
  if (input.scriptOnFd3 !== undefined) {
    const delim = token('CAPSTAN_SCRIPT_', 8);
    command = `${command} 3<<'${delim}'`;
    docs.push(input.scriptOnFd3, delim);
  }
  lines.push(command, ...docs);
  lines.push(`printf '%sE%d\\n' ${marker} "$?"; printf %sE ${marker} >&2`, '');
  return { marker, text: lines.join('\n') };
}

function base64Lines(data: Buffer): string {
  const b64 = data.toString('base64');
  const out: string[] = [];
  for (let i = 0; i < b64.length; i += 76) out.push(b64.slice(i, i + 76));
  return out.join('\n');
}

/**
 * Reads one framed stream: skips anything before the begin marker, keeps the body, stops
 * at the end marker (then reads the decimal status up to a newline when `withStatus`).
 * Chunks are kept as they arrive; only a marker-sized tail is searched again.
 */
export class MarkedStream {
  #state: 'seek' | 'body' | 'status' | 'done' = 'seek';
  #window = Buffer.alloc(0);
  #chunks: Buffer[] = [];
  #kept = 0;
  #statusText = '';
  readonly #begin: Buffer;
  readonly #end: Buffer;
  body = Buffer.alloc(0);
  status: number | undefined;

  constructor(
    marker: string,
    private readonly withStatus: boolean,
  ) {
    this.#begin = Buffer.from(`${marker}B`);
    this.#end = Buffer.from(`${marker}E`);
  }

  get done(): boolean {
    return this.#state === 'done';
  }

  push(chunk: Buffer): void {
    if (this.#state === 'seek') this.#seek(chunk);
    else if (this.#state === 'body') this.#readBody(chunk);
    else if (this.#state === 'status') this.#readStatus(chunk);
  }

  #seek(chunk: Buffer): void {
    const win = Buffer.concat([this.#window, chunk]);
    const at = win.indexOf(this.#begin);
    if (at < 0) {
      this.#window = win.subarray(Math.max(0, win.length - this.#begin.length + 1));
      return;
    }
    this.#window = Buffer.alloc(0);
    this.#state = 'body';
    const rest = win.subarray(at + this.#begin.length);
    if (rest.length > 0) this.#readBody(rest);
  }

  #readBody(chunk: Buffer): void {
    const tailLen = Math.min(this.#kept, this.#end.length - 1);
    const tail = this.#tail(tailLen);
    const win = Buffer.concat([tail, chunk]);
    const at = win.indexOf(this.#end);
    this.#chunks.push(chunk);
    this.#kept += chunk.length;
    if (at < 0) return;
    const bodyLen = this.#kept - chunk.length - tailLen + at;
    const all = Buffer.concat(this.#chunks, this.#kept);
    this.body = Buffer.from(all.subarray(0, bodyLen));
    this.#chunks = [];
    const rest = all.subarray(bodyLen + this.#end.length);
    if (!this.withStatus) {
      this.#state = 'done';
      return;
    }
    this.#state = 'status';
    if (rest.length > 0) this.#readStatus(rest);
  }

  #readStatus(chunk: Buffer): void {
    this.#statusText += chunk.toString('latin1');
    const nl = this.#statusText.indexOf('\n');
    if (nl < 0) return;
    this.status = Number.parseInt(this.#statusText.slice(0, nl), 10);
    this.#state = 'done';
  }

  #tail(len: number): Buffer {
    if (len === 0) return Buffer.alloc(0);
    const parts: Buffer[] = [];
    let need = len;
    for (let i = this.#chunks.length - 1; i >= 0 && need > 0; i--) {
      const c = this.#chunks[i] as Buffer;
      const take = c.subarray(Math.max(0, c.length - need));
      parts.unshift(take);
      need -= take.length;
    }
    return Buffer.concat(parts);
  }
}
