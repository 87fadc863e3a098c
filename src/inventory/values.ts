/**
 * How a variable value read from an inventory becomes a `VarDef`: connection secrets are
 * wrapped in `Secret`, secret-looking strings are registered for redaction, and Jinja text
 * is detected (never evaluated).
 *
 *   const def = varDef('ansible_password', 'hunter22', { file: 'hosts.ini', line: 3 });
 *   def.value;            // Secret (prints as ***)
 *   varDef('url', '{{ x }}', origin).jinja;   // true
 */
import { Secret, registerSecretsIn } from '../commands/secret.ts';

export { looksSecret } from '../commands/secret.ts';
import type { VarDef, VarMap, VarOrigin } from './types.ts';

/** Connection variables whose values are passwords: wrapped in `Secret` as soon as they are read. */
export const CONNECTION_SECRET_VARS: ReadonlySet<string> = new Set([
  'ansible_password',
  'ansible_ssh_pass',
  'ansible_ssh_password',
  'ansible_become_password',
  'ansible_become_pass',
]);


/** True when `value` (deeply) holds a Jinja expression or statement. */
export function containsJinja(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return value.includes('{{') || value.includes('{%');
  if (depth > 64 || value === null || typeof value !== 'object' || value instanceof Secret) return false;
  const items = Array.isArray(value) ? value : Object.values(value);
  return items.some((v) => containsJinja(v, depth + 1));
}

/** Builds one assignment, wrapping connection passwords and registering secret-looking text for redaction. */
export function varDef(name: string, raw: unknown, origin: VarOrigin, jinjaChecked = true): VarDef {
  return { value: guardSecret(name, raw), origin, jinja: jinjaChecked && containsJinja(raw) };
}

/**
 * A variable's value as Capstan keeps it, wherever it was read (inventory, vars files, `-e`,
 * role variables): connection passwords become `Secret`s, and text under a credential-looking
 * name, at any depth (`{ db: { password: … } }`), is registered so every output masks it.
 *
 *   guardSecret('ansible_password', 'hunter22');   // Secret
 *   guardSecret('app', { api_token: 'abc123def' }); // the same object; 'abc123def' now prints as ***
 */
export function guardSecret(name: string, raw: unknown): unknown {
  if (CONNECTION_SECRET_VARS.has(name) && (typeof raw === 'string' || typeof raw === 'number')) return new Secret(String(raw), name);
  registerSecretsIn(name, raw);
  return raw;
}

/** Appends an assignment to a variable map (the last assignment of a name wins). */
export function assign(map: VarMap, name: string, def: VarDef): void {
  const defs = map.get(name);
  if (defs) defs.push(def);
  else map.set(name, [def]);
}

/** The winning value of each variable in a map. */
export function effective(map: VarMap): Map<string, VarDef> {
  const out = new Map<string, VarDef>();
  for (const [name, defs] of map) {
    const last = defs.at(-1);
    if (last) out.set(name, last);
  }
  return out;
}

/** Plain object of winning values; `__proto__` and friends stay ordinary own keys. */
export function toRecord(map: ReadonlyMap<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(map);
}

/** Ansible's truthiness for boolean-ish variables (`ansible_become=yes`): undefined when not boolean-like. */
export function ansibleBoolean(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value === 1 ? true : value === 0 ? false : undefined;
  if (typeof value !== 'string') return undefined;
  const v = value.trim().toLowerCase();
  if (['yes', 'on', '1', 'true', 'y', 't'].includes(v)) return true;
  if (['no', 'off', '0', 'false', 'n', 'f'].includes(v)) return false;
  return undefined;
}
