/**
 * Unified diffs of file changes, with secrets kept out.
 *
 *   renderDiff({ path: '/etc/motd', before: 'old\n', after: 'new\n' })
 *   // --- /etc/motd (before)\n+++ /etc/motd (after)\n@@ -1 +1 @@\n-old\n+new
 *   renderDiff({ path: '/etc/rancher/k3s/config.yaml', before, after, secret: true })
 *   // content changed (secret): 120 → 131 bytes, sha256 1f2e… → 9a0b…
 */
import { createHash } from 'node:crypto';
import { createTwoFilesPatch } from 'diff';
import type { FileDiff } from '../define/plan.ts';
import { redact } from '../commands/secret.ts';

export function renderDiff(d: FileDiff): string {
  const before = d.before ?? '';
  const after = d.after ?? '';
  if (d.secret) {
    if (d.before === d.after) return '';
    const size = (s: string | null | undefined) => (s == null ? 'absent' : `${Buffer.byteLength(s)} bytes`);
    return `content changed (secret): ${size(d.before)} → ${size(d.after)}, sha256 ${hash(d.before)} → ${hash(d.after)}`;
  }
  if (before === after) return '';
  const patch = createTwoFilesPatch(`${d.path} (${d.before == null ? 'absent' : 'before'})`, `${d.path} (${d.after == null ? 'absent' : 'after'})`, before, after, '', '', { context: 3 });
  return redact(patch.split('\n').slice(1).join('\n').trimEnd());
}

function hash(s: string | null | undefined): string {
  return s == null ? '-' : `${createHash('sha256').update(s).digest('hex').slice(0, 12)}…`;
}
