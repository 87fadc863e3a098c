/**
 * The diffs of a plan's changes, for --diff: each side as text, or for a file written from a
 * Secret as SHA-256 digest and size only. The content of such a file never travels to the
 * controller for a diff, so the previous secret (an earlier token) cannot be printed.
 *
 *   const diffs = await collectDiffs(session, plan.changes, become);
 *   // [{ path: '/etc/motd', before: 'old\n', after: 'new\n' },
 *   //  { path: '/etc/rancher/k3s/config.yaml', before: '1f2e…', after: '9a0b…', secret: true, sizes: { before: 120, after: 131 } }]
 */
import { digestOf, type Change, type FileDiff, type FileDigest } from '../define/plan.ts';
import type { Become } from '../connectors/connector.ts';
import { learnSecrets } from '../commands/secret.ts';
import { quote } from '../commands/quote.ts';
import type { HostSession } from './session.ts';

const SHA256 = /^[0-9a-f]{64}$/;

export async function collectDiffs(session: HostSession, list: readonly Change[], become?: Become): Promise<FileDiff[]> {
  const out: FileDiff[] = [];
  for (const c of list) {
    if (!c.diff) continue;
    out.push(c.diff.secret ? await secretSides(session, c.diff, become) : await textSides(session, c.diff, become));
  }
  return out;
}

async function textSides(session: HostSession, d: FileDiff, become?: Become): Promise<FileDiff> {
  if (d.before !== undefined) return d;
  const r = await session.exec({ script: `cat -- ${quote(d.path)} 2>/dev/null`, become });
  const before = r.exitCode === 0 ? r.stdout : null;
  if (before) learnSecrets(before);
  return { ...d, before };
}

/** Digests and sizes on both sides; a side given as text (not a digest) is digested here. */
async function secretSides(session: HostSession, d: FileDiff, become?: Become): Promise<FileDiff> {
  const side = (text: string | null, size: number | null | undefined): FileDigest =>
    text === null ? null : SHA256.test(text) && size != null ? { sha256: text, size } : digestOf(text);
  const before = d.before === undefined ? await remoteDigest(session, d.path, become) : side(d.before, d.sizes?.before);
  const after = side(d.after, d.sizes?.after);
  return { path: d.path, before: before?.sha256 ?? null, after: after?.sha256 ?? null, secret: true, sizes: { before: before?.size ?? null, after: after?.size ?? null } };
}

async function remoteDigest(session: HostSession, path: string, become?: Become): Promise<FileDigest> {
  const r = await session.exec({ script: `f=${quote(path)}; [ -f "$f" ] || exit 3; wc -c < "$f" && sha256sum < "$f"`, become });
  const [size, hash] = r.stdout.trim().split('\n');
  const sha256 = hash?.split(' ')[0] ?? '';
  return r.exitCode === 0 && SHA256.test(sha256) ? { sha256, size: Number(size) } : null;
}
