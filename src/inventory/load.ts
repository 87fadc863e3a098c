/**
 * Loads inventories as Ansible does: YAML/JSON, INI, TypeScript (`defineInventory`), a
 * directory of inventory files, or a comma-separated host list; several sources merge in
 * order, like `-i a -i b`. `group_vars/` and `host_vars/` beside each source are read too.
 *
 *   const inv = await loadInventory(['inventory/hosts.yml', 'inventory/extra.ini']);
 *   const withPlaybook = await loadInventory('inventory/hosts.yml', { playbookDir: 'playbooks' });
 *   await loadInventory('web1,web2:2222,');    // a host list, like `ansible -i 'web1,web2,'`
 *
 * Every problem found in the files is reported together in one ConfigError, before any
 * connection is attempted.
 */
import { readFile, readdir, realpath, stat } from 'node:fs/promises';
import { dirname, extname, join, resolve } from 'node:path';
import { capstanNotFound, importUserModule } from '../typescript-loader.ts';
import { ConfigError } from '../errors.ts';
import { isFsError, unreadable } from './fs-errors.ts';
import { InventoryBuilder } from './builder.ts';
import { IGNORED_CONNECTION_VARS } from './connection.ts';
import { defineInventory, isInventoryDefinition } from './define.ts';
import type { InventoryDefinition, InventoryDefinitionInput } from './define.ts';
import { expandHostPattern } from './host-pattern.ts';
import { readIniInventory } from './ini-inventory.ts';
import { readDefinition } from './ts-inventory.ts';
import type { Inventory, InventoryWarning, VarMap, VarsDir } from './types.ts';
import { IMPLICIT_HOSTS, readVarsDir } from './vars-files.ts';
import { readYamlInventory } from './yaml-inventory.ts';
import { NO_VAULT_PASSWORD_HINT, type VaultKeyring } from '../vault/keyring.ts';
import { isVaultText } from '../vault/format.ts';

export interface LoadOptions {
  /** The playbook's directory: its group_vars/ and host_vars/ apply above the inventory's (see vars.ts). */
  playbookDir?: string;
  /** Base for relative paths (default: the current directory). */
  cwd?: string;
  /** Vault passwords for encrypted inventories, variable files and `!vault` values. */
  vault?: VaultKeyring;
}

const YAML_EXTS = new Set(['.yml', '.yaml', '.json']);
const CODE_EXTS = new Set(['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs']);
/** Files Ansible skips when an inventory source is a directory. */
const IGNORED_IN_DIR = /^\.|^(host_vars|group_vars|vars_plugins)$|(\.pyc|\.pyo|\.swp|\.bak|~|\.rpm|\.md|\.txt|\.rst|\.orig|\.ini|\.cfg|\.retry)$/;

/** Loads one or more inventory sources into one inventory. */
export async function loadInventory(paths: string | readonly string[], opts: LoadOptions = {}): Promise<Inventory> {
  const cwd = opts.cwd ?? process.cwd();
  const list = typeof paths === 'string' ? [paths] : [...paths];
  if (list.length === 0) throw new ConfigError('no inventory given', { hint: 'pass -i with a YAML, INI or TS inventory file' });
  const b = new InventoryBuilder();
  const sources: string[] = [];
  const varsDirs: string[] = [];
  for (const p of list) {
    const abs = resolve(cwd, p);
    const info = await stat(abs).catch((e: unknown) => e as NodeJS.ErrnoException);
    if (info instanceof Error && p.includes(',')) {
      readHostList(p, b);
      continue;
    }
    sources.push(abs);
    if (info instanceof Error) {
      b.problem(info.code === 'ENOENT' ? `inventory not found: ${p}` : unreadable(p, info), { file: abs });
      continue;
    }
    if (info.isDirectory()) await readDirectory(abs, b, opts.vault);
    else await readSource(abs, b, opts.vault);
    varsDirs.push(info.isDirectory() ? abs : dirname(abs));
  }
  const { hosts, groups, warnings } = b.finish();
  const partial: Inventory = { sources, hosts, groups, inventoryVarsDirs: [], warnings: [], ...(opts.vault ? { vault: opts.vault } : {}) };
  const inventoryVarsDirs = await readVarsDirs([...new Set(varsDirs)], partial, warnings);
  const inv: Inventory = { ...partial, inventoryVarsDirs, warnings };
  return opts.playbookDir === undefined ? finalize(inv) : withPlaybookDir(finalize(inv), resolve(cwd, opts.playbookDir));
}

/** The same inventory with the group_vars/ and host_vars/ beside a playbook added (once the playbook is known). */
export async function withPlaybookDir(inv: Inventory, playbookDir: string): Promise<Inventory> {
  const dir = resolve(playbookDir);
  if (inv.inventoryVarsDirs.some((d) => d.dir === dir)) return inv;
  const extra: InventoryWarning[] = [];
  const [playbookVarsDir] = await readVarsDirs([dir], inv, extra);
  return finalize({ ...inv, playbookVarsDir }, extra);
}

async function readVarsDirs(dirs: string[], inv: Inventory, warnings: InventoryWarning[]): Promise<VarsDir[]> {
  const known = { groups: new Set(inv.groups.keys()), hosts: new Set([...inv.hosts.keys(), ...IMPLICIT_HOSTS]) };
  const out: VarsDir[] = [];
  const problems = [];
  for (const dir of dirs) {
    const r = await readVarsDir(dir, known, inv.vault);
    out.push(r.varsDir);
    problems.push(...r.problems);
    warnings.push(...r.warnings);
  }
  if (problems.length > 0) throw ConfigError.of(problems);
  return out;
}

