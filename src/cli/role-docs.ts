/**
 * `capstan role docs [DIR] [--check]`: writes the variables table of every role a role
 * package exports into its README.md (between the generated-variables markers), from the
 * roles' zod schemas; `--check` changes nothing and fails when the README is out of date.
 *
 *   capstan role docs roles/haproxy            # rewrite the table
 *   capstan role docs roles/haproxy --check    # exit 5 when the README says something else
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Role, RoleVarsSchema } from '../define/role.ts';
import { ConfigError } from '../errors.ts';
import { ExitCode } from '../events.ts';
import { importUserModule } from '../typescript-loader.ts';
import { BEGIN_MARKER, END_MARKER, replaceGenerated, varsTable } from './vars-table.ts';

export interface RoleDocsArgs {
  dir: string;
  check: boolean;
}

function isRole(value: unknown): value is Role<RoleVarsSchema> {
  const v = value as Partial<Role<RoleVarsSchema>> | undefined;
  return typeof v === 'object' && v !== null && typeof v.use === 'function' && typeof v.definition?.vars?.shape === 'object';
}

/** The package's entry: its TypeScript sources when present, else what `exports` names. */
function entryOf(dir: string): string {
  const source = join(dir, 'src/index.ts');
  if (existsSync(source)) return source;
  const pkgPath = join(dir, 'package.json');
  if (!existsSync(pkgPath)) throw new ConfigError(`${dir} is not a role package: no src/index.ts and no package.json`);
  const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { main?: string; exports?: Record<string, unknown> };
  const dot = pkg.exports?.['.'];
  const target = typeof dot === 'string' ? dot : (dot as { default?: string } | undefined)?.default ?? pkg.main;
  if (!target) throw new ConfigError(`${pkgPath} names no entry point (exports "." or main)`, { file: pkgPath });
  return join(dir, target);
}

/** The generated section for a package's roles: one table, or one per role under a heading. */
export function rolesSection(roles: [string, Role<RoleVarsSchema>][]): string {
  if (roles.length === 1) return varsTable(roles[0]![1].definition.vars);
  return roles.map(([exported, role]) => `#### \`${exported}\` (role \`${role.definition.name}\`)\n\n${varsTable(role.definition.vars)}\n`).join('\n').trimEnd();
}

export async function roleDocsCommand(args: RoleDocsArgs, out: (s: string) => void): Promise<number> {
  const dir = resolve(args.dir);
  const mod = (await importUserModule(entryOf(dir))) as Record<string, unknown>;
  const roles = Object.entries(mod).filter((e): e is [string, Role<RoleVarsSchema>] => isRole(e[1]));
  if (roles.length === 0) throw new ConfigError(`${dir} exports no role (defineRole(...))`);
  const readmePath = join(dir, 'README.md');
  const readme = existsSync(readmePath) ? readFileSync(readmePath, 'utf8') : '';
  const next = replaceGenerated(readme, rolesSection(roles));
  if (next === undefined) {
    throw new ConfigError(`${readmePath} has no place for the variables table`, {
      file: readmePath, hint: `put these two lines where the table goes:\n${BEGIN_MARKER}\n${END_MARKER}`,
    });
  }
  if (next === readme) {
    out(`${readmePath}: variables of ${roles.length} role(s) up to date\n`);
    return ExitCode.ok;
  }
  if (args.check) {
    process.stderr.write(`${readmePath} is out of date with the roles' variable schemas: run \`capstan role docs ${args.dir}\`\n`);
    return ExitCode.invalidInput;
  }
  writeFileSync(readmePath, next);
  out(`${readmePath}: variables of ${roles.length} role(s) written\n`);
  return ExitCode.ok;
}
