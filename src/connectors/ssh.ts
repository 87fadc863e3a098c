/**
 * The SSH connector: one connection per host for the whole run, commands written to a
 * long-lived shell (one per become user), host keys that fail closed, timeouts on every
 * layer, at most `maxSessions` channels, and secrets kept out of argv, logs and errors.
 *
 *   const c = createSshConnector({ name: 'web1', transport: 'ssh', address: '10.0.0.5', port: 22,
 *     user: 'deploy', privateKeyPath: '~/.ssh/id_ed25519', options: { hostKeyPolicy: 'accept-new' } });
 *   await c.connect();
 *   const r = await c.exec({ script: 'id -u', become: { user: 'root' }, timeoutMs: 5000 });
 *   await c.close();
 */
import { performance } from 'node:perf_hooks';
import { PassThrough } from 'node:stream';
import { quote } from '../commands/quote.ts';
import { CommandError, ConfigError, ConnectionError } from '../errors.ts';
import type { Become, Connector, ConnectorStats, ExecRequest, ExecResult, HostConnection } from './connector.ts';
import { writeLocalFileAtomic } from './common/local-file.ts';
import { bytesStream, classifyStdin } from './common/stdin.ts';
import { isTimeoutStatus, MAX_ARGUMENT_SCRIPT, runWords } from './common/wrap.ts';
import { execOnChannel } from './ssh/channel.ts';
import { loadSshConfig, resolveTarget } from './ssh/config.ts';
import { closeSession, connectTarget, type Session } from './ssh/connect.ts';
import { ChannelLimiter } from './ssh/limiter.ts';
import { parseSshOptions, type SshOptions } from './ssh/options.ts';
import { BecomeRefused, type RawResult } from './ssh/shell.ts';
import { ShellPool, type ShellBecome } from './ssh/shells.ts';

export { sshOptionsSchema, parseSshOptions, type SshOptions } from './ssh/options.ts';
export { fingerprintOf } from './ssh/host-key.ts';

/** Stdin up to this size travels inside the command's frame; larger goes over its own channel. */
export const INLINE_STDIN_MAX = 1024 * 1024;

export interface SshConnectorDeps {
  /** Diagnostics sink for ssh2's debug lines (already redacted). */
  debug?: (line: string) => void;
}

interface Live {
  session: Session;
  limiter: ChannelLimiter;
  pool: ShellPool;
}

export class SshConnector implements Connector {
  readonly host: string;
  readonly stats: ConnectorStats = { roundTrips: 0, connections: 0, channels: 0 };
  readonly options: SshOptions;
  #live: Promise<Live> | undefined;
  #lost: ConnectionError | undefined;
  #closing = false;

  constructor(
    private readonly conn: HostConnection,
    private readonly deps: SshConnectorDeps = {},
  ) {
    this.host = conn.name;
    this.options = parseSshOptions(conn.options, conn.name);
  }

  connect(signal?: AbortSignal): Promise<void> {
    this.#live ??= this.#open(signal);
    return this.#live.then(() => undefined);
  }

