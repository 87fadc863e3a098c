/**
 * `group_vars/` and `host_vars/` beside an inventory file (or a playbook), found the way
 * Ansible finds them: `group_vars/web` (a directory, merged in lexical order, or a file),
 * else `web.yml`, `web.yaml`, `web.json`, the first that exists.
 *
 *   const { varsDir, problems } = await readVarsDir('inventory');
 *   varsDir.groups.get('web');   // [{ file: 'inventory/group_vars/web/10-base.yml', vars }, ...]
 *
 * Files are YAML 1.2 with the same limits as inventories (yaml-safe.ts). Vault-encrypted
 * files and `!vault` values are opened with the run's vault passwords; their values are Secrets.
 * Symlinks are followed; a symlink loop, a directory linked into itself or an unreadable
 * file is a problem naming the path, never a crash.
 */
import { readFile, readdir, realpath, stat } from 'node:fs/promises';
import type { Dirent } from 'node:fs';
import { extname, join } from 'node:path';
import { ConfigError } from '../errors.ts';
import type { ConfigProblem } from '../errors.ts';
import { jinjaWarning } from './builder.ts';
import { unreadable } from './fs-errors.ts';
import type { InventoryWarning, VarMap, VarsDir, VarsFile } from './types.ts';
import { assign, varDef } from './values.ts';
import { formatKeyPath, loadYaml, pathId } from './yaml-safe.ts';
import { isRecord } from './yaml-inventory.ts';
import type { VaultKeyring } from '../vault/keyring.ts';

const EXTENSIONS = ['', '.yml', '.yaml', '.json'];
/** Names Ansible gives an implicit localhost: callers add them to the known hosts so their host_vars are read. */
export const IMPLICIT_HOSTS: ReadonlySet<string> = new Set(['localhost', '127.0.0.1', '::1']);

export interface VarsDirResult {
  varsDir: VarsDir;
  problems: ConfigProblem[];
  warnings: InventoryWarning[];
}

/** Names the inventory knows; entries for other names are reported and skipped, as Ansible never reads them. */
export interface KnownNames {
  groups: ReadonlySet<string>;
  hosts: ReadonlySet<string>;
}

/** Loads the group_vars/host_vars entries under `dir` that apply to known groups and hosts (missing directories are fine). */
export async function readVarsDir(dir: string, known: KnownNames, vault?: VaultKeyring): Promise<VarsDirResult> {
  const out: VarsDirResult = { varsDir: { dir, groups: new Map(), hosts: new Map() }, problems: [], warnings: [] };
  for (const kind of ['group', 'host'] as const) {
    const base = join(dir, `${kind}_vars`);
    const info = await stat(base).catch(() => undefined);
    if (!info) continue;
    if (!info.isDirectory()) {
      out.warnings.push({ message: `${base} is not a directory; ignored`, file: base });
      continue;
    }
    const target = kind === 'group' ? out.varsDir.groups : out.varsDir.hosts;
    const names = kind === 'group' ? known.groups : known.hosts;
    for (const [name, paths] of await entriesByName(base, out)) {
      if (!names.has(name)) {
        out.warnings.push({ message: `${join(base, name)}* matches no ${kind} in the inventory; ignored`, file: base, [kind]: name });
        continue;
      }
      const files: VarsFile[] = [];
      for (const file of paths) {
        const loaded = await readVarsFile(file, { [kind]: name }, out, vault);
        if (loaded) files.push(loaded);
      }
      target.set(name, files);
    }
  }
  return out;
}

