/**
 * Table tests of `slurp`: the file's stat and bytes in, a read-only no-op with the content
 * in `data` out; too large, missing and not-a-file fail; content an earlier step would
 * change is "known after apply" under --check; `secret` masks the content everywhere.
 *
 *   node --import tsx --test test/modules/slurp.test.ts
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { planSlurp, slurpArgs, slurpData } from '../../src/modules/slurp.ts';
import { redact } from '../../src/commands/secret.ts';
import type { HashedStat as FileStat } from '../../src/facts/file.ts';
import type { FileBytes } from '../../src/facts/file-bytes.ts';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const stOf = (b: Buffer): FileStat => ({ type: 'file', mode: '0600', owner: 'root', group: 'root', size: b.length, sha256: sha(b) });
const ok = (b: Buffer): FileBytes => ({ kind: 'ok', base64: b.toString('base64') });
const args = (raw: Record<string, unknown> = {}) => slurpArgs.parse({ path: '/etc/token', ...raw });

describe('slurp', () => {
  it('reads text: a no-op whose data has base64, text, size and sha256', () => {
    const b = Buffer.from('K10abc::server:xyz\n');
    const p = planSlurp(args(), { st: stOf(b), content: ok(b) });
    assert.deepEqual([p.changes, p.noop], [[], `read ${b.length} bytes of /etc/token`]);
    assert.deepEqual(slurpData(args(), ok(b)), { path: '/etc/token', content: b.toString('base64'), text: 'K10abc::server:xyz\n', size: b.length, sha256: sha(b) });
  });

  it('binary content keeps its bytes; text is null when it is not UTF-8', () => {
    const b = Buffer.from([0, 0xff, 0xfe, 0x80]);
    const d = slurpData(args(), ok(b));
    assert.equal(d.text, null);
    assert.deepEqual(Buffer.from(d.content, 'base64'), b);
  });

  it('fails on a missing file, a directory, and a file over maxBytes', () => {
    assert.match(planSlurp(args(), { st: null, content: { kind: 'absent' } }).error ?? '', /\/etc\/token does not exist/);
    assert.match(planSlurp(args(), { st: { type: 'directory', mode: '0755', owner: 'root', group: 'root', size: 0 }, content: { kind: 'not-a-file' } }).error ?? '', /is a directory, not a file/);
    assert.match(planSlurp(args({ maxBytes: 10 }), { st: stOf(Buffer.alloc(20)), content: { kind: 'too-large', size: 20 } }).error ?? '', /20 bytes, more than maxBytes \(10\)/);
  });

  it('under --check, content an earlier step would write is known after apply', () => {
    const now = Buffer.from('old\n');
    const later = Buffer.from('new\n');
    const p = planSlurp(args(), { st: stOf(later), content: ok(now) });
    assert.match(p.changes[0]?.unpredictable ?? '', /known after apply/);
    assert.deepEqual(p.changes[0]?.actions, []);
    assert.match(planSlurp(args(), { st: stOf(later), content: { kind: 'absent' } }).changes[0]?.unpredictable ?? '', /known after apply/);
  });

  it('secret: the content is masked wherever Capstan prints', () => {
    const token = `canary-token-${Date.now()}`;
    slurpData(args({ secret: true }), ok(Buffer.from(token)));
    assert.equal(redact(`the token is ${token}`), 'the token is ***');
  });

  it('refuses a maxBytes beyond 64 MiB and unknown keys', () => {
    assert.equal(slurpArgs.safeParse({ path: '/a', maxBytes: 65 * 1024 * 1024 }).error?.issues[0]?.path[0], 'maxBytes');
    assert.equal(slurpArgs.safeParse({ path: '/a', src: '/b' }).success, false);
  });
});
