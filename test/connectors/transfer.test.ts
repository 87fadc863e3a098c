/**
 * Atomic file transfer over any connector: temp file in the destination directory, mode
 * 0600 while written, checksum verified, validate before rename, backup, owner and mode;
 * failures leave the old file and no temp file. Large files stream with bounded memory,
 * and more concurrent streams than channels queue instead of failing.
 *
 *   node --import tsx --test test/connectors/transfer.test.ts
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync, createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { Secret } from '../../src/commands/secret.ts';
import { CommandError, ConnectionError } from '../../src/errors.ts';
import type { Connector } from '../../src/connectors/connector.ts';
import { LocalConnector } from '../../src/connectors/local.ts';
import { SshConnector } from '../../src/connectors/ssh.ts';
import { fetchFile, putFile, STREAM_THRESHOLD } from '../../src/connectors/transfer.ts';
import { HOSTILE, HOSTILE_FILE_NAMES, PWNED } from './support/hostile.ts';
import { startProxy } from './support/proxy.ts';
import { requires } from '../support/tools.ts';
import { waitFor } from '../support/wait.ts';
import { SSHD_NEEDS, startSshd, type SshdFixture } from './support/sshd.ts';

let sshd: SshdFixture;
let ssh: SshConnector;
let n = 0;

function freshDir(): string {
  const d = join(sshd.dir, `files-${++n}`);
  mkdirSync(d);
  return d;
}

function sha(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

const leftovers = (dir: string) => readdirSync(dir).filter((f) => f.startsWith('.capstan-'));

/** The temp files still in `dir` once they are gone, or after the bound (then the assertion shows them). */
async function waitNoLeftovers(dir: string): Promise<string[]> {
  await waitFor(`no temp file left in ${dir}`, () => leftovers(dir).length === 0).catch(() => undefined);
  return leftovers(dir);
}

