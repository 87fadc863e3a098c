/**
 * Ansible Vault's encrypted text, formats 1.1 and 1.2 with the AES256 cipher, read in memory:
 * nothing decrypted is ever written to disk.
 *
 *   const v = parseVault(readFileSync('group_vars/all/vault.yml', 'utf8'));
 *   v.label;                                   // 'prod' for `$ANSIBLE_VAULT;1.2;AES256;prod`
 *   decryptVault(v, 'the password');           // the plaintext, or null when the password does not open it
 *
 * The format: a header line, then hex of three lines (salt, HMAC-SHA256 of the ciphertext,
 * ciphertext), each hex again. PBKDF2-HMAC-SHA256 of the password (10,000 rounds) gives 80
 * bytes: the AES-256-CTR key, the HMAC key and the counter's initial block. The plaintext is
 * padded PKCS#7 to the AES block size.
 */
import { createDecipheriv, createHmac, pbkdf2Sync, timingSafeEqual } from 'node:crypto';

export const VAULT_HEADER = '$ANSIBLE_VAULT';

export interface VaultEnvelope {
  version: '1.1' | '1.2';
  /** The vault id of a 1.2 file (`--vault-id label@source`), undefined for 1.1. */
  label: string | undefined;
  salt: Buffer;
  hmac: Buffer;
  ciphertext: Buffer;
}

/** Why an encrypted text cannot even be read, whatever the password. */
export class VaultFormatError extends Error {}

export function isVaultText(text: string): boolean {
  return text.trimStart().startsWith(VAULT_HEADER);
}

/** Reads the header and the three hex parts; throws VaultFormatError naming what is wrong. */
export function parseVault(text: string): VaultEnvelope {
  const lines = text.trim().split(/\r?\n/).map((l) => l.trim());
  const header = (lines.shift() ?? '').split(';');
  if (header[0] !== VAULT_HEADER) throw new VaultFormatError(`the first line is not a vault header (${VAULT_HEADER};1.1;AES256)`);
  const version = header[1];
  if (version !== '1.1' && version !== '1.2') throw new VaultFormatError(`vault format ${version ?? '(none)'} is not supported (1.1 and 1.2 are)`);
  if (header[2] !== 'AES256') throw new VaultFormatError(`vault cipher ${header[2] ?? '(none)'} is not supported (AES256 is)`);
  const label = version === '1.2' ? header[3] || undefined : undefined;
  const payload = unhex(lines.join(''), 'the encrypted body');
  const parts = payload.toString('latin1').split('\n');
  if (parts.length !== 3) throw new VaultFormatError(`the encrypted body holds ${parts.length} parts, not 3 (salt, HMAC, ciphertext): the file is damaged`);
  const [salt, hmac, ciphertext] = parts.map((p, i) => unhex(p, ['the salt', 'the HMAC', 'the ciphertext'][i] as string));
  if (hmac!.length !== 32) throw new VaultFormatError('the HMAC is not 32 bytes long: the file is damaged');
  if (ciphertext!.length === 0 || ciphertext!.length % 16 !== 0) throw new VaultFormatError('the ciphertext is not a whole number of AES blocks: the file is damaged');
  return { version, label, salt: salt!, hmac: hmac!, ciphertext: ciphertext! };
}

/** The plaintext, or null when the HMAC does not match (a wrong password, or a changed file). */
export function decryptVault(v: VaultEnvelope, password: string | Buffer): Buffer | null {
  const keys = pbkdf2Sync(password, v.salt, 10_000, 80, 'sha256');
  const [aesKey, hmacKey, iv] = [keys.subarray(0, 32), keys.subarray(32, 64), keys.subarray(64, 80)];
  const mac = createHmac('sha256', hmacKey).update(v.ciphertext).digest();
  if (!timingSafeEqual(mac, v.hmac)) return null;
  const decipher = createDecipheriv('aes-256-ctr', aesKey, iv);
  const padded = Buffer.concat([decipher.update(v.ciphertext), decipher.final()]);
  return unpad(padded);
}

function unpad(b: Buffer): Buffer {
  const n = b[b.length - 1] ?? 0;
  if (n < 1 || n > 16 || n > b.length || !b.subarray(b.length - n).every((x) => x === n)) {
    throw new VaultFormatError('the decrypted text has no valid padding: the file is damaged');
  }
  return b.subarray(0, b.length - n);
}

function unhex(s: string, what: string): Buffer {
  if (s.length === 0 || s.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(s)) throw new VaultFormatError(`${what} is not hexadecimal text: the file is damaged`);
  return Buffer.from(s, 'hex');
}