  async #open(signal?: AbortSignal): Promise<Live> {
    const target = resolveTarget(this.conn, await loadSshConfig(this.options.sshConfigPath));
    const session = await connectTarget(target, {
      host: this.host,
      options: this.options,
      password: this.conn.password,
      explicitKey: this.conn.privateKeyPath,
      debug: this.deps.debug,
      onConnection: () => this.stats.connections++,
      signal,
    });
    const limiter = new ChannelLimiter(this.options.maxSessions, () => void this.stats.channels!++);
    const dropped = () => this.#lost;
    const pool = new ShellPool(session.client, limiter, { host: this.host, gateTimeoutMs: this.options.connectTimeoutMs }, dropped);
    this.#watch(session, limiter);
    return { session, limiter, pool };
  }

  /** Marks the host unreachable when the connection ends without close() being called. */
  #watch(session: Session, limiter: ChannelLimiter): void {
    let last = '';
    session.client.on('error', (e: Error) => {
      last = e.message;
    });
    const lost = () => {
      if (this.#lost) return;
      const why = this.#closing ? 'the connection was closed' : `the connection was lost${last ? ` (${last})` : ''}`;
      this.#lost = new ConnectionError(this.host, why, 'dropped');
      limiter.break(this.#lost);
    };
    session.client.once('close', lost);
    session.client.once('end', lost);
  }

  async #ready(): Promise<Live> {
    if (this.#lost) throw this.#lost;
    if (!this.#live) await this.connect();
    const live = await (this.#live as Promise<Live>);
    if (this.#lost) throw this.#lost;
    return live;
  }

  async exec(req: ExecRequest): Promise<ExecResult> {
    const live = await this.#ready();
    const started = performance.now();
    const timeoutMs = req.timeoutMs ?? this.options.commandTimeoutMs;
    const limits = { timeoutMs, killAfterMs: this.options.killAfterMs };
    const guardMs = timeoutMs === undefined ? undefined : timeoutMs + this.options.killAfterMs + 3_000;
    const become = this.#become(req.become);
    const stdin = classifyStdin(req.stdin);
    const longScript = Buffer.byteLength(req.script) > MAX_ARGUMENT_SCRIPT;
    let raw: RawResult | BecomeRefused;
    if (req.beside || stdin.kind === 'stream' || (stdin.kind === 'bytes' && stdin.data.length > INLINE_STDIN_MAX)) {
      if (longScript) throw new ConfigError(`a command with streamed stdin, or run beside the shells, must be shorter than ${MAX_ARGUMENT_SCRIPT} bytes`);
      const stream = stdin.kind === 'stream' ? stdin.stream : stdin.kind === 'bytes' ? bytesStream(stdin.data) : undefined;
      const spec = { host: this.host, words: runWords(req.script, limits), become, stdin: stream, gateTimeoutMs: this.options.connectTimeoutMs, guardMs };
      raw = await execOnChannel(live.session.client, live.limiter, spec, () => this.#lost);
    } else {
      const input = {
        words: runWords(req.script, limits, longScript ? 3 : undefined),
        stdin: stdin.kind === 'bytes' ? stdin.data : undefined,
        scriptOnFd3: longScript ? req.script : undefined,
      };
      raw = await live.pool.run(become, input, guardMs);
    }
    this.stats.roundTrips++;
    return toResult(raw, performance.now() - started, timeoutMs);
  }

  #become(b: Become | undefined): ShellBecome | undefined {
    if (!b) return undefined;
    if (b.method && b.method !== 'sudo') throw new ConfigError(`become method ${JSON.stringify(b.method)} is not supported (only sudo)`, { keyPath: 'become_method' });
    return { user: b.user ?? 'root', password: b.password ?? this.conn.become?.password };
  }

  async fetchFile(remotePath: string, localPath: string, become?: Become): Promise<void> {
    const live = await this.#ready();
    const started = performance.now();
    const sink = new PassThrough();
    const spec = { host: this.host, words: `cat -- ${quote(remotePath)}`, become: this.#become(become), stdout: sink, gateTimeoutMs: this.options.connectTimeoutMs };
    const run = execOnChannel(live.session.client, live.limiter, spec, () => this.#lost);
    run.catch((e: Error) => sink.destroy(e));
    await writeLocalFileAtomic(localPath, sink, async () => {
      const raw = await run;
      this.stats.roundTrips++;
      const r = toResult(raw, performance.now() - started, undefined);
      if (r.exitCode !== 0) throw new CommandError(this.host, `fetch ${remotePath}`, r.exitCode, '', r.stderr, r.durationMs);
    });
  }

  /** Kills the remote sessions of the commands in flight (bounded by the caller). */
  async interrupt(): Promise<void> {
    const live = this.#live && !this.#lost ? await this.#live.catch(() => undefined) : undefined;
    await live?.pool.interrupt();
  }

  async close(): Promise<void> {
    this.#closing = true;
    const live = await this.#live?.catch(() => undefined);
    if (!live) return;
    live.pool.closeAll();
    await closeSession(live.session);
  }
}

function toResult(raw: RawResult | BecomeRefused, durationMs: number, timeoutMs: number | undefined): ExecResult {
  if (raw instanceof BecomeRefused) return { exitCode: 1, stdout: '', stderr: `${raw.message}\n`, durationMs };
  const timedOut = raw.timedOut || (timeoutMs !== undefined && isTimeoutStatus(raw.exitCode) && durationMs >= timeoutMs - 50);
  let stderr = raw.stderr.toString('utf8');
  if (timedOut) stderr += `${stderr && !stderr.endsWith('\n') ? '\n' : ''}command timed out after ${timeoutMs} ms and was killed\n`;
  const result: ExecResult = { exitCode: raw.exitCode, stdout: raw.stdout.toString('utf8'), stderr, durationMs };
  if (timedOut) result.timedOut = true;
  return result;
}

/** The connector factory for `transport: ssh`. */
export function createSshConnector(host: HostConnection, deps: SshConnectorDeps = {}): Connector {
  return new SshConnector(host, deps);
}
