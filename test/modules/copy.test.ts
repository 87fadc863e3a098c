import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { planCopy, copyArgs } from '../../src/modules/copy.ts';
import { Secret } from '../../src/commands/secret.ts';
import type { HashedStat as FileStat } from '../../src/facts/file.ts';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const args = (o: Record<string, unknown>) => copyArgs.parse({ dest: '/etc/motd', ...o });
const stat = (content: string, o: Partial<FileStat> = {}): FileStat => ({ type: 'file', mode: '0644', owner: 'root', group: 'root', size: content.length, sha256: sha(content), ...o });

describe('copy: facts in, plan out', () => {
  it('creates a missing file atomically, with a diff from nothing', () => {
    const p = planCopy(args({ content: 'hello\n' }), null);
    assert.equal(p.changes[0]?.summary, 'create /etc/motd (6 bytes)');
    const action = p.changes[0]?.actions[0];
    assert.equal(action?.kind, 'put');
    assert.deepEqual(p.changes[0]?.diff, { path: '/etc/motd', before: null, after: 'hello\n' });
  });

  it('is a no-op, with its reason, when the content, mode and owner match', () => {
    assert.deepEqual(planCopy(args({ content: 'hello\n' }), stat('hello\n')), { changes: [], noop: '/etc/motd has the wanted content, mode and owner' });
  });

  it('fixes mode or owner without rewriting equal content', () => {
    const p = planCopy(args({ content: 'hello\n', mode: '0600', owner: 'app' }), stat('hello\n'));
    assert.deepEqual(p.changes.map((c) => c.summary), ['mode 0644 -> 0600', 'owner root:root -> app']);
    assert.ok(p.changes.every((c) => c.actions.every((a) => a.kind === 'exec')));
  });

  it('rewrites changed content; the diff reads the old text from the host only when --diff asks', () => {
    const p = planCopy(args({ content: 'new\n' }), stat('old\n'));
    assert.equal(p.changes[0]?.summary, 'update /etc/motd (4 -> 4 bytes)');
    assert.equal(p.changes[0]?.diff?.before, undefined);
  });

  it('a Secret never appears in the plan: the diff carries a hash and is marked secret', () => {
    const p = planCopy(args({ content: new Secret('hunter2-canary-token'), mode: '0600' }), null);
    const text = JSON.stringify(p);
    assert.doesNotMatch(text, /hunter2-canary-token/);
    assert.equal(p.changes[0]?.diff?.secret, true);
  });

  it('refuses a destination that is not a file, and a number as mode', () => {
    assert.match(planCopy(args({ content: 'x' }), stat('', { type: 'directory' })).error ?? '', /is a directory/);
    assert.equal(copyArgs.safeParse({ dest: '/etc/motd', content: 'x', mode: 644 }).success, false);
    assert.equal(copyArgs.safeParse({ dest: 'relative/path', content: 'x' }).success, false);
    assert.equal(copyArgs.safeParse({ dest: '/etc/motd' }).success, false, 'content or src is required');
  });
});
