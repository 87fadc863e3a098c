/**
 * known_hosts parsing and matching as OpenSSH does it, and appends that stay well-formed
 * under heavy concurrency.
 *
 *   node --import tsx --test test/connectors/known-hosts.test.ts
 */
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { appendKnownHost, entryMatches, keyTypeOf, knownHostName, parseKnownHosts } from '../../src/connectors/ssh/known-hosts.ts';
import { fingerprintOf, verifyHostKey } from '../../src/connectors/ssh/host-key.ts';

/** A fake ed25519 public key blob (type string + 32 bytes). */
function blob(seed = randomBytes(32)): Buffer {
  const type = Buffer.from('ssh-ed25519');
  const len = (n: number) => Buffer.from([0, 0, 0, n]);
  return Buffer.concat([len(type.length), type, len(32), seed]);
}

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'capstan-kh-'));
  dirs.push(d);
  return d;
}
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function hashed(name: string): string {
  const salt = randomBytes(20);
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
}

describe('known_hosts', () => {
  const k1 = blob();
  const b64 = k1.toString('base64');

  it('names non-22 ports as [host]:port', () => {
    assert.equal(knownHostName('Web1.Example', 22), 'web1.example');
    assert.equal(knownHostName('10.0.0.5', 2222), '[10.0.0.5]:2222');
  });

  it('parses plain, hashed, marked and commented lines, skipping malformed ones', () => {
    const text = [
      '# comment',
      '',
      `web1,10.0.0.5 ssh-ed25519 ${b64} a comment`,
      `${hashed('[db]:2222')} ssh-ed25519 ${b64}`,
      `@revoked * ssh-ed25519 ${b64}`,
      `@cert-authority *.example ssh-ed25519 ${b64}`,
      'garbage-line-without-key',
      `@unknown-marker host ssh-ed25519 ${b64}`,
    ].join('\n');
    const entries = parseKnownHosts(text);
    assert.equal(entries.length, 4);
    assert.equal(entries[0]?.line, 3);
    assert.equal(entries[2]?.marker, 'revoked');
    assert.equal(entries[3]?.marker, 'cert-authority');
    assert.ok(entryMatches(entries[0]!, 'web1'));
    assert.ok(entryMatches(entries[0]!, '10.0.0.5'));
    assert.ok(entryMatches(entries[1]!, '[db]:2222'));
    assert.ok(!entryMatches(entries[1]!, 'db'));
  });

  it('matches wildcard and negated patterns', () => {
    const [e] = parseKnownHosts(`*.example.com,!bad.example.com,10.0.0.? ssh-ed25519 ${b64}`);
    assert.ok(entryMatches(e!, 'a.example.com'));
    assert.ok(!entryMatches(e!, 'bad.example.com'));
    assert.ok(entryMatches(e!, '10.0.0.7'));
    assert.ok(!entryMatches(e!, '10.0.0.17'));
  });

  it('reads the key type from the key blob and formats fingerprints like OpenSSH', () => {
    assert.equal(keyTypeOf(k1), 'ssh-ed25519');
    assert.match(fingerprintOf(k1), /^SHA256:[A-Za-z0-9+/]{43}$/);
  });

  it('treats a second key type for a known host as new, and another key of the same type as changed', async () => {
    const dir = tempDir();
    const path = join(dir, 'known_hosts');
    writeFileSync(path, `[h]:2200 ssh-ed25519 ${b64}\n`);
    const check = { host: 'h', port: 2200, knownHostsPath: path } as const;
    assert.deepEqual(await verifyHostKey({ ...check, policy: 'strict' }, k1), { ok: true, how: 'known' });
    const changed = await verifyHostKey({ ...check, policy: 'accept-new' }, blob());
    assert.ok(!changed.ok && /HAS CHANGED/.test(changed.message) && changed.message.includes(`${path}:1`));
    const ecdsaType = Buffer.from('ecdsa-sha2-nistp256');
    const ecdsa = Buffer.concat([Buffer.from([0, 0, 0, ecdsaType.length]), ecdsaType, randomBytes(40)]);
    const unknown = await verifyHostKey({ ...check, policy: 'strict' }, ecdsa);
    assert.ok(!unknown.ok && /not known/.test(unknown.message));
  });

  it('survives 200 concurrent appends: every line whole, no duplicates', async () => {
    const dir = tempDir();
    const path = join(dir, 'sub', 'known_hosts');
    const keys = Array.from({ length: 100 }, () => blob());
    await Promise.all([...keys, ...keys].map((k, i) => appendKnownHost(path, knownHostName(`host${i % 100}`, 22), k)));
    const lines = readFileSync(path, 'utf8').split('\n');
    assert.equal(lines.pop(), '');
    assert.equal(lines.length, 100);
    const entries = parseKnownHosts(lines.join('\n'));
    assert.equal(entries.length, 100);
    for (const [i, k] of keys.entries()) assert.ok(entries.some((e) => e.hosts === `host${i}` && e.key.equals(k)));
  });

  it('adds a newline before appending to a file that lacks one', async () => {
    const dir = tempDir();
    const path = join(dir, 'known_hosts');
    writeFileSync(path, `old ssh-ed25519 ${b64}`);
    await appendKnownHost(path, 'new', blob());
    assert.equal(parseKnownHosts(readFileSync(path, 'utf8')).length, 2);
  });
});
