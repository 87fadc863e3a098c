/**
 * Opens the SSH connection of one host: through its ProxyJump bastions if any (each
 * verified with the same host-key policy), with a deadline on TCP connect + handshake +
 * authentication, keepalive on, and retries with exponential backoff for failures that may
 * pass (never after an authentication failure or a host-key refusal). Failures are
 * ConnectionErrors with a reason: refused, timeout, dns, auth, host-key, protocol, dropped.
 * A server that answers with another protocol (a web server on port 22) fails at once as
 * `protocol`, quoting the first bytes it sent.
 *
 *   const session = await connectTarget(target, { host: 'web1', options, password, onConnection });
 *   session.client.exec('uname', cb);
 *   closeSession(session);
 */
import type { Duplex } from 'node:stream';
import type { Client, ConnectConfig, ServerHostKeyAlgorithm } from 'ssh2';
import { redact, type Secret } from '../../commands/secret.ts';
import { ConnectionError, InterruptedError } from '../../errors.ts';
import { planAuth } from './auth.ts';
import type { Endpoint, Target } from './config.ts';
import { preferredAlgorithms, verifyHostKey } from './host-key.ts';
import { readKnownHosts } from './known-hosts.ts';
import type { SshOptions } from './options.ts';

export interface ConnectContext {
  /** Inventory name, for messages. */
  host: string;
  options: SshOptions;
  password?: Secret | undefined;
  explicitKey?: string | undefined;
  /** Receives ssh2's debug lines, with every known secret masked. */
  debug?: ((line: string) => void) | undefined;
  /** Called once per connection to the target that reached the ready state. */
  onConnection?: () => void;
  /** Aborting stops the attempt at once (InterruptedError), retries and backoff included. */
  signal?: AbortSignal | undefined;
}

export interface Session {
  client: Client;
  /** Bastion connections, closed with the session. */
  jumps: Client[];
  /** Connections of the session that are already closed. */
  closed: Set<Client>;
}

const HOST_KEY_ALGORITHMS: ServerHostKeyAlgorithm[] = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];

/** Connects with retries; the last failure is thrown. */
export async function connectTarget(target: Target, ctx: ConnectContext): Promise<Session> {
  const { connectRetries, retryBackoffMs } = ctx.options;
  for (let attempt = 0; ; attempt++) {
    try {
      return await connectOnce(target, ctx);
    } catch (e) {
      const final = !(e instanceof ConnectionError) || e.reason === 'auth' || e.reason === 'host-key' || attempt >= connectRetries;
      if (final) throw e;
      await backoff(Math.min(retryBackoffMs * 2 ** attempt, 60_000), ctx);
    }
  }
}

/** Waits before a retry; an abort ends the wait with InterruptedError. */
function backoff(ms: number, ctx: ConnectContext): Promise<void> {
  return new Promise((resolve, reject) => {
    if (ctx.signal?.aborted) return reject(interrupted(ctx.host));
    const timer = setTimeout(() => {
      ctx.signal?.removeEventListener('abort', stop);
      resolve();
    }, ms);
    const stop = () => {
      clearTimeout(timer);
      reject(interrupted(ctx.host));
    };
    ctx.signal?.addEventListener('abort', stop, { once: true });
  });
}

function interrupted(host: string): InterruptedError {
  return new InterruptedError(`${host}: connection attempt stopped (interrupted)`);
}

async function connectOnce(target: Target, ctx: ConnectContext): Promise<Session> {
  const jumps: Client[] = [];
  try {
    let sock: Duplex | undefined;
    for (const hop of target.jumps) {
      const prev = jumps[jumps.length - 1];
      if (prev) sock = await forward(prev, hop, ctx.host);
      jumps.push(await openClient(hop, ctx, sock, false));
    }
    const last = jumps[jumps.length - 1];
    const client = await openClient(target, ctx, last ? await forward(last, target, ctx.host) : undefined, true);
    ctx.onConnection?.();
    const closed = new Set<Client>();
    for (const c of [client, ...jumps]) c.once('close', () => closed.add(c));
    return { client, jumps, closed };
  } catch (e) {
    for (const j of jumps) j.destroy();
    throw e;
  }
}

/** Closes the connection and its bastions; resolves when closed (or after a second). */
export async function closeSession(s: Session): Promise<void> {
  await Promise.all([s.client, ...s.jumps].filter((c) => !s.closed.has(c)).map((c) => endClient(c)));
}

