/**
 * Decrypted vault values are Secrets: they print as `***` everywhere (events, diffs, logs,
 * `explain`, `inventory --list`) and travel only where a role sends them.
 *
 *   asSecrets({ db: { password: 'pw1' }, port: 5432 }, 'vault.yml')
 *   // { db: { password: Secret(***) }, port: 5432 }: text becomes Secret, numbers and booleans stay
 */
import { Secret } from '../commands/secret.ts';

/** A decrypted `!vault` value held inside a parsed YAML tree until it becomes a Secret. */
export class VaultPlaintext {
  constructor(
    readonly text: string,
    readonly label: string,
  ) {}
}

export function asSecrets(value: unknown, label: string, depth = 0): unknown {
  if (typeof value === 'string') return new Secret(value, label);
  if (value instanceof VaultPlaintext) return new Secret(value.text, value.label);
  if (depth > 64 || value === null || typeof value !== 'object' || value instanceof Secret) return value;
  if (Array.isArray(value)) return value.map((v) => asSecrets(v, label, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) Object.defineProperty(out, k, { value: asSecrets(v, `${label}.${k}`, depth + 1), enumerable: true, writable: true, configurable: true });
  return out;
}

/** Replaces every decrypted `!vault` value in a parsed tree by a Secret; other values are kept. */
export function sealVaultValues(value: unknown, depth = 0): unknown {
  if (value instanceof VaultPlaintext) return new Secret(value.text, value.label);
  if (depth > 64 || value === null || typeof value !== 'object' || value instanceof Secret) return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = sealVaultValues(value[i], depth + 1);
    return value;
  }
  const rec = value as Record<string, unknown>;
  for (const k of Object.keys(rec)) {
    const v = sealVaultValues(rec[k], depth + 1);
    if (v !== rec[k]) Object.defineProperty(rec, k, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return value;
}
