/**
 * The vault flags every command that reads an inventory takes, as `ansible-playbook` has them:
 *
 *   capstan run site.ts -i inventory --vault-password-file ~/.vault-pass
 *   capstan run site.ts -i inventory --vault-id dev@~/.vault-dev --vault-id prod@prompt
 *   capstan validate site.ts -i inventory --ask-vault-pass
 *
 * Without a flag, ANSIBLE_VAULT_PASSWORD_FILE is used when set. Encrypting and editing vault
 * files is `ansible-vault`'s job: Capstan reads what it writes.
 */
import type { Argv } from 'yargs';
import type { VaultKeyring } from '../vault/index.ts';

export interface VaultCliOptions {
  vaultPasswordFile?: string[];
  vaultId?: string[];
  askVaultPass?: boolean;
}

export function vaultOptions<T>(y: Argv<T>) {
  return y
    .option('vault-password-file', { type: 'string', array: true, requiresArg: true, describe: 'file holding the vault password (an executable file is run); repeatable' })
    .option('vault-id', { type: 'string', array: true, requiresArg: true, describe: 'LABEL@FILE, LABEL@prompt or FILE: a vault password with its id; repeatable' })
    .option('ask-vault-pass', { type: 'boolean', default: false, describe: 'ask for the vault password on the terminal (echo off)' });
}

/** The parsed vault flags of a yargs result, for a command's arguments. */
export function vaultArgs(a: { 'vault-password-file'?: string[] | undefined; 'vault-id'?: string[] | undefined; 'ask-vault-pass'?: boolean | undefined }): VaultCliOptions {
  return {
    ...(a['vault-password-file']?.length ? { vaultPasswordFile: a['vault-password-file'] } : {}),
    ...(a['vault-id']?.length ? { vaultId: a['vault-id'] } : {}),
    ...(a['ask-vault-pass'] ? { askVaultPass: true } : {}),
  };
}

/** The vault passwords the flags name, read (the password readers are loaded here, when a command needs them). */
export async function cliKeyring(o: VaultCliOptions): Promise<VaultKeyring> {
  const { vaultKeyring } = await import('../vault/passwords.ts');
  return vaultKeyring({ passwordFiles: o.vaultPasswordFile ?? [], vaultIds: o.vaultId ?? [], ask: o.askVaultPass === true });
}
