import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, symlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aptSources, aptTreeAliases, parseAptSources } from '../../src/facts/apt-sources.ts';

const KEYS = '--capstan-keys--\n/etc/apt/trusted.gpg.d/debian-archive-bookworm-stable.asc\n/etc/apt/trusted.gpg.d/debian-archive-bookworm-automatic.asc\n--capstan-conf--\n';
const file = (path: string, body: string) => `--capstan-source-- ${path}\n${body}\n`;
const debian822 = file('/etc/apt/sources.list.d/debian.sources', 'Types: deb\n# a mirror of the archive\nURIs: http://mirror.example/debian\nSuites: bookworm bookworm-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n');

describe('apt.sources fact: can a package come from outside Debian\'s archive?', () => {
  const table: [string, string, RegExp | null][] = [
    ['deb822 signed by the Debian archive keyring (a mirror counts)', debian822 + KEYS, null],
    ['one-line source without Signed-By, only Debian keys trusted', file('/etc/apt/sources.list', '# comment\ndeb http://mirror.example/debian bookworm main\ndeb-src http://other.example/ x main\n') + KEYS, null],
    ['one-line source with Signed-By a Debian keyring', file('/etc/apt/sources.list', 'deb [arch=amd64 signed-by=/usr/share/keyrings/debian-archive-bookworm-stable.gpg] http://m.example/debian bookworm main\n') + KEYS, null],
    ['a disabled deb822 stanza of another vendor', debian822 + file('/etc/apt/sources.list.d/x.sources', 'Enabled: no\nTypes: deb\nURIs: https://repo.example/\nSuites: stable\nSigned-By: /usr/share/keyrings/example.gpg\n') + KEYS, null],
    ['a third-party keyring', debian822 + file('/etc/apt/sources.list.d/x.sources', 'Types: deb\nURIs: https://repo.example/\nSuites: stable\nComponents: main\nSigned-By: /usr/share/keyrings/example.gpg\n') + KEYS, /repo\.example.* signed by \/usr\/share\/keyrings\/example\.gpg/],
    ['an inline key', file('/etc/apt/sources.list.d/x.sources', 'Types: deb\nURIs: https://repo.example/\nSuites: stable\nSigned-By:\n -----BEGIN PGP PUBLIC KEY BLOCK-----\n .\n abc\n') + KEYS, /an inline key/],
    ['trusted=yes', file('/etc/apt/sources.list.d/local.list', 'deb [trusted=yes] file:/srv/repo ./\n') + KEYS, /trusted without a signature/],
    ['no Signed-By while another key is trusted globally', file('/etc/apt/sources.list', 'deb http://mirror.example/debian bookworm main\n') + KEYS.replace('--capstan-conf--', '/etc/apt/trusted.gpg.d/vendor.gpg\n--capstan-conf--'), /global keys, among them \/etc\/apt\/trusted\.gpg\.d\/vendor\.gpg/],
    ['the legacy keyring file', file('/etc/apt/sources.list', 'deb http://mirror.example/debian bookworm main\n') + KEYS.replace('--capstan-keys--\n', '--capstan-keys--\n/etc/apt/trusted.gpg\n'), /\/etc\/apt\/trusted\.gpg$/],
    ['unsigned packages allowed in apt.conf', debian822 + KEYS + 'APT::Get::AllowUnauthenticated "true";\n', /AllowUnauthenticated/],
  ];
  for (const [what, out, foreign] of table) {
    it(what, () => {
      const r = parseAptSources(out);
      if (foreign === null) assert.deepEqual(r, { supported: true, foreign: null });
      else assert.match(r.foreign ?? '', foreign);
    });
  }

  it('a host without apt is unsupported', () => assert.equal(parseAptSources('unsupported\n').supported, false));

  it('reads this machine\'s apt configuration without writing anything', () => {
    const ref = aptSources();
    const r = spawnSync('sh', ['-c', ref.script], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const v = ref.parse(r.stdout, 0);
    assert.equal(v.supported, spawnSync('sh', ['-c', 'command -v apt-get']).status === 0);
  });
});

describe('apt.trees fact: trees that hold a symbolic link or a mount point', () => {
  it('names the trees with a link inside, or that are a link, and not the plain ones', () => {
    const dir = mkdtempSync(join(tmpdir(), 'capstan-trees-'));
    try {
      for (const t of ['plain', 'linked']) mkdirSync(join(dir, t, 'sub'), { recursive: true });
      symlinkSync('/etc', join(dir, 'linked', 'sub', 'etc'));
      symlinkSync(join(dir, 'plain'), join(dir, 'itself'));
      const trees = ['plain', 'linked', 'itself', 'missing'].map((t) => join(dir, t));
      const ref = aptTreeAliases(trees);
      const r = spawnSync('sh', ['-c', ref.script], { encoding: 'utf8' });
      assert.deepEqual(ref.parse(r.stdout, r.status ?? 1), [join(dir, 'linked'), join(dir, 'itself')]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names a tree below which something is mounted', () => {
    const ref = aptTreeAliases(['/proc']);
    const r = spawnSync('sh', ['-c', ref.script], { encoding: 'utf8' });
    assert.deepEqual(ref.parse(r.stdout, r.status ?? 1), ['/proc']);
  });
});
