/**
 * Roles installed as packages say which capstan they work with (`peerDependencies.capstan`
 * in their package.json). A playbook whose roles, or the role packages those depend on,
 * need another capstan than the one running is refused at load time, naming both versions,
 * before any host is contacted.
 *
 *   checkRolePeers(playbook);
 *   // ConfigError: @acme/old-role 1.0.0 works with capstan >=2.0.0 (its peerDependencies),
 *   //              but this is capstan 0.1.0 (/srv/infra/node_modules/capstan)
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import semver from 'semver';
import type { Playbook } from '../define/playbook.ts';
import type { RoleUse } from '../define/role.ts';
import { ConfigError, type ConfigProblem } from '../errors.ts';

interface PackageInfo {
  dir: string;
  name: string;
  version: string;
  capstanRange: string | undefined;
  dependencies: string[];
}

function readPackage(dir: string): PackageInfo {
  const json = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
    name?: string; version?: string; peerDependencies?: Record<string, string>; dependencies?: Record<string, string>;
  };
  return {
    dir, name: json.name ?? dir, version: json.version ?? '0.0.0',
    capstanRange: json.peerDependencies?.capstan, dependencies: Object.keys(json.dependencies ?? {}),
  };
}

/** The directory of the package holding `file`: the nearest one with a package.json. */
export function packageDirOf(file: string): string | undefined {
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}

/** Where Node finds `name` from a package in `dir`: its own, then each parent's node_modules. */
function dependencyDir(dir: string, name: string): string | undefined {
  for (let at = dir; ; at = dirname(at)) {
    const candidate = join(at, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return realpathSync(candidate);
    if (dirname(at) === at) return undefined;
  }
}

function rolesOf(playbook: Playbook): RoleUse[] {
  return playbook.plays.flatMap((play) => play.roles ?? []);
}

function running(): PackageInfo {
  const dir = packageDirOf(fileURLToPath(import.meta.url));
  if (!dir) return { dir: '', name: 'capstan', version: '0.0.0', capstanRange: undefined, dependencies: [] };
  return readPackage(dir);
}

/** Every package a playbook's roles come from, and every package those depend on. */
function rolePackages(playbook: Playbook): PackageInfo[] {
  const seen = new Map<string, PackageInfo>();
  const visit = (dir: string) => {
    if (seen.has(dir)) return;
    const info = readPackage(dir);
    seen.set(dir, info);
    for (const dep of info.dependencies) {
      const depDir = dependencyDir(dir, dep);
      if (depDir) visit(depDir);
    }
  };
  for (const use of rolesOf(playbook)) {
    const dir = use.role.definedAt ? packageDirOf(use.role.definedAt) : undefined;
    if (dir) visit(realpathSync(dir));
  }
  return [...seen.values()];
}

/** Throws one ConfigError naming every role package whose capstan range excludes this capstan. */
export function checkRolePeers(playbook: Playbook): void {
  const self = running();
  const problems: ConfigProblem[] = [];
  for (const pkg of rolePackages(playbook)) {
    if (!pkg.capstanRange || pkg.dir === self.dir) continue;
    if (semver.satisfies(self.version, pkg.capstanRange, { includePrerelease: true })) continue;
    problems.push({
      message: `${pkg.name} ${pkg.version} works with capstan ${pkg.capstanRange} (its peerDependencies), but this is capstan ${self.version} (${self.dir})`,
      file: join(pkg.dir, 'package.json'),
      hint: `install a capstan that ${pkg.name} supports, or a release of ${pkg.name} made for capstan ${self.version}`,
    });
  }
  if (problems.length > 0) throw ConfigError.of(problems);
}
