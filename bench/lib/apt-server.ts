/**
 * Serves the local apt repository over HTTP to the nodes: one listener per node set, bound
 * to that set's Docker network gateway (an address of this machine the nodes can reach).
 *
 *   const server = await RepoServer.open('/root/.cache/capstan-bench/apt-3f9c1e0a7b2d');
 *   const url = await server.listenOn('10.213.47.1');   // 'http://10.213.47.1:41234'
 *   // on the nodes: deb [trusted=yes] http://10.213.47.1:41234 ./
 *   await server.stopListening('10.213.47.1');
 *   await server.closeAll();
 */
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

export class RepoServer {
  private readonly servers = new Map<string, Server>();
  /** Requests answered with a file, for the results (proof that the nodes used this repository). */
  served = 0;

  private constructor(
    readonly dir: string,
    private readonly files: Map<string, { path: string; size: number }>,
  ) {}

  /** Serves every file directly in `dir` (no subdirectories, no other paths). */
  static async open(dir: string): Promise<RepoServer> {
    const files = new Map<string, { path: string; size: number }>();
    for (const name of await readdir(dir)) {
      const path = join(dir, name);
      const st = await stat(path);
      if (st.isFile()) files.set(name, { path, size: st.size });
    }
    return new RepoServer(dir, files);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const name = decodeURIComponent(new URL(req.url ?? '/', 'http://repo').pathname).replace(/^\/(\.\/)?/, '');
    const file = this.files.get(name);
    if ((req.method !== 'GET' && req.method !== 'HEAD') || !file) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': file.size });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    this.served++;
    createReadStream(file.path).on('error', () => res.destroy()).pipe(res);
  }

  /** Starts a listener on `address` (a free port) and returns the repository's URL there. */
  async listenOn(address: string): Promise<string> {
    let server = this.servers.get(address);
    if (!server) {
      const created = createServer((req, res) => this.handle(req, res));
      await new Promise<void>((resolve, reject) => {
        created.once('error', reject);
        created.listen(0, address, () => resolve());
      });
      this.servers.set(address, created);
      server = created;
    }
    return `http://${address}:${(server.address() as AddressInfo).port}`;
  }

  async stopListening(address: string): Promise<void> {
    const server = this.servers.get(address);
    if (!server) return;
    this.servers.delete(address);
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.servers.keys()].map((a) => this.stopListening(a)));
  }
}
