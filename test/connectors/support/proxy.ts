/**
 * Test fixture: a TCP relay on loopback in front of a server, to count connections and to
 * simulate a network fault: `cut()` resets every relayed connection (the host drops),
 * `freeze()` silently stops relaying (the peer is dead; only keepalive notices). With
 * `slowAfterFirstMs`, the server's first chunk (its SSH identification line) is relayed at once
 * and every later one that much later: a live server too loaded to finish the handshake soon.
 *
 *   const p = await startProxy(sshd.port);
 *   const c = createSshConnector(sshd.host({ port: p.port }));
 *   p.freeze();
 */
import { createServer, connect, type Socket } from 'node:net';

export interface Proxy {
  port: number;
  /** Connections accepted so far. */
  readonly accepted: number;
  cut(): void;
  freeze(): void;
  close(): Promise<void>;
}

export async function startProxy(targetPort: number, options: { slowAfterFirstMs?: number } = {}): Promise<Proxy> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  let frozen = false;
  const server = createServer((client) => {
    accepted++;
    const upstream = connect(targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => sockets.delete(s));
    }
    client.on('data', (d) => frozen || upstream.write(d));
    let chunks = 0;
    const slow = options.slowAfterFirstMs ?? 0;
    upstream.on('data', (d) => {
      if (frozen) return;
      if (chunks++ === 0 || slow === 0) client.write(d);
      else setTimeout(() => frozen || client.destroyed || client.write(d), slow);
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  return {
    port: typeof addr === 'object' && addr ? addr.port : 0,
    get accepted() {
      return accepted;
    },
    cut: () => {
      for (const s of sockets) s.resetAndDestroy();
    },
    freeze: () => {
      frozen = true;
    },
    close: () =>
      new Promise((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/**
 * A server that accepts TCP connections and never says a word (or answers the client's first
 * bytes with `answer`, or greets every connection with `greeting` and then says no more).
 */
export async function startSilentServer(answer?: string, greeting?: string): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    if (greeting !== undefined) s.write(greeting);
    // another service (a web server) answers the client's first line, and keeps the connection open
    if (answer !== undefined) s.once('data', () => s.write(answer));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  return {
    port: typeof addr === 'object' && addr ? addr.port : 0,
    close: () =>
      new Promise((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
