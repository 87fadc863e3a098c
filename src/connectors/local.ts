/**
 * The local connector: the same contract as SSH for the controller itself
 * (`ansible_connection=local`, engine tests). Each command is `sh -c` in a new process
 * group; a timeout kills the whole group (SIGTERM, then SIGKILL); become goes through
 * `sudo -n`, or `sudo -S` with a random prompt when a password is given (never in argv).
 *
 *   const c = new LocalConnector({ name: 'localhost' });
 *   await c.connect();
 *   const r = await c.exec({ script: 'cat > /tmp/x', stdin: 'hello' });
 *   await c.fetchFile('/etc/hostname', '/tmp/hostname');
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import { performance } from 'node:perf_hooks';
import { PassThrough } from 'node:stream';
import { z } from 'zod';
import { quote } from '../commands/quote.ts';
import { CommandError, ConfigError } from '../errors.ts';
import type { Become, Connector, ConnectorStats, ExecRequest, ExecResult, HostConnection } from './connector.ts';
import { becomeFailureMessage, ReadyGate } from './common/gate.ts';
import { writeLocalFileAtomic } from './common/local-file.ts';
import { classifyStdin, type StdinSource } from './common/stdin.ts';
import { gatedCommand, MAX_ARGUMENT_SCRIPT, runWords, sudoWords, token } from './common/wrap.ts';

/** Options of the local connector; other keys (meant for other transports) are ignored. */
export const localOptionsSchema = z
  .object({
    commandTimeoutMs: z.number().int().positive().optional(),
    killAfterMs: z.number().int().positive().default(2_000),
  })
  .loose();

export type LocalOptions = z.input<typeof localOptionsSchema>;

interface Launch {
  child: ChildProcess;
  /** Resolves true when the command itself started (sudo accepted), false when sudo refused. */
  started: Promise<boolean>;
  gate?: ReadyGate;
  /** Stderr that arrived after the gate. */
  stderr: Buffer[];
}

export class LocalConnector implements Connector {
  readonly host: string;
  readonly stats: ConnectorStats = { roundTrips: 0, connections: 0 };
  readonly #opts: z.output<typeof localOptionsSchema>;

  constructor(
    conn: Pick<HostConnection, 'name'> & Partial<HostConnection>,
    opts: LocalOptions = {},
  ) {
    this.host = conn.name;
    const parsed = localOptionsSchema.safeParse({ ...conn.options, ...opts });
    if (!parsed.success) {
      throw ConfigError.of(parsed.error.issues.map((i) => ({ message: `${conn.name}: local option ${i.path.join('.')}: ${i.message}`, keyPath: `options.${i.path.join('.')}` })));
    }
    this.#opts = parsed.data;
    this.#defaultPassword = conn.become?.password;
  }

  readonly #defaultPassword: Become['password'];
  /** Commands in flight, for `interrupt`. */
  readonly #running = new Set<ChildProcess>();

  async connect(): Promise<void> {
    if (this.stats.connections === 0) this.stats.connections = 1;
  }

