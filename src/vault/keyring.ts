/**
 * The vault passwords of one run, and opening encrypted text with them, as `ansible-vault`
 * and `ansible-playbook` do: a 1.2 text labelled `prod` is tried with the `prod` password
 * first, then with the others; a 1.1 text with every password in the order given.
 *
 *   const ring = new VaultKeyring([{ label: 'default', source: '.vault-pass', password: Buffer.from('pw') }]);
 *   ring.open(text, { file: 'group_vars/all/vault.yml', line: 1 });   // the plaintext, as a string
 *
 * A text that no password opens is a ConfigError naming the file, the line and the ids that
 * were tried; the error never holds the plaintext or a password.
 */
import { ConfigError } from '../errors.ts';
import { decryptVault, parseVault, VaultFormatError } from './format.ts';

export interface VaultPassword {
  /** The vault id (`--vault-id LABEL@source`); `default` when none was named. */
  label: string;
  /** Where the password came from, for messages: a file path, `prompt`, a script. Never the password. */
  source: string;
  password: Buffer;
}

export interface VaultLocation {
  file: string;
  line?: number;
  col?: number;
  keyPath?: string;
}

export const NO_VAULT_PASSWORD_HINT = 'give the vault password with --vault-password-file FILE, --vault-id LABEL@FILE, or --ask-vault-pass (a terminal prompt)';

export class VaultKeyring {
  readonly #passwords: readonly VaultPassword[];

  constructor(passwords: readonly VaultPassword[] = []) {
    this.#passwords = passwords;
  }

  get size(): number {
    return this.#passwords.length;
  }

  /** The ids of the passwords, in the order they are tried. */
  get labels(): string[] {
    return this.#passwords.map((p) => p.label);
  }

  /** Decrypts `text` (a whole vault file or one `!vault` value) to UTF-8 text. */
  open(text: string, at: VaultLocation): string {
    if (this.#passwords.length === 0) throw new ConfigError('this value is vault-encrypted, and no vault password was given', { ...at, hint: NO_VAULT_PASSWORD_HINT });
    let envelope;
    try {
      envelope = parseVault(text);
    } catch (e) {
      if (e instanceof VaultFormatError) throw new ConfigError(`cannot read the vault-encrypted text: ${e.message}`, { ...at, hint: 'encrypt it again with ansible-vault' });
      throw e;
    }
    const order = envelope.label ? [...this.#passwords.filter((p) => p.label === envelope.label), ...this.#passwords.filter((p) => p.label !== envelope.label)] : this.#passwords;
    for (const p of order) {
      let plain: Buffer | null;
      try {
        plain = decryptVault(envelope, p.password);
      } catch (e) {
        if (e instanceof VaultFormatError) throw new ConfigError(`cannot read the vault-encrypted text: ${e.message}`, { ...at, hint: 'encrypt it again with ansible-vault' });
        throw e;
      }
      if (plain) return plain.toString('utf8');
    }
    const ids = this.#passwords.map((p) => `${p.label} (${p.source})`).join(', ');
    throw new ConfigError(
      `none of the vault passwords given opens this${envelope.label ? ` vault (id ${envelope.label})` : ' vault'}: the password is wrong, or the encrypted text was changed (its HMAC does not match)`,
      { ...at, hint: `tried: ${ids}; check the password file, or restore the file from version control` },
    );
  }
}
