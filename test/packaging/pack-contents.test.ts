/**
 * What each published package holds, as `npm pack --dry-run` lists it: compiled code,
 * declarations, source maps, the data files a role reads (templates, dashboards), docs and
 * the README; never sources, tests, fixtures, golden files or build configuration. Every
 * entry point a package.json names (exports, bin) is among what it packs.
 * (test/nodes/registry.test.ts installs the packed packages from a real registry.)
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runProcess } from '../support/run-process.ts';

const root = new URL('../..', import.meta.url).pathname;
const packageDirs = [root, ...readdirSync(join(root, 'roles'), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => join(root, 'roles', d.name))];

/** Paths a user of the package never needs. */
const UNNEEDED = [
  /(^|\/)(src|test|tests|__tests__|fixtures|golden|scripts|bench|examples|playbooks|roles|node_modules)\//,
  /\.test\.[cm]?[jt]s$/,
  /(?<!\.d)\.[cm]?ts$/,
  /(^|\/)tsconfig[^/]*\.json$/,
  /\.tsbuildinfo$/,
];

interface Manifest {
  name: string;
  files?: string[];
  exports?: Record<string, string | Record<string, string>>;
  bin?: string | Record<string, string>;
}

async function packedFiles(dir: string): Promise<string[]> {
  // Scripts are skipped: the list comes from `files`, whatever the build has produced so far.
  const r = await runProcess(dir, 'npm', ['pack', '--dry-run', '--json', '--ignore-scripts']);
  assert.equal(r.code, 0, `npm pack --dry-run in ${dir}:\n${r.stderr}`);
  const [pack] = JSON.parse(r.stdout) as { files: { path: string }[] }[];
  return (pack?.files ?? []).map((f) => f.path);
}

/** The files a package.json points users at: export targets and bins, without `./`. */
function entryPoints(m: Manifest): string[] {
  const targets = Object.values(m.exports ?? {}).flatMap((t) => (typeof t === 'string' ? [t] : Object.values(t)));
  const bins = typeof m.bin === 'string' ? [m.bin] : Object.values(m.bin ?? {});
  return [...targets, ...bins].map((p) => p.replace(/^\.\//, ''));
}

describe('npm pack of capstan and of every role', () => {
  let packs: { manifest: Manifest; files: string[] }[] = [];
  before(async () => {
    packs = await Promise.all(packageDirs.map(async (dir) => ({
      manifest: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest, files: await packedFiles(dir),
    })));
  });

  for (const [i, dir] of packageDirs.entries()) {
    const name = dir === root ? 'capstan' : `roles/${dir.split('/').pop()}`;

    it(`${name} packs no sources, tests, fixtures or build configuration`, () => {
      const { files } = packs[i]!;
      assert.ok(files.includes('package.json') && files.includes('README.md'), files.join(', '));
      assert.deepEqual(files.filter((f) => UNNEEDED.some((re) => re.test(f))), []);
    });

    it(`${name}: every entry point its package.json names lies under what it packs`, () => {
      const { manifest, files } = packs[i]!;
      const roots = manifest.files ?? [];
      assert.ok(!roots.some((f) => UNNEEDED.some((re) => re.test(`${f}/`) || re.test(f))), `files: ${roots.join(', ')}`);
      for (const entry of entryPoints(manifest)) {
        assert.ok(entry === 'package.json' || roots.some((f) => entry === f || entry.startsWith(`${f}/`)), `${entry} is not under files (${roots.join(', ')})`);
      }
      // capstan's dist/ is built by `npm ci` (prepare), so its entry points are packed now; a
      // role's dist/ is built by its prepack, when it is published.
      if (dir === root) for (const entry of entryPoints(manifest)) assert.ok(files.includes(entry), `${entry} is not packed`);
    });
  }
});