/** Adds warnings for variables Capstan ignores, and freezes the warning list. */
function finalize(inv: Inventory, extra: InventoryWarning[] = []): Inventory {
  const warnings = [...inv.warnings, ...extra];
  const maps: VarMap[] = [...[...inv.groups.values()].map((g) => g.vars), ...[...inv.hosts.values()].map((h) => h.vars)];
  for (const d of [...inv.inventoryVarsDirs, inv.playbookVarsDir]) {
    for (const files of [...(d?.groups.values() ?? []), ...(d?.hosts.values() ?? [])]) maps.push(...files.map((f) => f.vars));
  }
  const seen = new Set(inv.warnings.map((w) => `${w.variable}@${w.file}:${w.line}`));
  for (const map of maps) {
    for (const name of IGNORED_CONNECTION_VARS) {
      for (const def of map.get(name) ?? []) {
        const key = `${name}@${def.origin.file}:${def.origin.line}`;
        if (seen.has(key)) continue;
        seen.add(key);
        warnings.push({ message: `${name} is ignored: Capstan's ssh connector takes its options from its own settings, not from ssh command-line arguments`, ...def.origin, variable: name });
      }
    }
  }
  return { ...inv, warnings: Object.freeze(warnings) };
}

async function readDirectory(dir: string, b: InventoryBuilder, vault: VaultKeyring | undefined, visited = new Set<string>()): Promise<void> {
  const real = await realpath(dir).catch(() => dir);
  if (visited.has(real)) return b.problem(`${dir} links back into a directory it is part of (a symlink loop)`, { file: dir });
  visited.add(real);
  const names = (await readdir(dir)).filter((n) => !IGNORED_IN_DIR.test(n)).sort();
  for (const name of names) {
    const path = join(dir, name);
    const info = await stat(path).catch((e: unknown) => void b.problem(unreadable(path, e), { file: path }));
    if (!info) continue;
    if (info.isDirectory()) await readDirectory(path, b, vault, visited);
    else await readSource(path, b, vault);
  }
  visited.delete(real);
}

/**
 * One inventory file. A whole inventory encrypted with Ansible Vault is opened first and then
 * read as what it holds (INI or YAML), with the usual rules for secret-looking variables.
 */
async function readSource(file: string, b: InventoryBuilder, vault: VaultKeyring | undefined): Promise<void> {
  const ext = extname(file).toLowerCase();
  try {
    if (CODE_EXTS.has(ext)) return readDefinition(await importDefinition(file), file, b);
    let text = (await readFile(file, 'utf8')).replace(/^\uFEFF/, '');
    if (isVaultText(text)) {
      if (!vault?.size) throw new ConfigError('this inventory is vault-encrypted, and no vault password was given', { file, line: 1, col: 1, hint: NO_VAULT_PASSWORD_HINT });
      text = vault.open(text, { file, line: 1, col: 1 });
    }
    if (YAML_EXTS.has(ext)) return readYamlInventory(text, file, b, vault);
    if (ext === '.ini' || !looksLikeYaml(text, file)) return readIniInventory(text, file, b);
    return readYamlInventory(text, file, b, vault);
  } catch (e) {
    if (e instanceof ConfigError) b.problems.push(...e.problems);
    else if (isFsError(e)) b.problem(unreadable(file, e), { file });
    else throw e;
  }
}

/** For a file without a known extension: YAML when it parses as a mapping or starts like `all:`. */
function looksLikeYaml(text: string, file: string): boolean {
  const first = text.split(/\r?\n/).find((l) => l.trim() !== '' && !/^\s*[#;]/.test(l) && l.trim() !== '---') ?? '';
  if (/^[^\s[=][^=]*:\s*(#.*)?$/.test(first) && !/^\S+:[0-9]+\s*$/.test(first)) return true;
  try {
    const b = new InventoryBuilder();
    readYamlInventory(text, file, b);
    return b.problems.length === 0 && b.groups.size > 2;
  } catch {
    return false;
  }
}

async function importDefinition(file: string): Promise<InventoryDefinition> {
  let mod: { default?: unknown };
  try {
    mod = (await importUserModule(file)) as { default?: unknown };
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    const missing = capstanNotFound(e, file);
    if (missing) throw new ConfigError(missing);
    throw new ConfigError(`could not load inventory ${file}: ${(e as Error).message}`, { file, hint: 'run `npx tsc --noEmit` to see type errors with their lines' });
  }
  let value = mod.default;
  if (typeof value === 'function') value = await (value as () => unknown)();
  if (isInventoryDefinition(value)) return value;
  if (value && typeof value === 'object') return defineInventory(value as InventoryDefinitionInput);
  throw new ConfigError(`${file} has no inventory as its default export`, { file, hint: 'end the file with `export default defineInventory({ groups: { ... } })`' });
}

/** `web1,web2:2222,` as given to -i: hosts in `ungrouped`. */
function readHostList(list: string, b: InventoryBuilder): void {
  for (const entry of list.split(',').map((s) => s.trim()).filter(Boolean)) {
    try {
      const { hosts, port } = expandHostPattern(entry);
      for (const h of hosts) b.addHost(h, 'ungrouped', { file: '(host list)', keyPath: entry }, port);
    } catch (e) {
      b.problem((e as Error).message, { file: '(host list)', keyPath: entry });
    }
  }
}
