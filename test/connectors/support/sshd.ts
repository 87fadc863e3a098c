/**
 * Test fixture: a real OpenSSH server on loopback with its own host keys, client keys and
 * authorized_keys in a temp dir, started per test file and stopped afterwards.
 *
 *   const sshd = await startSshd();
 *   const c = createSshConnector(sshd.host());   // known_hosts already lists the server
 *   ...
 *   await sshd.stop();
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { HostConnection } from '../../../src/connectors/connector.ts';
import { findTool, TOOLS } from '../../support/tools.ts';
import { waitFor } from '../../support/wait.ts';

const run = promisify(execFile);

/** What the fixture runs: skip (or, under CI, fail) with `{ skip: requires(...SSHD_NEEDS) }`. */
export const SSHD_NEEDS = [TOOLS.sshd, TOOLS.sshKeygen];

export const KEY_PASSPHRASE = 'correct horse battery staple';

export interface SshdFixture {
  port: number;
  dir: string;
  /** known_hosts listing this server's ed25519 and ecdsa keys under [127.0.0.1]:port. */
  knownHostsPath: string;
  clientKeyPath: string;
  encryptedKeyPath: string;
  hostKeyPub: { ed25519: string; ecdsa: string };
  logPath: string;
  host(over?: Partial<HostConnection>, options?: Record<string, unknown>): HostConnection;
  log(): Promise<string>;
  stop(): Promise<void>;
}

export interface SshdOptions {
  /** Put test/connectors/support/fake-sudo first on the PATH of sessions. */
  fakeSudo?: boolean;
  maxSessions?: number;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

async function keygen(path: string, type: string, passphrase = ''): Promise<string> {
  await run('ssh-keygen', ['-q', '-t', type, '-N', passphrase, '-C', 'capstan-test', '-f', path]);
  return (await readFile(`${path}.pub`, 'utf8')).trim();
}

function config(dir: string, port: number, o: SshdOptions): string {
  const lines = [
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${dir}/host_ed25519`,
    `HostKey ${dir}/host_ecdsa`,
    `PidFile ${dir}/sshd.pid`,
    `AuthorizedKeysFile ${dir}/authorized_keys`,
    'StrictModes no',
    'UsePAM no',
    'PermitRootLogin yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    `MaxSessions ${o.maxSessions ?? 10}`,
    'MaxStartups 100:30:200',
    'LogLevel DEBUG1',
  ];
  if (o.fakeSudo) {
    const path = `${join(import.meta.dirname, 'fake-sudo')}:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin`;
    lines.push(`SetEnv PATH=${path} FAKE_SUDO_LOG=${dir}/sudo-argv.log`);
  }
  return `${lines.join('\n')}\n`;
}

/** True when something on 127.0.0.1:port greets with an SSH banner. */
function greetsWithBanner(port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('data', (d) => {
      s.destroy();
      resolve(d.toString().startsWith('SSH-'));
    });
    s.once('error', () => resolve(false));
    s.once('close', () => resolve(false));
    s.setTimeout(2000, () => s.destroy());
  });
}

export async function startSshd(o: SshdOptions = {}): Promise<SshdFixture> {
  const sshd = findTool(TOOLS.sshd.command);
  if (!sshd) throw new Error('openssh-server is not installed (apt-get install -y openssh-server)');
  await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
  const dir = await mkdtemp(join(tmpdir(), 'capstan-sshd-'));
  await chmod(dir, 0o755);
  const [ed, ec, client] = await Promise.all([
    keygen(join(dir, 'host_ed25519'), 'ed25519'),
    keygen(join(dir, 'host_ecdsa'), 'ecdsa'),
    keygen(join(dir, 'client'), 'ed25519'),
  ]);
  const encrypted = await keygen(join(dir, 'client_encrypted'), 'ed25519', KEY_PASSPHRASE);
  await writeFile(join(dir, 'authorized_keys'), `${client}\n${encrypted}\n`, { mode: 0o644 });
  const port = await freePort();
  const strip = (k: string) => k.split(' ').slice(0, 2).join(' ');
  const knownHostsPath = join(dir, 'known_hosts');
  await writeFile(knownHostsPath, `[127.0.0.1]:${port} ${strip(ed)}\n[127.0.0.1]:${port} ${strip(ec)}\n`);
  await writeFile(join(dir, 'sshd_config'), config(dir, port, o));
  await writeFile(join(dir, 'ssh_config'), '');
  const logPath = join(dir, 'sshd.log');
  const child: ChildProcess = spawn(sshd, ['-D', '-f', join(dir, 'sshd_config'), '-E', logPath], { stdio: 'ignore' });
  await waitFor(`sshd on port ${port} to greet`, () => greetsWithBanner(port), { timeoutMs: 10_000, intervalMs: 50 });
  return {
    port,
    dir,
    knownHostsPath,
    clientKeyPath: join(dir, 'client'),
    encryptedKeyPath: join(dir, 'client_encrypted'),
    hostKeyPub: { ed25519: strip(ed), ecdsa: strip(ec) },
    logPath,
    host: (over = {}, options = {}) => ({
      name: 'sshd-test',
      transport: 'ssh',
      address: '127.0.0.1',
      port,
      user: 'root',
      privateKeyPath: join(dir, 'client'),
      options: { knownHostsPath, useAgent: false, sshConfigPath: join(dir, 'ssh_config'), ...options },
      ...over,
    }),
    log: () => readFile(logPath, 'utf8').catch(() => ''),
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