  async exec(req: ExecRequest): Promise<ExecResult> {
    const started = performance.now();
    const timeoutMs = req.timeoutMs ?? this.#opts.commandTimeoutMs;
    const longScript = Buffer.byteLength(req.script) > MAX_ARGUMENT_SCRIPT;
    if (longScript && req.become) throw new ConfigError(`a command run with become must be shorter than ${MAX_ARGUMENT_SCRIPT} bytes`);
    const limits = { timeoutMs, killAfterMs: this.#opts.killAfterMs };
    // node's extra stdio is a socket, which /dev/fd/3 cannot open: read it with cat instead
    const words = runWords(longScript ? 'eval "$(cat <&3)"' : req.script, limits);
    const launch = this.#launch(words, req.become, longScript ? req.script : undefined);
    this.#running.add(launch.child);
    launch.child.once('close', () => this.#running.delete(launch.child));
    const out: Buffer[] = [];
    launch.child.stdout?.on('data', (c: Buffer) => out.push(c));
    const timer = timeoutMs === undefined ? undefined : setTimeout(() => killGroup(launch.child, this.#opts.killAfterMs), timeoutMs + 1_000);
    const ok = await launch.started;
    if (ok) feedStdin(launch.child, classifyStdin(req.stdin));
    const { code, signal } = await exited(launch.child);
    if (timer) clearTimeout(timer);
    this.stats.roundTrips++;
    const durationMs = performance.now() - started;
    if (!ok) return { exitCode: code ?? 1, stdout: '', stderr: `${this.#refusal(req.become, launch)}\n`, durationMs };
    const exitCode = code ?? 128 + signalNumber(signal);
    const timedOut = timeoutMs !== undefined && (exitCode === 124 || exitCode === 137 || signal !== null) && durationMs >= timeoutMs - 50;
    let stderr = Buffer.concat(launch.stderr).toString('utf8');
    if (timedOut) stderr += `${stderr && !stderr.endsWith('\n') ? '\n' : ''}command timed out after ${timeoutMs} ms and was killed\n`;
    const result: ExecResult = { exitCode, stdout: Buffer.concat(out).toString('utf8'), stderr, durationMs };
    if (timedOut) result.timedOut = true;
    return result;
  }

  async fetchFile(remotePath: string, localPath: string, become?: Become): Promise<void> {
    const started = performance.now();
    const launch = this.#launch(`cat -- ${quote(remotePath)}`, become);
    if (!launch.child.stdout) throw new Error('no stdout');
    // Read from the start: when a child exits before anyone reads its stdout, Node drains
    // and drops what it wrote (a fast `cat` would otherwise leave an empty file now and then).
    const body = launch.child.stdout.pipe(new PassThrough());
    const ok = await launch.started;
    launch.child.stdin?.end();
    await writeLocalFileAtomic(localPath, body, async () => {
      const { code } = await exited(launch.child);
      this.stats.roundTrips++;
      const stderr = ok ? Buffer.concat(launch.stderr).toString('utf8') : this.#refusal(become, launch);
      if (!ok || code !== 0) throw new CommandError(this.host, `fetch ${remotePath}`, code, '', stderr, performance.now() - started);
    });
  }

  async close(): Promise<void> {}

  /** Kills the process group of every command in flight. */
  async interrupt(): Promise<void> {
    for (const child of this.#running) killGroup(child, 0);
  }

  #refusal(become: Become | undefined, launch: Launch): string {
    const text = launch.gate?.text() ?? Buffer.concat(launch.stderr).toString('utf8');
    return becomeFailureMessage(this.host, become?.user ?? 'root', text);
  }

  /** Spawns `words` in a new process group, behind sudo and the ready gate when becoming. */
  #launch(words: string, become: Become | undefined, scriptOnFd3?: string): Launch {
    const stdio: ('pipe' | 'ignore')[] = scriptOnFd3 === undefined ? ['pipe', 'pipe', 'pipe'] : ['pipe', 'pipe', 'pipe', 'pipe'];
    if (!become) {
      const child = spawn('sh', ['-c', words], { detached: true, stdio });
      const launch: Launch = { child, started: Promise.resolve(true), stderr: [] };
      child.stderr?.on('data', (c: Buffer) => launch.stderr.push(c));
      if (scriptOnFd3 !== undefined) writeFd3(child, scriptOnFd3);
      return launch;
    }
    if (become.method && become.method !== 'sudo') throw new ConfigError(`become method ${JSON.stringify(become.method)} is not supported (only sudo)`);
    const password = become.password ?? this.#defaultPassword;
    const ready = token('capstan-ready-');
    const prompt = token('capstan-sudo-');
    const command = gatedCommand(ready, words, sudoWords({ user: become.user ?? 'root', password }, prompt));
    const child = spawn('sh', ['-c', command], { detached: true, stdio });
    const gate = new ReadyGate({ ready, prompt, password, send: (s) => child.stdin?.write(s) });
    const launch: Launch = { child, gate, stderr: [], started: Promise.resolve(false) };
    launch.started = new Promise((resolve) => {
      let open = false;
      child.stderr?.on('data', (c: Buffer) => {
        if (open) return void launch.stderr.push(c);
        const s = gate.feed(c);
        if (s.state === 'ready') {
          open = true;
          if (s.rest.length > 0) launch.stderr.push(s.rest);
          resolve(true);
        } else if (s.state === 'failed') {
          killGroup(child, 0);
          resolve(false);
        }
      });
      child.once('close', () => resolve(open));
    });
    return launch;
  }
}

function writeFd3(child: ChildProcess, script: string): void {
  const fd3 = child.stdio[3];
  if (fd3 && 'write' in fd3) {
    fd3.on('error', () => undefined);
    fd3.end(script);
  }
}

function feedStdin(child: ChildProcess, src: StdinSource): void {
  const stdin = child.stdin;
  if (!stdin) return;
  stdin.on('error', () => undefined);
  if (src.kind === 'none') stdin.end();
  else if (src.kind === 'bytes') stdin.end(src.data);
  else {
    src.stream.once('error', () => killGroup(child, 0));
    src.stream.pipe(stdin);
  }
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
}

/** SIGTERM to the whole process group, SIGKILL after the grace period. */
function killGroup(child: ChildProcess, graceMs: number): void {
  const pid = child.pid;
  if (pid === undefined) return;
  const send = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig);
    } catch {
      // already gone, or owned by another user (sudo): the remote `timeout` handles those
    }
  };
  if (graceMs <= 0) return send('SIGKILL');
  send('SIGTERM');
  setTimeout(() => send('SIGKILL'), graceMs).unref();
}

function signalNumber(signal: NodeJS.Signals | null): number {
  return signal ? (constants.signals[signal] ?? 0) : 0;
}

/** The connector factory for `transport: local`. */
export function createLocalConnector(host: HostConnection): Connector {
  return new LocalConnector(host);
}
