/**
 * Test double of a connector: runs scripts with the controller's own `sh` (so modules act on
 * real temp files), counts round trips, and can be told to be unreachable, to drop after N
 * commands, to answer slowly, to fail scripts that match a pattern, or to run them with a
 * PATH of its own (a host that lacks a program, or one whose programs are counted).
 *
 *   const fake = new FakeConnector('web1', { dropAfter: 3 });
 *   const bare = new FakeConnector('web2', { path: '/tmp/bin-without-sha256sum' });
 *   fake.scripts   // every script received, in order
 */
import { spawn } from 'node:child_process';
import type { Connector, ConnectorStats, ExecRequest, ExecResult } from '../../src/connectors/connector.ts';
import { ConnectionError } from '../../src/errors.ts';
import { Secret } from '../../src/commands/secret.ts';

export interface FakeBehaviour {
  /** Refuse the connection. */
  unreachable?: boolean;
  /** Drop the connection when the Nth exec (1-based) is sent. */
  dropAfter?: number;
  /** Wait this long before answering each exec. */
  delayMs?: number;
  /** Scripts matching this fail with exit 1 and this stderr. */
  failMatching?: { pattern: RegExp; stderr: string };
  /** The PATH the host's shell runs with (`sh` itself is found on the controller's PATH). */
  path?: string;
  /** Called before each exec (to record timing in scheduler tests). */
  onExec?: (host: string, req: ExecRequest) => void | Promise<void>;
}

export class FakeConnector implements Connector {
  readonly stats: ConnectorStats = { roundTrips: 0, connections: 0 };
  readonly scripts: string[] = [];
  private connected = false;

  constructor(
    readonly host: string,
    readonly behaviour: FakeBehaviour = {},
  ) {}

  async connect(): Promise<void> {
    if (this.behaviour.unreachable) throw new ConnectionError(this.host, 'connection refused (fake)', 'refused');
    this.stats.connections++;
    this.connected = true;
  }

  async exec(req: ExecRequest): Promise<ExecResult> {
    if (!this.connected) await this.connect();
    const n = this.scripts.push(req.script);
    await this.behaviour.onExec?.(this.host, req);
    if (this.behaviour.dropAfter !== undefined && n >= this.behaviour.dropAfter) {
      this.connected = false;
      throw new ConnectionError(this.host, 'connection dropped (fake)', 'dropped');
    }
    if (this.behaviour.delayMs) await new Promise((r) => setTimeout(r, this.behaviour.delayMs));
    this.stats.roundTrips++;
    const f = this.behaviour.failMatching;
    if (f && f.pattern.test(req.script)) return { exitCode: 1, stdout: '', stderr: f.stderr, durationMs: 0 };
    return runLocal(req, this.behaviour.path);
  }

  async fetchFile(): Promise<void> {
    throw new Error('fetchFile is not supported by the fake connector');
  }

  async close(): Promise<void> {
    this.connected = false;
  }
}

function runLocal(req: ExecRequest, path?: string): Promise<ExecResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const env = path === undefined ? process.env : { ...process.env, PATH: path };
    const child = spawn('/bin/sh', ['-c', req.script], { stdio: ['pipe', 'pipe', 'pipe'], env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ exitCode: code ?? 1, stdout, stderr, durationMs: Date.now() - started }));
    const input = req.stdin;
    if (input === undefined) child.stdin.end();
    else if (typeof input === 'string' || Buffer.isBuffer(input)) child.stdin.end(input);
    else if (input instanceof Secret) child.stdin.end(input.reveal());
    else input.pipe(child.stdin);
  });
}
