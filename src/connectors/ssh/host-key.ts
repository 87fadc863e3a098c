/**
 * Host-key verification that fails closed. The key the server presents during key exchange
 * (before any credential is sent) is checked against known_hosts and the policy:
 *
 *   strict      known key only; an unknown key is refused with its fingerprint and the
 *               exact way to trust it
 *   accept-new  an unknown key is trusted and appended to known_hosts
 *   pinned      the key's SHA256 fingerprint must equal options.hostKeyFingerprint
 *
 * A changed key (the host is listed with another key of the same type) and a revoked key
 * are refused under every policy.
 *
 *   const v = await verifyHostKey({ host: '10.0.0.5', port: 22, policy: 'strict', knownHostsPath }, blob);
 *   if (!v.ok) throw new ConnectionError('web1', v.message, 'host-key');
 */
import { createHash } from 'node:crypto';
import { appendKnownHost, entryMatches, keyTypeOf, knownHostName, readKnownHosts, type KnownHostEntry } from './known-hosts.ts';
import { quote } from '../../commands/quote.ts';

export interface HostKeyCheck {
  /** Name the key is recorded under (HostName or HostKeyAlias), and the port. */
  host: string;
  port: number;
  policy: 'strict' | 'accept-new' | 'pinned';
  knownHostsPath: string;
  fingerprint?: string | undefined;
}

export type HostKeyVerdict = { ok: true; how: 'known' | 'appended' | 'pinned' } | { ok: false; message: string };

/** OpenSSH's fingerprint format: `SHA256:` and unpadded base64 of the key blob's digest. */
export function fingerprintOf(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/** Key families that count as "the same type" when deciding whether a key changed. */
function family(keyType: string): string {
  if (keyType.startsWith('ecdsa-sha2-')) return 'ecdsa';
  if (keyType.startsWith('ssh-rsa') || keyType.startsWith('rsa-sha2-')) return 'ssh-rsa';
  return keyType;
}

/** Host-key algorithms to offer first: those of keys already known for the host. */
export function preferredAlgorithms(entries: KnownHostEntry[], host: string, port: number): string[] {
  const name = knownHostName(host, port);
  const out: string[] = [];
  for (const e of entries) {
    if (e.marker || !entryMatches(e, name)) continue;
    const algs = family(e.keyType) === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [e.keyType];
    for (const a of algs) if (!out.includes(a)) out.push(a);
  }
  return out;
}

export async function verifyHostKey(check: HostKeyCheck, key: Buffer): Promise<HostKeyVerdict> {
  const name = knownHostName(check.host, check.port);
  const type = keyTypeOf(key);
  const fp = fingerprintOf(key);
  const entries = (await readKnownHosts(check.knownHostsPath)).filter((e) => entryMatches(e, name));
  if (entries.some((e) => e.marker === 'revoked' && e.key.equals(key))) {
    return { ok: false, message: `host key ${fp} of ${name} is marked @revoked in ${check.knownHostsPath}; refusing to connect` };
  }
  const listed = entries.filter((e) => !e.marker);
  if (listed.some((e) => e.key.equals(key))) {
    if (check.policy === 'pinned' && fp !== check.fingerprint) return { ok: false, message: pinMismatch(name, fp, check) };
    return { ok: true, how: 'known' };
  }
  const sameType = listed.filter((e) => family(e.keyType) === family(type));
  if (sameType.length > 0) return { ok: false, message: changedMessage(name, type, fp, sameType, check) };
  if (check.policy === 'pinned') {
    return fp === check.fingerprint ? { ok: true, how: 'pinned' } : { ok: false, message: pinMismatch(name, fp, check) };
  }
  if (check.policy === 'accept-new') {
    await appendKnownHost(check.knownHostsPath, name, key);
    return { ok: true, how: 'appended' };
  }
  return { ok: false, message: unknownMessage(check, type, fp) };
}

function unknownMessage(check: HostKeyCheck, type: string, fp: string): string {
  const portArg = check.port === 22 ? '' : `-p ${check.port} `;
  const t = type.replace(/^ssh-/, '').replace(/^ecdsa-sha2-.*/, 'ecdsa');
  return [
    `host key of ${knownHostName(check.host, check.port)} is not known (${type} key fingerprint ${fp}); refusing to connect.`,
    `  → check that fingerprint with the host's owner (on the host: ssh-keygen -lf /etc/ssh/ssh_host_${t}_key.pub), then trust it with:`,
    `      ssh-keyscan ${portArg}-t ${t} ${quote(check.host)} >> ${quote(check.knownHostsPath)}`,
    `    or run with --host-key-policy accept-new to trust keys of new hosts on first use.`,
  ].join('\n');
}

function changedMessage(name: string, type: string, fp: string, known: KnownHostEntry[], check: HostKeyCheck): string {
  const lines = known.map((e) => `${check.knownHostsPath}:${e.line} (${fingerprintOf(e.key)})`).join(', ');
  return [
    `WARNING: THE HOST KEY OF ${name} HAS CHANGED. Someone may be intercepting the connection, or the host was reinstalled.`,
    `  the host now presents ${type} ${fp}, but known_hosts lists ${lines}.`,
    '  Refused under every host-key policy; no credentials were sent.',
    `  → if the change is expected, remove the old key with: ssh-keygen -R ${quote(name)} -f ${quote(check.knownHostsPath)}`,
  ].join('\n');
}

function pinMismatch(name: string, fp: string, check: HostKeyCheck): string {
  return `host key of ${name} is ${fp}, not the pinned ${check.fingerprint ?? '(none)'}; refusing to connect`;
}