describe('putFile / fetchFile', { skip: requires(...SSHD_NEEDS) }, () => {
  before(async () => {
    sshd = await startSshd();
    ssh = new SshConnector(sshd.host());
    await ssh.connect();
  });
  after(async () => {
    await ssh.close();
    await sshd.stop();
  });

  for (const [name, make] of [
    ['ssh', () => ssh],
    ['local', () => new LocalConnector({ name: 'local' })],
  ] as const) {
    it(`${name}: writes small content in one round trip, with mode and checksum`, async () => {
      const c: Connector = make();
      const dir = freshDir();
      const before = c.stats.roundTrips;
      const r = await putFile(c, { dest: join(dir, 'app.conf'), content: 'key = value\n', mode: '0640' });
      assert.equal(c.stats.roundTrips - before, 1);
      assert.equal(r.sha256, sha('key = value\n'));
      assert.equal(readFileSync(join(dir, 'app.conf'), 'utf8'), 'key = value\n');
      assert.equal(statSync(join(dir, 'app.conf')).mode & 0o777, 0o640);
      assert.deepEqual(leftovers(dir), []);
    });

    it(`${name}: a failing validate command leaves the old file and no temp file, and reports its output`, async () => {
      const c: Connector = make();
      const dir = freshDir();
      const dest = join(dir, 'haproxy.cfg');
      writeFileSync(dest, 'old config\n');
      const err = await putFile(c, { dest, content: 'broken config\n', validate: 'grep -q good %s || { echo "line 1: parse error" >&2; exit 3; }' }).catch((e: unknown) => e);
      assert.ok(err instanceof CommandError);
      assert.match(err.message, /validate command failed \(exit 3\)/);
      assert.match(err.stderr, /line 1: parse error/);
      assert.equal(readFileSync(dest, 'utf8'), 'old config\n');
      assert.deepEqual(leftovers(dir), []);
    });
  }

  it('writes the temp file 0600 before the final mode, so a secret is never readable by others', async () => {
    const dir = freshDir();
    const secret = new Secret('canary-9c2e-file-secret', 'test');
    await putFile(ssh, { dest: join(dir, 'token'), content: secret, mode: '0600', validate: 'test "$(stat -c %a %s)" = 600' });
    assert.equal(readFileSync(join(dir, 'token'), 'utf8'), 'canary-9c2e-file-secret');
    await putFile(ssh, { dest: join(dir, 'public'), content: 'x', mode: '0644', validate: 'test "$(stat -c %a %s)" = 600' });
    assert.equal(statSync(join(dir, 'public')).mode & 0o777, 0o644);
  });

  it('keeps a backup of the old file, sets owner and group', async () => {
    const dir = freshDir();
    const dest = join(dir, 'motd');
    writeFileSync(dest, 'before\n');
    const r = await putFile(ssh, { dest, content: 'after\n', backup: true, owner: 'nobody', group: 'nogroup' });
    assert.ok(r.backupPath?.startsWith(`${dest}.`));
    assert.equal(readFileSync(r.backupPath ?? '', 'utf8'), 'before\n');
    assert.equal(readFileSync(dest, 'utf8'), 'after\n');
    assert.equal(statSync(dest).uid, 65534);
    const none = await putFile(ssh, { dest: join(dir, 'new'), content: 'x', backup: true });
    assert.equal(none.backupPath, undefined);
  });

  it('refuses to replace a directory and leaves nothing behind', async () => {
    const dir = freshDir();
    mkdirSync(join(dir, 'sub'));
    await assert.rejects(putFile(ssh, { dest: join(dir, 'sub'), content: 'x' }), /is a directory/);
    assert.deepEqual(leftovers(dir), []);
  });

  it('rejects bad modes, owners, destinations and validate commands before running anything', async () => {
    const before = ssh.stats.roundTrips;
    await assert.rejects(putFile(ssh, { dest: '/tmp/x', content: '', mode: '644; rm' }), /mode/);
    await assert.rejects(putFile(ssh, { dest: '/tmp/x', content: '', owner: '-R' }), /owner/);
    await assert.rejects(putFile(ssh, { dest: 'relative/x', content: '' }), /absolute/);
    await assert.rejects(putFile(ssh, { dest: '/tmp/x', content: '', validate: 'true' }), /%s/);
    assert.equal(ssh.stats.roundTrips, before);
  });

  it('writes every hostile string as file content, byte for byte', async () => {
    const dir = freshDir();
    await Promise.all(HOSTILE.map((s, i) => putFile(ssh, { dest: join(dir, `f${i}`), content: s })));
    HOSTILE.forEach((s, i) => assert.equal(readFileSync(join(dir, `f${i}`), 'utf8'), s));
    assert.equal(existsSync(PWNED), false);
  });

  it('writes to every hostile file name, exactly that name', async () => {
    const dir = freshDir();
    for (const name of HOSTILE_FILE_NAMES) await putFile(ssh, { dest: join(dir, name), content: name });
    assert.deepEqual(readdirSync(dir).sort(), [...HOSTILE_FILE_NAMES].sort());
    for (const name of HOSTILE_FILE_NAMES) assert.equal(readFileSync(join(dir, name), 'utf8'), name);
    const nested = join(freshDir(), 'a', 'b');
    mkdirSync(join(nested, '..', '..', 'etc'), { recursive: true });
    mkdirSync(nested, { recursive: true });
    await putFile(ssh, { dest: `${nested}/../../etc/passwd`, content: 'fake' });
    assert.equal(readFileSync(join(nested, '..', '..', 'etc', 'passwd'), 'utf8'), 'fake');
    assert.equal(existsSync(PWNED), false);
  });

  it('rejects with the stream error when the local source fails mid-upload', async () => {
    let sent = 0;
    const failing = new Readable({
      read() {
        if (++sent > 3) this.destroy(new Error('disk read error'));
        else this.push(randomBytes(64 * 1024));
      },
    });
    await assert.rejects(ssh.exec({ script: 'cat > /dev/null', stdin: failing }), /disk read error/);
    assert.equal((await ssh.exec({ script: 'echo fine' })).stdout, 'fine\n');
  });

  it('leaves the old file and no temp file when the connection drops mid-upload', async () => {
    const dir = freshDir();
    const dest = join(dir, 'data.bin');
    writeFileSync(dest, 'old');
    const src = join(sshd.dir, 'src-interrupted');
    writeFileSync(src, randomBytes(64 * 1024 * 1024));
    const proxy = await startProxy(sshd.port);
    const kh = join(sshd.dir, 'kh-cut');
    writeFileSync(kh, `[127.0.0.1]:${proxy.port} ${sshd.hostKeyPub.ed25519}\n`);
    const c = new SshConnector(sshd.host({ port: proxy.port }, { knownHostsPath: kh }));
    try {
      const put = putFile(c, { dest, content: { localPath: src } });
      put.catch(() => undefined); // asserted below; a failure before then must not go unhandled
      await waitFor('the upload to be under way (its temp file)', () => leftovers(dir).length > 0);
      assert.equal(leftovers(dir).length, 1, 'one temp file');
      proxy.cut();
      await assert.rejects(put, (e: unknown) => e instanceof ConnectionError && e.reason === 'dropped');
      assert.equal(readFileSync(dest, 'utf8'), 'old');
      assert.deepEqual(await waitNoLeftovers(dir), []);
    } finally {
      await c.close();
      await proxy.close();
    }
  });

  it('fetches a file atomically, and leaves the local file alone when the remote one is missing', async () => {
    const dir = freshDir();
    writeFileSync(join(dir, 'remote.txt'), 'remote content\n');
    const local = join(freshDir(), 'deep', 'copy.txt');
    const r = await fetchFile(ssh, join(dir, 'remote.txt'), local);
    assert.equal(readFileSync(local, 'utf8'), 'remote content\n');
    assert.equal(r.sha256, sha('remote content\n'));
    await assert.rejects(fetchFile(ssh, join(dir, 'missing'), local), (e: unknown) => e instanceof CommandError && /No such file/.test(e.stderr));
    assert.equal(readFileSync(local, 'utf8'), 'remote content\n');
  });
});

