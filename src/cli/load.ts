/**
 * Loading what the user names on the command line: a playbook module and `-e` extra vars.
 *
 *   const pb = await loadPlaybook('playbooks/site.ts');
 *   const extra = await loadExtraVars(['version=v1.32.11+k3s3', '@vars.yml', '{"replicas": 3}']);
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { capstanNotFound, importUserModule } from '../typescript-loader.ts';
import { isPlaybook, type Playbook } from '../define/playbook.ts';
import { ConfigError } from '../errors.ts';
import { parseYamlStrict } from '../inventory/yaml-safe.ts';
import type { VaultKeyring } from '../vault/keyring.ts';
import { guardSecret } from '../inventory/values.ts';
import { checkRolePeers } from './peer-ranges.ts';
import { unreadable } from '../inventory/fs-errors.ts';

export async function loadPlaybook(path: string): Promise<Playbook> {
  const abs = resolve(path);
  const hint = 'give the path of a .ts file whose default export is definePlaybook({...})';
  if (!existsSync(abs)) throw new ConfigError(`playbook not found: ${path}`, { hint });
  if (statSync(abs).isDirectory()) throw new ConfigError(`playbook ${path} is a directory`, { hint });
  let mod: { default?: unknown };
  try {
    mod = (await importUserModule(abs)) as { default?: unknown };
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    const missing = capstanNotFound(e, path);
    if (missing) throw new ConfigError(missing);
    throw new ConfigError(`could not load playbook ${path}: ${(e as Error).message}`, { file: abs, hint: 'run `npx tsc --noEmit` to see type errors with their lines' });
  }
  if (!isPlaybook(mod.default)) throw new ConfigError(`${path} has no playbook as its default export`, { file: abs, hint: 'end the file with `export default definePlaybook({ plays: [...] })`' });
  checkRolePeers(mod.default);
  return mod.default;
}

/**
 * `-e key=value` (string), `-e @file.yml|json`, or `-e '{"json": true}'`; later ones win.
 * A file encrypted with Ansible Vault, or holding `!vault` values, is opened with `vault`.
 * Secrets are recognised as in an inventory (`ansible_password` becomes a Secret, `*_token`
 * and the like are masked in every output).
 */
export function loadExtraVars(specs: readonly string[], vault?: VaultKeyring): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const spec of specs) {
    if (spec.startsWith('@')) {
      const file = spec.slice(1);
      const hint = 'give -e @FILE the path of a YAML or JSON file';
      let content: string;
      try {
        content = readFileSync(file, 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new ConfigError(`extra vars file not found: ${file}`, { hint });
        throw new ConfigError(`-e ${spec}: ${unreadable(file, e)}`, { hint });
      }
      const data = parseYamlStrict(content, file, vault ? { vault } : {});
      if (!data || typeof data !== 'object' || Array.isArray(data)) throw new ConfigError(`extra vars file ${file} must hold a mapping of variables`, { file });
      Object.assign(out, data);
    } else if (spec.trim().startsWith('{')) {
      try {
        Object.assign(out, JSON.parse(spec) as Record<string, unknown>);
      } catch (e) {
        throw new ConfigError(`-e ${spec}: not valid JSON: ${(e as Error).message}`);
      }
    } else {
      for (const pair of splitPairs(spec)) {
        const i = pair.indexOf('=');
        if (i <= 0) throw new ConfigError(`-e ${pair}: expected key=value, @file or a JSON object`);
        out[pair.slice(0, i)] = pair.slice(i + 1);
      }
    }
  }
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, guardSecret(k, v)]));
}

function splitPairs(spec: string): string[] {
  return spec.includes('=') && /\s\w+=/.test(spec) ? spec.split(/\s+(?=\w+=)/) : [spec];
}
