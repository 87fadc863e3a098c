/** `aptKey` and `aptRepository`: one row or more for each documented option. */
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aptKey, aptRepository } from '../../../src/modules/apt-repository.ts';
import type { AptCache } from '../../../src/facts/apt.ts';
import type { FileStat } from '../../../src/facts/file.ts';
import type { ModuleTable } from '../../support/module-table.ts';

const ARMOURED = '-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmDMEZkX0ShYJKwYBBAHaRw8BAQdA\n=abcd\n-----END PGP PUBLIC KEY BLOCK-----\n';
const BINARY = Buffer.from([0x99, 0x01, 0x0d, 0x04, 0x01, 0x02]);
const PRIVATE = '-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nxx\n-----END PGP PRIVATE KEY BLOCK-----\n';
const KEY_FILE = join(mkdtempSync(join(tmpdir(), 'capstan-keys-')), 'internal.gpg');
writeFileSync(KEY_FILE, BINARY);

const sha = (c: string | Buffer) => createHash('sha256').update(c).digest('hex');
const dir: FileStat = { type: 'directory', mode: '0755', owner: 'root', group: 'root', size: 4096 };
const file = (c: string | Buffer): FileStat => ({ type: 'file', mode: '0644', owner: 'root', group: 'root', size: Buffer.from(c).length });
const cache: AptCache = { supported: true, os: '', now: 1, updatedAt: 1, hasLists: true };
/** Key files: `asc`/`gpg` give the content of /etc/apt/keyrings/<name>.asc|.gpg. */
const keys = (o: { asc?: string | Buffer; gpg?: string | Buffer; keyrings?: FileStat | null } = {}) => ({
  asc: o.asc === undefined ? null : file(o.asc), ascSha: o.asc === undefined ? null : sha(o.asc),
  gpg: o.gpg === undefined ? null : file(o.gpg), gpgSha: o.gpg === undefined ? null : sha(o.gpg),
  keyrings: o.keyrings === undefined ? dir : o.keyrings,
});

export const aptKeyTable: ModuleTable = { module: aptKey, rows: [
  { name: 'name and content (armoured): written to <name>.asc, no <name>.gpg predicted', args: { name: 'internal', content: ARMOURED }, facts: keys(),
    want: { changes: [`create /etc/apt/keyrings/internal.asc (${ARMOURED.length} bytes)`] }, runs: /^put \/etc\/apt\/keyrings\/internal\.asc mode=0644/,
    predicts: { 'file.sha256': null, 'file.exists': false } },
  { name: 'the same key there already: ok', args: { name: 'internal', content: ARMOURED }, facts: keys({ asc: ARMOURED }), want: { noop: /^the key internal in \/etc\/apt\/keyrings has the wanted content$/ } },
  { name: 'content binary: written to <name>.gpg, the armoured one removed', args: { name: 'internal', content: BINARY }, facts: keys({ asc: ARMOURED }),
    want: { changes: [/^create \/etc\/apt\/keyrings\/internal\.gpg/, 'remove /etc/apt/keyrings/internal.asc'] }, runs: /rm -f -- \/etc\/apt\/keyrings\/internal\.asc$/ },
  { name: 'content of a private key is refused', args: { name: 'internal', content: PRIVATE }, want: { invalid: /content: must be an OpenPGP public key.*not a private key/ } },
  { name: 'src: a local file read here, nothing fetched; keyrings created first', args: { name: 'internal', src: KEY_FILE }, facts: keys({ keyrings: null }),
    want: { changes: ['create /etc/apt/keyrings', /^create \/etc\/apt\/keyrings\/internal\.gpg/] }, runs: /^install -d -m 0755 -- \/etc\/apt\/keyrings\nput /, notRuns: /curl|wget/ },
  { name: 'src that cannot be read fails, naming it', args: { name: 'internal', src: '/nonexistent/k.asc' }, facts: keys(), want: { error: /^cannot read the key \/nonexistent\/k\.asc/ } },
  { name: 'neither content nor src is refused', args: { name: 'internal' }, want: { invalid: /content: give exactly one of content or src/ } },
  { name: 'state absent removes both kinds', args: { name: 'internal', state: 'absent' }, facts: keys({ asc: ARMOURED, gpg: BINARY }),
    want: { changes: ['remove /etc/apt/keyrings/internal.asc', 'remove /etc/apt/keyrings/internal.gpg'] }, predicts: { 'file.exists': false, 'file.sha256': null } },
  { name: 'state absent, no key: ok', args: { name: 'internal', state: 'absent' }, facts: keys(), want: { noop: /^no key internal in \/etc\/apt\/keyrings$/ } },
  { name: 'name must be a file name', args: { name: '../x', content: ARMOURED }, want: { invalid: /name: must be a file name/ } },
] };

