/**
 * Test fixture: an in-process SSH server (the ssh2 library's Server) that accepts one
 * password, records every authentication attempt, and runs exec requests with local `sh`.
 * Used where the loopback sshd cannot help: password logins, counting auth attempts.
 *
 *   const srv = await startPasswordServer('s3cret-pass');
 *   const c = createSshConnector({ ...srv.host(), password: new Secret('s3cret-pass') });
 *   srv.attempts   // ['none', 'password']
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2, { type AuthContext, type ServerChannel } from 'ssh2';
import type { HostConnection } from '../../../src/connectors/connector.ts';

export interface PasswordServer {
  port: number;
  knownHostsPath: string;
  attempts: string[];
  readonly connections: number;
  host(over?: Partial<HostConnection>, options?: Record<string, unknown>): HostConnection;
  close(): Promise<void>;
}

function runExec(command: string, ch: ServerChannel): void {
  const p = spawn('sh', ['-c', command], { stdio: 'pipe' });
  ch.pipe(p.stdin);
  p.stdin.on('error', () => undefined);
  p.stdout.pipe(ch, { end: false });
  p.stderr.pipe(ch.stderr, { end: false });
  p.on('close', (code) => {
    ch.exit(code ?? 1);
    ch.end();
  });
}

function authenticate(ctx: AuthContext, password: string, attempts: string[]): void {
  attempts.push(ctx.method);
  if (ctx.method === 'password' && ctx.password === password) return ctx.accept();
  if (ctx.method === 'keyboard-interactive') {
    return ctx.prompt([{ prompt: 'Password: ', echo: false }], (answers) => (answers[0] === password ? ctx.accept() : ctx.reject()));
  }
  ctx.reject(['password', 'keyboard-interactive']);
}

export async function startPasswordServer(password: string): Promise<PasswordServer> {
  const dir = await mkdtemp(join(tmpdir(), 'capstan-ssh2srv-'));
  const keys = ssh2.utils.generateKeyPairSync('ed25519');
  const attempts: string[] = [];
  let connections = 0;
  const server = new ssh2.Server({ hostKeys: [keys.private] }, (client) => {
    connections++;
    client.on('error', () => undefined);
    client.on('authentication', (ctx) => authenticate(ctx, password, attempts));
    client.on('ready', () => {
      client.on('session', (accept) => {
        const session = accept();
        session.on('exec', (acceptExec, _reject, info) => runExec(info.command, acceptExec()));
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const knownHostsPath = join(dir, 'known_hosts');
  await writeFile(knownHostsPath, `[127.0.0.1]:${port} ${keys.public.split(' ').slice(0, 2).join(' ')}\n`);
  await writeFile(join(dir, 'ssh_config'), '');
  return {
    port,
    knownHostsPath,
    attempts,
    get connections() {
      return connections;
    },
    host: (over = {}, options = {}) => ({
      name: 'ssh2-server',
      transport: 'ssh',
      address: '127.0.0.1',
      port,
      user: 'tester',
      options: { knownHostsPath, useAgent: false, sshConfigPath: join(dir, 'ssh_config'), ...options },
      ...over,
    }),
    close: async () => {
      await new Promise((r) => server.close(r));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
