/**
 * Ansible Vault, read-only: encrypted variable files and inline `!vault` values are opened in
 * memory with the run's vault passwords; their values are Secrets. Encrypting and editing stay
 * with `ansible-vault`, which writes the same formats.
 *
 *   const vault = await vaultKeyring({ passwordFiles: ['.vault-pass'] });
 *   const inv = await loadInventory('inventory/hosts.yml', { vault });
 */
export { VaultKeyring, NO_VAULT_PASSWORD_HINT, type VaultPassword, type VaultLocation } from './keyring.ts';
export { vaultKeyring, parseVaultId, type VaultPasswordOptions } from './passwords.ts';
export { isVaultText } from './format.ts';
export { asSecrets, sealVaultValues, VaultPlaintext } from './values.ts';