const base = { name: 'example', uris: 'https://apt.example.org/debian', suites: 'bookworm', components: ['main'], signedBy: '/etc/apt/keyrings/example.asc' };
const repoFacts = (o: { sources?: string; list?: string; signer?: FileStat | null; cache?: AptCache } = {}, k: Parameters<typeof keys>[0] = {}) => ({
  ...keys(k),
  sources: o.sources === undefined ? null : file(o.sources), sourcesSha: o.sources === undefined ? null : sha(o.sources),
  list: o.list === undefined ? null : file(o.list), listSha: o.list === undefined ? null : sha(o.list),
  signer: o.signer === undefined ? file(ARMOURED) : o.signer, cache: o.cache ?? cache,
});
const DEB822 = 'Types: deb\nURIs: https://apt.example.org/debian\nSuites: bookworm\nComponents: main\nSigned-By: /etc/apt/keyrings/example.asc\n';
const SRC = '/etc/apt/sources.list.d/example.sources';
const UPDATE = 'update the package lists (a repository changed)';

export const aptRepositoryTable: ModuleTable = { module: aptRepository, rows: [
  { name: 'name, uris, suites, components, signedBy a key on the host: deb822 source (no .list predicted), then update', args: base, facts: repoFacts(),
    want: { changes: [`create ${SRC} (${DEB822.length} bytes)`, UPDATE] }, diff: new RegExp(`^${DEB822}$`), runs: /\n[\s\S]*apt-get -q -o DPkg::Lock::Timeout=300 update/,
    predicts: { 'file.exists': false } },
  { name: 'the source as wanted: ok, no update', args: { ...base, state: 'present' }, facts: repoFacts({ sources: DEB822 }), want: { noop: /^\/etc\/apt\/sources\.list\.d\/example\.sources is as wanted$/ } },
  { name: 'several uris and suites, architectures and types', args: { ...base, uris: ['https://a.example/d', 'https://b.example/d'], suites: ['bookworm', 'bookworm-updates'], architectures: ['amd64'], types: ['deb', 'deb-src'] },
    facts: repoFacts(), want: { changes: [/^create /, UPDATE] },
    diff: /^Types: deb deb-src\nURIs: https:\/\/a\.example\/d https:\/\/b\.example\/d\nSuites: bookworm bookworm-updates\nComponents: main\nArchitectures: amd64\nSigned-By: \/etc\/apt\/keyrings\/example\.asc\n$/ },
  { name: 'a flat repository takes no components', args: { ...base, suites: './' }, want: { invalid: /components: a flat repository/ } },
  { name: 'a uri with a blank is refused', args: { ...base, uris: 'https://a.example/d x' }, want: { invalid: /uris.*must be a URI/s } },
  { name: 'signedBy a key that is not on the host fails, pointing at aptKey', args: base, facts: repoFacts({ signer: null }), want: { error: /Signed-By key \/etc\/apt\/keyrings\/example\.asc does not exist on the host: put it there first \(aptKey\)$/ } },
  { name: 'signedBy an inline key: the key, the source naming it, then update', args: { ...base, signedBy: { content: BINARY } }, facts: repoFacts({ signer: dir }),
    want: { changes: [/^create \/etc\/apt\/keyrings\/example\.gpg/, /^create \/etc\/apt\/sources\.list\.d\/example\.sources/, UPDATE] }, diff: /Signed-By: \/etc\/apt\/keyrings\/example\.gpg\n$/ },
  { name: 'format list: one line per type, uri and suite; the deb822 file removed', args: { ...base, format: 'list', architectures: ['amd64', 'arm64'] }, facts: repoFacts({ sources: DEB822 }),
    want: { changes: [/^create \/etc\/apt\/sources\.list\.d\/example\.list/, `remove ${SRC}`, UPDATE] },
    diff: /^deb \[arch=amd64,arm64 signed-by=\/etc\/apt\/keyrings\/example\.asc\] https:\/\/apt\.example\.org\/debian bookworm main\n$/ },
  { name: 'state absent removes the source and the inline key', args: { ...base, signedBy: { content: ARMOURED }, state: 'absent' }, facts: repoFacts({ sources: DEB822 }, { asc: ARMOURED }),
    want: { changes: ['remove /etc/apt/keyrings/example.asc', `remove ${SRC}`, UPDATE] } },
  { name: 'state absent, nothing there: ok, no update', args: { ...base, state: 'absent' }, facts: repoFacts(), want: { noop: /^no repository example$/ } },
  { name: 'updateCache false: no apt-get update', args: { ...base, updateCache: false }, facts: repoFacts(), want: { changes: [/^create /] }, notRuns: /apt-get/ },
  { name: 'lockTimeout: the wait for the apt lock before the update', args: { ...base, lockTimeout: 45 }, facts: repoFacts(), want: { changes: [/^create /, UPDATE] }, runs: /gave up after 45 s[\s\S]*DPkg::Lock::Timeout=45 update/ },
  { name: 'a host without apt fails', args: base, facts: repoFacts({ cache: { ...cache, supported: false, os: 'alpine' } }), want: { error: /need apt: this host has none \(os-release ID: alpine\)/ } },
] };
