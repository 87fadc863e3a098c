/**
 * Connecting: unreachable hosts are told apart (refused, timeout, dns) within the connect
 * timeout; retries back off and never follow an authentication failure; a host that drops
 * or goes silent mid-run fails every pending and later command promptly; keys, passphrases,
 * the agent, passwords, ssh config aliases and ProxyJump all work.
 *
 *   node --import tsx --test test/connectors/ssh-connect.test.ts
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Secret } from '../../src/commands/secret.ts';
import { ConfigError, ConnectionError } from '../../src/errors.ts';
import { SshConnector } from '../../src/connectors/ssh.ts';
import { startProxy, startSilentServer } from './support/proxy.ts';
import { startPasswordServer } from './support/ssh2-server.ts';
import { freePort, KEY_PASSPHRASE, SSHD_NEEDS, startSshd, type SshdFixture } from './support/sshd.ts';
import { requires, TOOLS } from '../support/tools.ts';
import { waitFor, waitForFile } from '../support/wait.ts';

let sshd: SshdFixture;

async function failure(p: Promise<unknown>): Promise<ConnectionError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof ConnectionError, String(e));
    return e;
  }
  assert.fail('expected a ConnectionError');
}

describe('ssh connect', { skip: requires(...SSHD_NEEDS, TOOLS.sshAgent) }, () => {
  before(async () => {
    sshd = await startSshd();
  });
  after(async () => {
    await sshd.stop();
  });

  it('reports "refused" when nothing listens', async () => {
    const port = await freePort();
    const e = await failure(new SshConnector(sshd.host({ port })).connect());
    assert.equal(e.reason, 'refused');
  });

  it('reports "timeout" within the connect timeout when the peer accepts TCP but never speaks SSH', async () => {
    const silent = await startSilentServer();
    const t0 = Date.now();
    const e = await failure(new SshConnector(sshd.host({ port: silent.port }, { connectTimeoutMs: 500 })).connect());
    assert.equal(e.reason, 'timeout');
    assert.match(e.message, /no SSH answer from .* within 500 ms/);
    assert.ok(Date.now() - t0 < 2_500, `took ${Date.now() - t0} ms`);
    await silent.close();
  });

  it('waits past the connect timeout for a server that has answered and is slow to finish the handshake (a loaded machine)', async () => {
    const slow = await startProxy(sshd.port, { slowAfterFirstMs: 400 });
    const kh = join(sshd.dir, 'kh-slow');
    writeFileSync(kh, `[127.0.0.1]:${slow.port} ${sshd.hostKeyPub.ed25519}\n`);
    const t0 = Date.now();
    const c = new SshConnector(sshd.host({ port: slow.port }, { connectTimeoutMs: 300, connectRetries: 0, knownHostsPath: kh }));
    await c.connect();
    const took = Date.now() - t0;
    await c.close();
    await slow.close();
    assert.ok(took > 300, `the handshake took ${took} ms, longer than the connect timeout`);
  });

  it('reports "timeout" after the handshake timeout when a server answers and then stalls', async () => {
    const stalled = await startSilentServer(undefined, 'SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n');
    const t0 = Date.now();
    const e = await failure(new SshConnector(sshd.host({ port: stalled.port }, { connectTimeoutMs: 300, handshakeTimeoutMs: 900, connectRetries: 0 })).connect());
    const took = Date.now() - t0;
    await stalled.close();
    assert.equal(e.reason, 'timeout', e.message);
    assert.match(e.message, /SSH handshake with .* not finished 900 ms after it answered/);
    assert.ok(took >= 900 && took < 3_000, `took ${took} ms`);
  });

  it('fails at once as "protocol", quoting what answered, when the server speaks another protocol (a web server on port 22)', async () => {
    const web = await startSilentServer('HTTP/1.1 400 Bad Request\r\nContent-Type: text/html\r\nX-Evil: \u001b[31mred\r\n\r\n<html>nope</html>\r\n');
    const t0 = Date.now();
    const e = await failure(new SshConnector(sshd.host({ port: web.port }, { connectTimeoutMs: 8_000, connectRetries: 0 })).connect());
    const took = Date.now() - t0;
    await web.close();
    assert.equal(e.reason, 'protocol', e.message);
    assert.ok(took < 2_000, `took ${took} ms, the connect timeout is 8000 ms`);
    assert.match(e.message, /not SSH: "HTTP\/1\.1 400 Bad Request\.\.Content-Type/);
    assert.ok(!e.message.includes('\u001b'), 'control bytes from the server never reach the terminal');
  });

  it('still accepts text before the SSH identification line, as RFC 4253 allows', async () => {
    const { watchIdentification } = await import('../../src/connectors/ssh/connect.ts');
    const { PassThrough } = await import('node:stream');
    const seen: string[] = [];
    const sock = new PassThrough();
    watchIdentification(sock, (first) => seen.push(first));
    sock.write('Welcome to the bastion\r\n');
    sock.write('SSH-2.0-OpenSSH_9.2\r\n');
    const binary = new PassThrough();
    watchIdentification(binary, (first) => seen.push(first));
    binary.write(Buffer.from([0x16, 0x03, 0x01, 0x00]));
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(seen, ['"...."']);
  });

  it('reports "dns" for a name that does not resolve', async () => {
    const e = await failure(new SshConnector(sshd.host({ address: 'no-such-host.invalid' }, { connectTimeoutMs: 3_000 })).connect());
    assert.equal(e.reason, 'dns');
  });

  it('retries the connection with exponential backoff', async () => {
    const proxy = await startProxy(await freePort());
    const t0 = Date.now();
    const e = await failure(new SshConnector(sshd.host({ port: proxy.port }, { connectRetries: 2, retryBackoffMs: 100 })).connect());
    assert.notEqual(e.reason, 'auth');
    assert.equal(proxy.accepted, 3);
    assert.ok(Date.now() - t0 >= 300, 'waited 100 ms, then 200 ms');
    await proxy.close();
  });

  it('never retries after an authentication failure', async () => {
    const proxy = await startProxy(sshd.port);
    const other = join(sshd.dir, 'unauthorized');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
    const c = new SshConnector(sshd.host({ port: proxy.port, privateKeyPath: other }, { connectRetries: 3, retryBackoffMs: 10, knownHostsPath: join(sshd.dir, 'kh-proxy') }));
    writeFileSync(join(sshd.dir, 'kh-proxy'), `[127.0.0.1]:${proxy.port} ${sshd.hostKeyPub.ed25519}\n`);
    const e = await failure(c.connect());
    assert.equal(e.reason, 'auth');
    assert.match(e.message, /authentication failed for root@127\.0\.0\.1/);
    assert.equal(proxy.accepted, 1);
    await proxy.close();
  });

  it('rejects invalid options before connecting, naming each option', () => {
    assert.throws(
      () => new SshConnector(sshd.host({}, { maxSessions: 0, hostKeyPolicy: 'trust-me', bogus: 1 })),
      (e: unknown) => e instanceof ConfigError && /maxSessions/.test(e.message) && /hostKeyPolicy/.test(e.message) && /bogus/.test(e.message),
    );
  });

  it('rejects host names and users that start with "-" before any connection', async () => {
    for (const over of [{ address: '-oProxyCommand=touch /tmp/PWNED' }, { user: '-l' }, { address: 'a b' }]) {
      await assert.rejects(new SshConnector(sshd.host(over)).connect(), (e: unknown) => e instanceof ConfigError && /must not be empty, start with "-"/.test(e.message));
    }
  });

  it('opens an encrypted key with the passphrase option, and says what is missing without it', async () => {
    const ok = new SshConnector(sshd.host({ privateKeyPath: sshd.encryptedKeyPath }, { passphrase: new Secret(KEY_PASSPHRASE) }));
    await ok.connect();
    await ok.close();
    const e = await failure(new SshConnector(sshd.host({ privateKeyPath: sshd.encryptedKeyPath })).connect());
    assert.equal(e.reason, 'auth');
    assert.match(e.message, /encrypted.*passphrase/);
    const wrong = await failure(new SshConnector(sshd.host({ privateKeyPath: sshd.encryptedKeyPath }, { passphrase: 'not it' })).connect());
    assert.match(wrong.message, /wrong passphrase/);
  });

  it('authenticates with the ssh-agent', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'capstan-agent-'));
    const sock = join(dir, 'agent.sock');
    const agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
    try {
      const added = () => spawnSync('ssh-add', [sshd.clientKeyPath], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: 'ignore' }).status === 0;
      await waitFor('the agent to start and take the key', added);
      const saved = process.env.SSH_AUTH_SOCK;
      process.env.SSH_AUTH_SOCK = sock;
      const c = new SshConnector(sshd.host({ privateKeyPath: undefined }, { useAgent: true }));
      await c.connect();
      process.env.SSH_AUTH_SOCK = saved;
      assert.equal((await c.exec({ script: 'echo agent' })).stdout, 'agent\n');
      await c.close();
    } finally {
      agent.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('logs in with a password that never shows in debug output', async () => {
    const pw = 'canary-pw-7f3a-password';
    const srv = await startPasswordServer(pw);
    const lines: string[] = [];
    const c = new SshConnector(srv.host({ password: new Secret(pw, 'ssh password') }), { debug: (l) => lines.push(l) });
    await c.connect();
    assert.equal((await c.exec({ script: 'echo via-password' })).stdout, 'via-password\n');
    await c.close();
    assert.ok(lines.length > 10);
    assert.equal(lines.filter((l) => l.includes(pw)).length, 0);
    const bad = await failure(new SshConnector(srv.host({ password: new Secret('wrong-password-1') }, { connectRetries: 2 })).connect());
    assert.equal(bad.reason, 'auth');
    assert.doesNotMatch(bad.message, /wrong-password-1/);
    await srv.close();
  });

  it('follows ssh config: Host alias, HostName, Port, User, IdentityFile and ProxyJump', async () => {
    const cfg = join(sshd.dir, 'alias_config');
    writeFileSync(
      cfg,
      [
        'Host target-alias',
        '  HostName 127.0.0.1',
        `  Port ${sshd.port}`,
        '  ProxyJump bastion',
        'Host bastion',
        '  HostName 127.0.0.1',
        `  Port ${sshd.port}`,
        'Host *',
        '  User root',
        `  IdentityFile ${sshd.clientKeyPath}`,
      ].join('\n'),
    );
    const before = (await sshd.log()).split('direct-tcpip').length;
    const c = new SshConnector(sshd.host({ address: 'target-alias', port: 22, user: undefined, privateKeyPath: undefined }, { sshConfigPath: cfg }));
    await c.connect();
    assert.equal((await c.exec({ script: 'echo jumped' })).stdout, 'jumped\n');
    await c.close();
    assert.ok((await sshd.log()).split('direct-tcpip').length > before, 'went through the bastion');
  });

  it('fails pending and later commands with "dropped" when the connection is cut mid-run', async () => {
    const proxy = await startProxy(sshd.port);
    const kh = join(sshd.dir, 'kh-drop');
    writeFileSync(kh, `[127.0.0.1]:${proxy.port} ${sshd.hostKeyPub.ed25519}\n`);
    const c = new SshConnector(sshd.host({ port: proxy.port }, { knownHostsPath: kh }));
    await c.connect();
    const started = join(sshd.dir, 'drop-started');
    const pending = c.exec({ script: `touch ${started}; sleep 30` });
    await waitForFile(started);
    const t0 = Date.now();
    proxy.cut();
    assert.equal((await failure(pending)).reason, 'dropped');
    assert.equal((await failure(c.exec({ script: 'true' }))).reason, 'dropped');
    assert.ok(Date.now() - t0 < 5_000);
    await c.close();
    await proxy.close();
  });

  it('notices a peer that went silent through keepalive, within seconds', async () => {
    const proxy = await startProxy(sshd.port);
    const kh = join(sshd.dir, 'kh-freeze');
    writeFileSync(kh, `[127.0.0.1]:${proxy.port} ${sshd.hostKeyPub.ed25519}\n`);
    const c = new SshConnector(sshd.host({ port: proxy.port }, { knownHostsPath: kh, keepaliveIntervalMs: 200, keepaliveCountMax: 2 }));
    await c.connect();
    await c.exec({ script: 'true' });
    const started = join(sshd.dir, 'freeze-started');
    const pending = c.exec({ script: `touch ${started}; sleep 30` });
    await waitForFile(started);
    const t0 = Date.now();
    proxy.freeze();
    assert.equal((await failure(pending)).reason, 'dropped');
    assert.ok(Date.now() - t0 < 3_000, `took ${Date.now() - t0} ms`);
    await c.close();
    await proxy.close();
  });
});
