/**
 * The Docker side of the test harness: one client, an availability check that tests use to
 * skip (or, under CI, to fail loudly), and `docker exec` with separated stdout and stderr.
 *
 *   const skip = await dockerSkipReason();         // undefined when Docker answers
 *   test('boots', { skip }, async () => { ... });
 *
 *   const r = await dockerExec(containerId, ['systemctl', 'is-system-running']);
 *   r.stdout; // 'running\n'
 */
import Docker from 'dockerode';
import type { Duplex } from 'node:stream';
import { ConfigError, ConnectionError } from '../errors.ts';

let client: Docker | undefined;

/** The shared client; honours DOCKER_HOST like the docker CLI does. */
export function docker(): Docker {
  client ??= new Docker();
  return client;
}

export type DockerAvailability = { ok: true } | { ok: false; reason: string };

function describeDockerError(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  const where = process.env.DOCKER_HOST ?? '/var/run/docker.sock';
  if (e.code === 'ENOENT') return `no Docker engine socket at ${where} (start dockerd: scripts/docker-up.sh)`;
  if (e.code === 'EACCES') return `no permission to use the Docker socket at ${where}`;
  if (e.code === 'ECONNREFUSED') return `the Docker engine at ${where} refuses connections (is dockerd running?)`;
  return `the Docker engine at ${where} does not answer: ${e.message ?? String(error)}`;
}

/** Whether a Docker engine answers, within `timeoutMs`. */
export async function dockerAvailable(timeoutMs = 5000): Promise<DockerAvailability> {
  const abort = AbortSignal.timeout(timeoutMs);
  try {
    // dockerode accepts options with an abort signal here; its type declarations omit them.
    const ping = docker().ping as unknown as (this: Docker, opts: { abortSignal: AbortSignal }) => Promise<unknown>;
    await ping.call(docker(), { abortSignal: abort });
    return { ok: true };
  } catch (error) {
    if (abort.aborted) return { ok: false, reason: `the Docker engine did not answer within ${timeoutMs} ms` };
    return { ok: false, reason: describeDockerError(error) };
  }
}

/**
 * For node tests: undefined when Docker answers, else the reason to skip (printed). When the
 * environment variable CI is set the tests are not skipped: they run and fail loudly, because
 * startNodes refuses with the same reason (CI must never skip them).
 */
export async function dockerSkipReason(): Promise<string | undefined> {
  const available = await dockerAvailable();
  if (available.ok) return undefined;
  if (process.env.CI) {
    process.stderr.write(`capstan testing: CI is set, so throwaway-node tests run and fail: ${available.reason}\n`);
    return undefined;
  }
  const reason = `Docker is not available: ${available.reason}`;
  process.stderr.write(`capstan testing: skipping throwaway-node tests. ${reason}\n`);
  return reason;
}

/** Throws a ConfigError saying why, when no Docker engine answers. */
export async function assertDockerAvailable(): Promise<void> {
  const available = await dockerAvailable();
  if (!available.ok) {
    throw new ConfigError(`throwaway nodes need Docker: ${available.reason}`, {
      hint: 'scripts/docker-up.sh installs and starts it (as root, on Debian)',
    });
  }
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export interface ExecOptions {
  /** Sent on stdin, then stdin is closed. Keeps secrets out of argv. */
  stdin?: string | Buffer;
  user?: string;
  env?: Record<string, string>;
  /** Stop waiting after this long (default 60 s); the command may still be running. */
  timeoutMs?: number;
}

/** Splits Docker's multiplexed attach stream (8-byte frame headers) into stdout and stderr. */
export class Demuxer {
  private pending: Buffer = Buffer.alloc(0);
  readonly out: Buffer[] = [];
  readonly err: Buffer[] = [];

  push(chunk: Buffer): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    let offset = 0;
    while (this.pending.length - offset >= 8) {
      const kind = this.pending[offset];
      const size = this.pending.readUInt32BE(offset + 4);
      if (this.pending.length - offset - 8 < size) break;
      const frame = this.pending.subarray(offset + 8, offset + 8 + size);
      (kind === 2 ? this.err : this.out).push(frame);
      offset += 8 + size;
    }
    this.pending = this.pending.subarray(offset);
  }
}

/** Splits a whole multiplexed buffer (e.g. `container.logs()` without a TTY) into text. */
export function demuxBuffer(data: Buffer): { stdout: string; stderr: string } {
  const demux = new Demuxer();
  demux.push(data);
  return { stdout: Buffer.concat(demux.out).toString('utf8'), stderr: Buffer.concat(demux.err).toString('utf8') };
}

/** Reads the hijacked exec stream until the command ends (or `abort` fires), then closes it. */
function collect(stream: Duplex, abort: AbortSignal): Promise<Demuxer> {
  const demux = new Demuxer();
  return new Promise<Demuxer>((resolve, reject) => {
    const finish = (error?: Error) => {
      abort.removeEventListener('abort', onAbort);
      stream.destroy();
      if (error) reject(error);
      else resolve(demux);
    };
    const onAbort = () => finish(abort.reason as Error);
    abort.addEventListener('abort', onAbort);
    stream.on('data', (chunk: Buffer) => demux.push(chunk));
    stream.on('error', finish);
    stream.on('end', () => finish());
    stream.on('close', () => finish());
  });
}

/** Runs argv in a running container (no shell unless you ask for one) and waits for it. */
export async function dockerExec(containerId: string, argv: string[], options: ExecOptions = {}): Promise<ExecResult> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const abort = new AbortController();
  const timer = setTimeout(() => {
    abort.abort(new ConnectionError(containerId.slice(0, 12), `docker exec ${argv[0] ?? ''} did not finish within ${timeoutMs} ms`, 'timeout'));
  }, timeoutMs);
  try {
    const { demux, exitCode } = await execAttached(containerId, argv, options, abort.signal);
    return { stdout: Buffer.concat(demux.out).toString('utf8'), stderr: Buffer.concat(demux.err).toString('utf8'), exitCode };
  } finally {
    clearTimeout(timer);
    // Also tears down a request the engine never answered (e.g. the container died meanwhile).
    if (!abort.signal.aborted) abort.abort(new Error('docker exec finished'));
  }
}

async function execAttached(containerId: string, argv: string[], options: ExecOptions, signal: AbortSignal): Promise<{ demux: Demuxer; exitCode: number }> {
  const withStdin = options.stdin !== undefined;
  const exec = await docker().getContainer(containerId).exec({
    Cmd: argv,
    AttachStdout: true,
    AttachStderr: true,
    AttachStdin: withStdin,
    User: options.user ?? '',
    Env: Object.entries(options.env ?? {}).map(([k, v]) => `${k}=${v}`),
    abortSignal: signal,
  });
  const stream = (await exec.start({ hijack: true, stdin: withStdin, abortSignal: signal })) as Duplex;
  const done = collect(stream, signal);
  if (withStdin) stream.end(options.stdin);
  const demux = await done;
  let info = await exec.inspect({ abortSignal: signal });
  for (let i = 0; info.Running && i < 100; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    info = await exec.inspect({ abortSignal: signal });
  }
  return { demux, exitCode: info.ExitCode ?? -1 };
}
