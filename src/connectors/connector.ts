/**
 * The connector contract: how the engine reaches a host. Implementations: ssh, local, and
 * the scripted fake used by engine tests (test/support/fake-connector.ts).
 *
 *   const c = new LocalConnector({ name: 'localhost' });
 *   await c.connect();
 *   const r = await c.exec({ script: 'uname -s' });   // { exitCode: 0, stdout: 'Linux\n', ... }
 *   await c.close();
 *
 * Every `exec` is one round trip and is counted in `stats.roundTrips`; the engine's tests
 * assert on those counts. A connector never throws CommandError: a command that ran and
 * failed comes back as an ExecResult with its exit code. It throws ConnectionError when the
 * host cannot be reached or the connection drops (the host becomes UNREACHABLE).
 */
import type { Readable } from 'node:stream';
import type { Secret } from '../commands/secret.ts';

/** Privilege escalation for one command. */
export interface Become {
  /** Target user, `root` by default. */
  user?: string;
  /** Only sudo is supported for now. */
  method?: 'sudo';
  /** Sent over stdin after a random prompt; never in argv. Without it, `sudo -n` (never hangs). */
  password?: Secret;
}

export interface ExecRequest {
  /** POSIX shell text, run by `sh -c` in its own process (no cwd or variables leak between commands). */
  script: string;
  /** Data for the command's standard input. A stream is sent without being held in memory. */
  stdin?: string | Buffer | Secret | Readable;
  /** Run as another user. */
  become?: Become;
  /** Stop waiting and kill the remote process group after this long. */
  timeoutMs?: number;
  /** What to show in logs and errors instead of the script (already masked). */
  display?: string;
  /**
   * Run beside the long-lived shells, never queued behind a command in flight (the run
   * lock's heartbeat). Costs a channel of its own on SSH.
   */
  beside?: boolean;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  durationMs: number;
  /** True when the command was stopped because it ran past its timeout. */
  timedOut?: boolean;
}

export interface ConnectorStats {
  /** Commands sent and answered: one per exec, batches count once. */
  roundTrips: number;
  /** Transport connections opened (should be 1 per host per run). */
  connections: number;
  /** SSH channels opened on them (long-lived shells and streamed transfers), where that applies. */
  channels?: number;
}

export interface Connector {
  /** Inventory name of the host. */
  readonly host: string;
  readonly stats: ConnectorStats;
  /**
   * Opens the connection. When `signal` aborts first, the attempt stops at once and rejects
   * with InterruptedError (Ctrl-C never waits out a connect timeout).
   */
  connect(signal?: AbortSignal): Promise<void>;
  exec(req: ExecRequest): Promise<ExecResult>;
  /**
   * Stops every command in flight at once, best effort: their remote processes (the whole
   * session of each command, children included) are killed, so nothing is left running.
   * The connection stays usable for cleanup. Resolves when the kills were sent or failed.
   */
  interrupt?(): Promise<void>;
  /** Copies a remote file to a local path (streamed). */
  fetchFile(remotePath: string, localPath: string, become?: Become): Promise<void>;
  close(): Promise<void>;
}

/** Builds the connector for a host from its resolved connection settings. */
export type ConnectorFactory = (host: HostConnection) => Connector;

/** Connection settings of one host, resolved from inventory variables (ansible_* names). */
export interface HostConnection {
  /** Inventory name. */
  name: string;
  /** How to connect: ssh (default), local, docker or a test fake. */
  transport: 'ssh' | 'local' | 'fake';
  address: string;
  port: number;
  user?: string;
  privateKeyPath?: string;
  password?: Secret;
  /** Default privilege escalation from ansible_become* variables. */
  become?: Become & { enabled: boolean };
  /** Extra transport options, validated by the connector's own schema. */
  options: Record<string, unknown>;
}
