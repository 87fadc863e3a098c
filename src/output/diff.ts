/**
 * Unified diffs of file changes, with secrets kept out.
 *
 *   renderDiff({ path: '/etc/motd', before: 'old\n', after: 'new\n' })
 *   // --- /etc/motd (before)\n+++ /etc/motd (after)\n@@ -1 +1 @@\n-old\n+new
 *   renderDiff(secretDiff('/etc/rancher/k3s/config.yaml', digestOf(old), digestOf(text)))
 *   // content changed (secret): 120 → 131 bytes, sha256 1f2e… → 9a0b…
 */
import { createTwoFilesPatch } from 'diff';
import type { FileDiff } from '../define/plan.ts';
import { redact } from '../commands/secret.ts';

export function renderDiff(d: FileDiff): string {
  const before = d.before ?? '';
  const after = d.after ?? '';
  if (d.secret) {
    if (d.before === d.after) return '';
    const size = (n: number | null | undefined) => (n === null ? 'absent' : n === undefined ? 'size unknown' : `${n} bytes`);
    return `content changed (secret): ${size(d.sizes?.before)} → ${size(d.sizes?.after)}, sha256 ${short(d.before)} → ${short(d.after)}`;
  }
  if (before === after) return '';
  const patch = createTwoFilesPatch(`${d.path} (${d.before == null ? 'absent' : 'before'})`, `${d.path} (${d.after == null ? 'absent' : 'after'})`, before, after, '', '', { context: 3 });
  return redact(patch.split('\n').slice(1).join('\n').trimEnd());
}

/** The first 12 hex digits of a secret diff's digest (the engine puts digests, never text, in a secret diff). */
function short(digest: string | null | undefined): string {
  return digest == null ? '-' : `${digest.slice(0, 12)}…`;
}