function endClient(c: Client): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      c.destroy();
      resolve();
    }, 1_000);
    c.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    c.end();
  });
}

function forward(via: Client, to: Endpoint, host: string): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    via.forwardOut('127.0.0.1', 0, to.hostName, to.port, (err, stream) => {
      if (err) reject(new ConnectionError(host, `bastion could not reach ${to.hostName}:${to.port}: ${err.message}`, 'refused', { cause: err }));
      else resolve(stream);
    });
  });
}

function where(e: Endpoint): string {
  return `${e.user}@${e.hostName}:${e.port}`;
}

/** A host-key verifier for ssh2 that records why it refused. */
function verifierFor(endpoint: Endpoint, options: SshOptions, onRefusal: (why: string) => void) {
  const check = { host: endpoint.hostKeyName, port: endpoint.port, policy: options.hostKeyPolicy, knownHostsPath: options.knownHostsPath, fingerprint: options.hostKeyFingerprint };
  return (key: Buffer, verify: (ok: boolean) => void): void => {
    verifyHostKey(check, key).then(
      (v) => {
        if (!v.ok) onRefusal(v.message);
        verify(v.ok);
      },
      (e: Error) => {
        onRefusal(`cannot check the host key against ${options.knownHostsPath}: ${e.message}`);
        verify(false);
      },
    );
  };
}

/** One attempt at one endpoint; resolves when authenticated. */
async function openClient(endpoint: Endpoint, ctx: ConnectContext, sock: Duplex | undefined, isTarget: boolean): Promise<Client> {
  const { options } = ctx;
  const known = await readKnownHosts(options.knownHostsPath);
  const preferred = HOST_KEY_ALGORITHMS.filter((a) => preferredAlgorithms(known, endpoint.hostKeyName, endpoint.port).includes(a));
  const auth = await planAuth(endpoint, { options, host: ctx.host, target: isTarget, password: ctx.password, explicitKey: isTarget ? ctx.explicitKey : undefined });
  const { default: ssh2 } = await import('ssh2'); // loaded by the first connection: commands that connect to no host never load it
  const client = new ssh2.Client();
  let refusal: string | undefined;
  const config: ConnectConfig = {
    host: endpoint.hostName,
    port: endpoint.port,
    ...(sock ? { sock } : {}),
    username: auth.username,
    authHandler: auth.handler,
    hostVerifier: verifierFor(endpoint, options, (why) => (refusal = why)),
    readyTimeout: options.connectTimeoutMs + options.handshakeTimeoutMs,
    keepaliveInterval: options.keepaliveIntervalMs,
    keepaliveCountMax: options.keepaliveCountMax,
    algorithms: { serverHostKey: [...preferred, ...HOST_KEY_ALGORITHMS.filter((a) => !preferred.includes(a))] },
  };
  const debug = ctx.debug;
  if (debug) config.debug = (line: string) => debug(redact(line));
  return new Promise<Client>((resolve, reject) => {
    let settled = false;
    const fail = (e: ConnectionError | InterruptedError) => {
      if (settled) return;
      settled = true;
      clearTimeout(guard);
      ctx.signal?.removeEventListener('abort', abort);
      client.destroy();
      reject(e);
    };
    // Two bounds, as OpenSSH: the server must answer within the connect timeout; once it has,
    // the key exchange and authentication get the handshake timeout.
    let guard = setTimeout(
      () => fail(new ConnectionError(ctx.host, `no SSH answer from ${where(endpoint)} within ${options.connectTimeoutMs} ms`, 'timeout')),
      options.connectTimeoutMs,
    );
    const answered = () => {
      if (settled) return;
      clearTimeout(guard);
      guard = setTimeout(
        () => fail(new ConnectionError(ctx.host, `SSH handshake with ${where(endpoint)} not finished ${options.handshakeTimeoutMs} ms after it answered (key exchange and authentication)`, 'timeout')),
        options.handshakeTimeoutMs,
      );
    };
    const abort = () => fail(interrupted(ctx.host));
    if (ctx.signal?.aborted) return abort();
    ctx.signal?.addEventListener('abort', abort, { once: true });
    client.on('error', (err) => fail(classify(err, ctx.host, endpoint, refusal, auth.offered, options.connectTimeoutMs + options.handshakeTimeoutMs)));
    client.once('close', () => fail(new ConnectionError(ctx.host, `${where(endpoint)} closed the connection during the handshake`, 'dropped')));
    client.once('ready', () => {
      if (settled) return;
      settled = true;
      clearTimeout(guard);
      ctx.signal?.removeEventListener('abort', abort);
      unwatch();
      // Commands are small writes answered by small writes: without this, Nagle's algorithm
      // and delayed ACKs add about 40 ms to each one when ssh2 splits a packet in two writes.
      client.setNoDelay(true);
      resolve(client);
    });
    client.connect(config);
    const unwatch = watchIdentification(socketOf(client), (first) => fail(new ConnectionError(ctx.host, `${where(endpoint)} answered with something that is not SSH: ${first} (is another service listening on port ${endpoint.port}?)`, 'protocol')), answered);
  });
}