describe('large and concurrent transfers', { skip: requires(...SSHD_NEEDS) }, () => {
  let small: SshdFixture;
  before(async () => {
    small = await startSshd({ maxSessions: 3 });
  });
  after(async () => {
    await small.stop();
  });

  it('queues more concurrent streamed uploads than channels instead of failing', async () => {
    const c = new SshConnector(small.host({}, { maxSessions: 3 }));
    const dir = join(small.dir, 'many');
    mkdirSync(dir);
    const payload = randomBytes(STREAM_THRESHOLD + 1);
    await c.exec({ script: 'true' });
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => putFile(c, { dest: join(dir, `f${i}`), content: payload })));
    assert.equal(results.length, 12);
    for (let i = 0; i < 12; i++) assert.ok(readFileSync(join(dir, `f${i}`)).equals(payload));
    assert.equal(c.stats.connections, 1);
    await c.close();
  });

  // The timeout only guards against a hang: 400 MB through sshd take 30 s here, minutes on a loaded machine.
  it('streams a 200 MB file up and back with bounded memory', { timeout: 600_000 }, async () => {
    const c = new SshConnector(small.host({}, { maxSessions: 3 }));
    const src = join(small.dir, 'big.bin');
    const chunk = randomBytes(1024 * 1024);
    const out = createWriteStream(src);
    for (let i = 0; i < 200; i++) if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
    await new Promise<void>((r) => out.end(() => r()));
    global.gc?.();
    const base = process.memoryUsage().rss;
    let peak = base;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    const dest = join(small.dir, 'big.copy');
    const up = await putFile(c, { dest, content: { localPath: src } });
    const back = await fetchFile(c, dest, join(small.dir, 'big.back'));
    clearInterval(sampler);
    assert.equal(up.sha256, back.sha256);
    assert.equal(statSync(dest).size, 200 * 1024 * 1024);
    const growthMb = (peak - base) / 1024 / 1024;
    assert.ok(growthMb < 150, `RSS grew by ${growthMb.toFixed(0)} MB`);
    if (process.env.CAPSTAN_TEST_VERBOSE) console.log(`200 MB up and back: RSS grew by ${growthMb.toFixed(0)} MB`);
    await c.close();
  });
});
