#!/usr/bin/env node
/**
 * Compiles role packages to what they publish: `dist/` with ES modules, type declarations
 * and source maps (each role's `tsconfig.build.json`), roles another role depends on first.
 * Run by each role's `prepack` (that role only) and by `npm run build:roles` (every role),
 * after `scripts/build.mjs` wrote capstan's declarations. In this checkout the roles'
 * sources serve imports directly (tsconfig.json `paths`), so nothing else needs `dist/`.
 *
 *   node scripts/build-roles.mjs                 # every role under roles/
 *   node scripts/build-roles.mjs roles/haproxy   # one role (from its directory: `.`)
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

function roleDirs() {
  const base = join(root, 'roles');
  return readdirSync(base).map((name) => join(base, name)).filter((dir) => existsSync(join(dir, 'tsconfig.build.json')));
}

/** Roles in an order where each comes after the roles it depends on. */
function dependencyOrder(dirs) {
  const byName = new Map(dirs.map((dir) => [JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name, dir]));
  const done = new Set();
  const order = [];
  const visit = (dir) => {
    if (done.has(dir)) return;
    done.add(dir);
    const deps = Object.keys(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).dependencies ?? {});
    for (const dep of deps) if (byName.has(dep)) visit(byName.get(dep));
    order.push(dir);
  };
  dirs.forEach(visit);
  return order;
}

const asked = process.argv.slice(2).map((dir) => resolve(dir));
for (const dir of asked.length > 0 ? asked : dependencyOrder(roleDirs())) {
  rmSync(join(dir, 'dist'), { recursive: true, force: true });
  execFileSync(process.execPath, [tsc, '-p', join(dir, 'tsconfig.build.json')], { stdio: 'inherit' });
}
