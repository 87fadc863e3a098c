/**
 * SSH key pairs for throwaway nodes: ed25519, written in OpenSSH's own formats so that both
 * the system `ssh` client and Capstan's connector read them.
 *
 *   const pair = generateSshKeyPair('capstan-lab');
 *   await writeKeyPair(dir, pair);   // dir/id_ed25519 (0600), dir/id_ed25519.pub
 *   pair.publicKey;                  // 'ssh-ed25519 AAAAC3Nza... capstan-lab'
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface SshKeyPair {
  /** `-----BEGIN OPENSSH PRIVATE KEY-----` text, unencrypted. */
  privateKey: string;
  /** One authorized_keys line: `ssh-ed25519 <base64> <comment>`. */
  publicKey: string;
}

const KEY_TYPE = 'ssh-ed25519';

function sshString(data: string | Buffer): Buffer {
  const bytes = Buffer.from(data);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

function uint32(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(value);
  return b;
}

function publicBlob(pub: Buffer): Buffer {
  return Buffer.concat([sshString(KEY_TYPE), sshString(pub)]);
}

function privateSection(seed: Buffer, pub: Buffer, comment: string): Buffer {
  const check = randomBytes(4).readUInt32BE();
  const body = Buffer.concat([
    uint32(check),
    uint32(check),
    sshString(KEY_TYPE),
    sshString(pub),
    sshString(Buffer.concat([seed, pub])),
    sshString(comment),
  ]);
  const pad = (8 - (body.length % 8)) % 8;
  return Buffer.concat([body, Buffer.from(Array.from({ length: pad }, (_, i) => i + 1))]);
}

function pem(data: Buffer): string {
  const lines = data.toString('base64').match(/.{1,70}/g) ?? [];
  return `-----BEGIN OPENSSH PRIVATE KEY-----\n${lines.join('\n')}\n-----END OPENSSH PRIVATE KEY-----\n`;
}

/** Generates a fresh ed25519 key pair in OpenSSH formats. */
export function generateSshKeyPair(comment = 'capstan'): SshKeyPair {
  const { privateKey } = generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' });
  const seed = Buffer.from(jwk.d ?? '', 'base64url');
  const pub = Buffer.from(jwk.x ?? '', 'base64url');
  const blob = Buffer.concat([
    Buffer.from('openssh-key-v1\0', 'latin1'),
    sshString('none'),
    sshString('none'),
    sshString(''),
    uint32(1),
    sshString(publicBlob(pub)),
    sshString(privateSection(seed, pub, comment)),
  ]);
  return { privateKey: pem(blob), publicKey: `${KEY_TYPE} ${publicBlob(pub).toString('base64')} ${comment}` };
}

/** Writes `id_ed25519` (0600) and `id_ed25519.pub` into an existing private directory; returns the private key path. */
export async function writeKeyPair(dir: string, pair: SshKeyPair): Promise<string> {
  const keyPath = join(dir, 'id_ed25519');
  await writeFile(keyPath, pair.privateKey, { mode: 0o600, flag: 'wx' });
  await writeFile(`${keyPath}.pub`, `${pair.publicKey}\n`, { mode: 0o644, flag: 'wx' });
  return keyPath;
}