/** Groups the entries of a `*_vars` directory by the group or host name they apply to. */
async function entriesByName(base: string, out: VarsDirResult): Promise<Map<string, string[]>> {
  const entries = (await readdir(base, { withFileTypes: true })).filter((e) => !e.name.startsWith('.')).sort((a, b) => cmp(a.name, b.name));
  const byName = new Map<string, { ext: string; path: string; dir: boolean }[]>();
  for (const e of entries) {
    const ext = extname(e.name);
    const known = EXTENSIONS.includes(ext) && ext !== '';
    const name = known ? e.name.slice(0, -ext.length) : e.name;
    const path = join(base, e.name);
    const dir = await isDirectory(e, path, out);
    if (dir === undefined) continue;
    const list = byName.get(name) ?? [];
    list.push({ ext: known ? ext : '', path, dir });
    byName.set(name, list);
  }
  const result = new Map<string, string[]>();
  for (const [name, candidates] of byName) {
    candidates.sort((a, b) => EXTENSIONS.indexOf(a.ext) - EXTENSIONS.indexOf(b.ext));
    const [chosen, ...ignored] = candidates;
    if (!chosen) continue;
    for (const i of ignored) out.warnings.push({ message: `${i.path} is ignored because ${chosen.path} is used for "${name}" (Ansible reads only the first of: name/, name.yml, name.yaml, name.json)`, file: i.path });
    result.set(name, chosen.dir ? await filesUnder(chosen.path, out, new Set()) : [chosen.path]);
  }
  return result;
}

/** Whether an entry is a directory, following symlinks; undefined (and a problem) when it cannot be read. */
async function isDirectory(e: Dirent, path: string, out: VarsDirResult): Promise<boolean | undefined> {
  if (!e.isSymbolicLink()) return e.isDirectory();
  try {
    return (await stat(path)).isDirectory();
  } catch (err) {
    out.problems.push({ message: unreadable(path, err), file: path });
    return undefined;
  }
}

/** Files of a per-group directory, recursively, in lexical order, skipping hidden files and backups. */
async function filesUnder(dir: string, out: VarsDirResult, visited: Set<string>): Promise<string[]> {
  const real = await realpath(dir).catch(() => dir);
  if (visited.has(real)) {
    out.problems.push({ message: `${dir} links back into a directory it is part of (a symlink loop)`, file: dir });
    return [];
  }
  visited.add(real);
  const files: string[] = [];
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => cmp(a.name, b.name));
  for (const e of entries) {
    if (e.name.startsWith('.') || e.name.endsWith('~')) continue;
    const ext = extname(e.name);
    const path = join(dir, e.name);
    const isDir = await isDirectory(e, path, out);
    if (isDir && !ext) files.push(...(await filesUnder(path, out, visited)));
    else if (isDir === false && EXTENSIONS.includes(ext)) files.push(path);
  }
  visited.delete(real);
  return files;
}

async function readVarsFile(file: string, scope: { group?: string; host?: string }, out: VarsDirResult, vault: VaultKeyring | undefined): Promise<VarsFile | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    out.problems.push({ message: unreadable(file, e), file });
    return undefined;
  }
  let doc;
  try {
    doc = loadYaml(text, file, vault ? { vault } : {});
  } catch (e) {
    if (e instanceof ConfigError) out.problems.push(...e.problems);
    else throw e;
    return undefined;
  }
  if (doc.value === null || doc.value === undefined) return { file, vars: new Map() };
  if (!isRecord(doc.value)) {
    out.problems.push({ message: 'a variables file must hold a mapping of variable names to values', file, line: 1, col: 1 });
    return undefined;
  }
  const vars: VarMap = new Map();
  for (const [k, v] of Object.entries(doc.value)) {
    const loc = doc.locate([k]);
    const origin = { file, ...(loc ? { line: loc.line, col: loc.col } : {}), keyPath: formatKeyPath([k]) };
    const def = varDef(k, v, origin, !doc.unsafe.has(pathId([k])));
    assign(vars, k, def);
    if (def.jinja) out.warnings.push(jinjaWarning(k, origin, scope));
    if (k === 'ansible_group_priority') out.warnings.push({ message: 'ansible_group_priority only takes effect in the inventory file (as in Ansible); here it is an ordinary variable', ...origin, variable: k });
  }
  return { file, vars };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
