/**
 * `capstan init [DIR]` and `capstan role new NAME`: a new project, or a new role package
 * whose generated test converges the role on a throwaway node. Nothing is overwritten: a
 * file that already exists stops the command before anything is written.
 *
 *   capstan init infra                 # infra/: package.json, tsconfig.json, site.ts, inventory/, README.md
 *   capstan role new @acme/motd        # motd/: src/index.ts, test/role.test.ts, README.md, ...
 */
import { isFsError, unreadable } from '../inventory/fs-errors.ts';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../errors.ts';
import { ExitCode } from '../events.ts';
import { packageDirOf } from './peer-ranges.ts';
import { roleDocsCommand } from './role-docs.ts';
import { projectFiles, roleFiles } from './scaffold-files.ts';

const PACKAGE_NAME = /^(@[a-z0-9][a-z0-9._-]*\/)?[a-z0-9][a-z0-9._-]*$/;

function capstanVersion(): string {
  const dir = packageDirOf(fileURLToPath(import.meta.url));
  return dir ? (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version : '0.1.0';
}

function writeAll(dir: string, files: Record<string, string>): void {
  const taken = Object.keys(files).filter((f) => existsSync(join(dir, f)));
  if (taken.length > 0) throw new ConfigError(`${dir} already has ${taken.join(', ')}; nothing was written`, { hint: 'choose an empty or new directory' });
  for (const [file, content] of Object.entries(files)) {
    try {
      mkdirSync(dirname(join(dir, file)), { recursive: true });
      writeFileSync(join(dir, file), content);
    } catch (e) {
      if (!isFsError(e)) throw e;
      throw new ConfigError(unreadable(join(dir, file), e, 'write'), { hint: 'choose a directory you can write to' });
    }
  }
}

/** `my-role` -> `myRole`: the name the role is exported under. */
export function exportNameOf(roleName: string): string {
  return roleName.replace(/[^a-zA-Z0-9]+([a-zA-Z0-9])/g, (_, c: string) => c.toUpperCase()).replace(/^[^a-zA-Z_]+/, '') || 'role';
}

export async function initCommand(args: { dir: string }, out: (s: string) => void): Promise<number> {
  const dir = resolve(args.dir);
  const name = basename(dir).toLowerCase().replace(/[^a-z0-9._-]+/g, '-');
  writeAll(dir, projectFiles({ name, capstanVersion: capstanVersion() }));
  out(`created ${dir}:\n  cd ${args.dir} && npm install\n  npx capstan run site.ts -i inventory/hosts.yml --check --diff\n`);
  return ExitCode.ok;
}

export async function roleNewCommand(args: { name: string; dir?: string | undefined }, out: (s: string) => void): Promise<number> {
  if (!PACKAGE_NAME.test(args.name)) throw new ConfigError(`${args.name} is not an npm package name`, { hint: 'lowercase, e.g. motd or @acme/motd' });
  const roleName = args.name.replace(/^@[^/]+\//, '');
  const dir = resolve(args.dir ?? roleName);
  writeAll(dir, roleFiles({ packageName: args.name, exportName: exportNameOf(roleName), roleName, capstanVersion: capstanVersion() }));
  await roleDocsCommand({ dir, check: false }, () => undefined);
  out(`created role ${args.name} in ${dir}:\n  cd ${args.dir ?? roleName} && npm install && npm test\n`);
  return ExitCode.ok;
}
