/**
 * K3s join tokens: the secure form `K10<sha256 of the cluster CA bundle>::<user>:<password>`
 * and the short form (the password alone). The CA hash lets a joining node verify the
 * cluster's CA before it trusts it.
 *
 *   parseK3sToken('K10' + 'ab'.repeat(32) + '::server:s3cr3t')  // { format: 'full', caHash: 'abab…', username: 'server', password: 's3cr3t' }
 *   parseK3sToken('s3cr3t')                                     // { format: 'short', password: 's3cr3t' }
 *   caHashCheck(cacertsPem, token)                              // { ok: true } | { ok: false, reason } | { skipped: reason }
 */
import { createHash } from 'node:crypto';

export type K3sToken =
  | { format: 'full'; caHash: string; username: string; password: string }
  | { format: 'short'; password: string };

const FULL = /^K10([0-9a-f]{64})::([^:]+):(.+)$/s;

export function parseK3sToken(text: string): K3sToken {
  const t = text.trim();
  if (t === '') throw new Error('the K3s token is empty');
  if (t.startsWith('K10')) {
    const m = FULL.exec(t);
    if (!m || !m[1] || !m[2] || !m[3]) throw new Error('the K3s token starts with K10 but is not of the form K10<64 hex digits>::<user>:<password>');
    return { format: 'full', caHash: m[1], username: m[2], password: m[3] };
  }
  return { format: 'short', password: t };
}

/** The password part, which is what two tokens must share to be the same cluster secret. */
export function tokenPassword(text: string): string {
  return parseK3sToken(text).password;
}

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export type CaHashResult = { ok: true } | { ok: false; reason: string } | { skipped: string };

/** Compares the SHA-256 of the CA bundle served at /cacerts with the hash inside a full token. */
export function caHashCheck(cacertsPem: string | Buffer, tokenText: string): CaHashResult {
  const token = parseK3sToken(tokenText);
  if (token.format === 'short') return { skipped: 'a short token carries no CA hash: the cluster CA is not verified' };
  const actual = sha256Hex(cacertsPem);
  if (actual === token.caHash) return { ok: true };
  return { ok: false, reason: `token CA hash does not match the cluster CA certificate hash (token ${token.caHash.slice(0, 12)}…, server CA ${actual.slice(0, 12)}…): this token belongs to another cluster` };
}