/** The stream ssh2 reads from (ours for a bastion hop, its own TCP socket otherwise). */
function socketOf(client: Client): Duplex | undefined {
  return (client as unknown as { _sock?: Duplex })._sock;
}

/** First lines that come from another protocol: HTTP, HTML, SMTP/FTP (`220 `), POP3, IMAP, VNC. */
const OTHER_PROTOCOL = /^(HTTP\/|<|\d{3}[ -]|\+OK|\* OK|RFB )/;

/**
 * Watches what the server says before its SSH identification line. ssh2 accepts any text
 * before `SSH-` (RFC 4253 allows a greeting) and would wait out the whole connect timeout
 * for a web server on port 22; a first line from another protocol, or binary, fails at once
 * with the first bytes it answered, made printable. `onSsh` hears of the identification line.
 * Returns a function that stops watching.
 */
export function watchIdentification(sock: Duplex | undefined, onNotSsh: (firstBytes: string) => void, onSsh?: () => void): () => void {
  if (!sock) return () => undefined;
  let seen = Buffer.alloc(0);
  const stop = () => void sock.off('data', onData);
  function onData(chunk: Buffer): void {
    seen = Buffer.concat([seen, chunk]).subarray(0, 512);
    const text = seen.toString('latin1');
    const eol = text.indexOf('\n');
    const first = eol < 0 ? text : text.slice(0, eol);
    if (first.startsWith('SSH-') || text.includes('\nSSH-')) {
      stop();
      onSsh?.();
      return;
    }
    const binary = /[^\t\r\n\x20-\x7e]/.test(first);
    if ((eol < 0 && seen.length < 512 && !binary) || (!binary && !OTHER_PROTOCOL.test(first) && seen.length < 512)) return;
    stop();
    onNotSsh(printable(seen.subarray(0, 64)));
  }
  sock.on('data', onData);
  return stop;
}

/** Bytes shown in a message: printable ASCII kept, anything else as `.`, quoted. */
function printable(bytes: Buffer): string {
  return JSON.stringify(bytes.toString('latin1').replace(/[^\x20-\x7e]/g, '.'));
}

type SshError = Error & { level?: string; code?: string | number };

/** Maps an ssh2 or socket error to a ConnectionError with a reason and a plain message. */
export function classify(err: SshError, host: string, e: Endpoint, refusal: string | undefined, offered: string[], timeoutMs: number): ConnectionError {
  const at = where(e);
  const opt = { cause: err };
  if (refusal) return new ConnectionError(host, refusal, 'host-key', opt);
  if (err.level === 'client-authentication') {
    const tried = offered.length > 0 ? offered.join(', ') : 'nothing: no key, agent or password available';
    return new ConnectionError(host, `authentication failed for ${at} (offered: ${tried})`, 'auth', opt);
  }
  if (err.level === 'client-timeout') return new ConnectionError(host, `no SSH handshake with ${at} within ${timeoutMs} ms`, 'timeout', opt);
  const code = String(err.code ?? '');
  if (err.level === 'client-dns' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new ConnectionError(host, `cannot resolve ${e.hostName}: ${err.message}`, 'dns', opt);
  }
  if (code === 'ECONNREFUSED') return new ConnectionError(host, `connection refused by ${e.hostName}:${e.port} (is sshd running?)`, 'refused', opt);
  if (code === 'ETIMEDOUT') return new ConnectionError(host, `TCP connection to ${e.hostName}:${e.port} timed out`, 'timeout', opt);
  if (code === 'ECONNRESET' || code === 'EPIPE') return new ConnectionError(host, `${at} reset the connection during the handshake`, 'dropped', opt);
  if (err.level === 'handshake' || err.level === 'protocol') return new ConnectionError(host, `SSH handshake with ${at} failed: ${err.message}`, 'protocol', opt);
  return new ConnectionError(host, `cannot connect to ${at}: ${err.message}`, 'other', opt);
}
