#!/usr/bin/env node
/**
 * Links this checkout as `node_modules/capstan`, so the roles under `roles/` and the
 * playbooks import `capstan` exactly as a project that installed the package does.
 * Run by npm's `prepare` (after `npm install` / `npm ci` in this checkout, never when
 * capstan is installed as a dependency).
 *
 *   node scripts/link-self.mjs
 */
import { lstatSync, mkdirSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const link = join(root, 'node_modules', 'capstan');
mkdirSync(dirname(link), { recursive: true });
let current;
try {
  current = lstatSync(link).isSymbolicLink() ? readlinkSync(link) : 'not a link';
} catch {
  current = undefined;
}
if (current !== '..') {
  if (current !== undefined) rmSync(link, { recursive: true, force: true });
  symlinkSync('..', link, 'dir');
}
