import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aptKey, aptKeyArgs, aptRepository, aptRepositoryArgs, keyKind, planAptKey, planAptRepository, renderSources } from '../../src/modules/apt-repository.ts';
import type { HashedStat as FileStat } from '../../src/facts/file.ts';
import type { AptCache } from '../../src/facts/apt.ts';
import type { Plan } from '../../src/define/plan.ts';
import type { Prediction } from '../../src/define/module.ts';
import { HOSTILE } from '../connectors/support/hostile.ts';
import { stepName } from '../../src/define/step.ts';

const ARMOURED = '-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmDMEZkX0ShYJKwYBBAHaRw8BAQdA\n=abcd\n-----END PGP PUBLIC KEY BLOCK-----\n';
const BINARY = Buffer.from([0x99, 0x01, 0x0d, 0x04, 0x01, 0x02]);
const cache: AptCache = { supported: true, os: '', now: 1, updatedAt: 1, hasLists: true };
const dir: FileStat = { type: 'directory', mode: '0755', owner: 'root', group: 'root', size: 4096 };
const fileWith = (content: string | Buffer): FileStat => ({
  type: 'file', mode: '0644', owner: 'root', group: 'root', size: Buffer.from(content).length, sha256: createHash('sha256').update(content).digest('hex'),
});
type RepoFacts = Parameters<typeof planAptRepository>[1];
const noFiles: RepoFacts = { asc: null, gpg: null, keyrings: dir, sources: null, list: null, signer: dir, cache };

const base = { name: 'example', uris: 'https://apt.example.org/debian', suites: 'bookworm', components: ['main'] };
const repo = (args: Record<string, unknown>, facts: Partial<RepoFacts> = {}): Plan =>
  planAptRepository(aptRepositoryArgs.parse({ ...base, ...args }), { ...noFiles, ...facts });
const summaries = (p: Plan) => p.changes.map((c) => c.summary);

describe('aptRepository', () => {
  describe('renders the source', () => {
    it('as deb822 with Signed-By', () => {
      const a = aptRepositoryArgs.parse({ ...base, uris: ['https://a.example/d', 'https://b.example/d'], suites: ['bookworm', 'bookworm-updates'], architectures: ['amd64'], signedBy: '/etc/apt/keyrings/ex.asc' });
      assert.equal(renderSources(a, '/etc/apt/keyrings/ex.asc'), [
        'Types: deb', 'URIs: https://a.example/d https://b.example/d', 'Suites: bookworm bookworm-updates', 'Components: main',
        'Architectures: amd64', 'Signed-By: /etc/apt/keyrings/ex.asc', '',
      ].join('\n'));
    });

    it('as one-line entries, one per type, URI and suite', () => {
      const a = aptRepositoryArgs.parse({ ...base, types: ['deb', 'deb-src'], components: ['main', 'contrib'], architectures: ['amd64', 'arm64'], signedBy: '/k.gpg', format: 'list' });
      assert.equal(renderSources(a, '/k.gpg'), [
        'deb [arch=amd64,arm64 signed-by=/k.gpg] https://apt.example.org/debian bookworm main contrib',
        'deb-src [arch=amd64,arm64 signed-by=/k.gpg] https://apt.example.org/debian bookworm main contrib', '',
      ].join('\n'));
    });

    it('a flat repository has no components', () => {
      const a = aptRepositoryArgs.parse({ ...base, suites: './', components: [], signedBy: '/k.gpg' });
      assert.doesNotMatch(renderSources(a, '/k.gpg'), /Components/);
      assert.equal(aptRepositoryArgs.safeParse({ ...base, suites: './', signedBy: '/k.gpg' }).error?.issues[0]?.path.join('.'), 'components');
    });
  });

  describe('plans', () => {
    it('writes the inline key and the source, then updates the lists, in one step', () => {
      const p = repo({ signedBy: { content: ARMOURED } });
      assert.deepEqual(summaries(p), [
        `create /etc/apt/keyrings/example.asc (${ARMOURED.length} bytes)`,
        `create /etc/apt/sources.list.d/example.sources (${renderSources(aptRepositoryArgs.parse({ ...base, signedBy: '/etc/apt/keyrings/example.asc' }), '/etc/apt/keyrings/example.asc').length} bytes)`,
        'update the package lists (a repository changed)',
      ]);
      const update = p.changes.at(-1)?.actions[0];
      assert.match(update?.kind === 'exec' ? update.command.script : '', /apt-get -q -o DPkg::Lock::Timeout=300 update/);
    });

    it('a binary key goes to .gpg, and its diff shows only hashes', () => {
      const p = repo({ signedBy: { content: BINARY } });
      assert.equal(summaries(p)[0], 'create /etc/apt/keyrings/example.gpg (6 bytes)');
      assert.equal(p.changes[0]?.diff?.secret, true);
    });

    it('reads the key from a local file', () => {
      const path = join(mkdtempSync(join(tmpdir(), 'capstan-key-')), 'k.asc');
      writeFileSync(path, ARMOURED);
      assert.equal(summaries(repo({ signedBy: { src: path } }))[0], `create /etc/apt/keyrings/example.asc (${ARMOURED.length} bytes)`);
      assert.match(repo({ signedBy: { src: `${path}.missing` } }).error ?? '', /cannot read the key .*k\.asc\.missing/);
    });

    it('creates /etc/apt/keyrings on older releases', () => {
      assert.equal(summaries(repo({ signedBy: { content: ARMOURED } }, { keyrings: null }))[0], 'create /etc/apt/keyrings');
    });

    it('does nothing, and no update, when key and source are as wanted', () => {
      const a = aptRepositoryArgs.parse({ ...base, signedBy: { content: ARMOURED } });
      const sources = fileWith(renderSources(a, '/etc/apt/keyrings/example.asc'));
      assert.deepEqual(repo({ signedBy: { content: ARMOURED } }, { asc: fileWith(ARMOURED), sources }), {
        changes: [], noop: '/etc/apt/sources.list.d/example.sources is as wanted, signed by /etc/apt/keyrings/example.asc',
      });
    });

    it('updates only when something changed, and not at all with updateCache false', () => {
      const a = aptRepositoryArgs.parse({ ...base, signedBy: '/usr/share/keyrings/debian-archive-keyring.gpg' });
      const sources = fileWith(renderSources(a, '/usr/share/keyrings/debian-archive-keyring.gpg'));
      const signer = fileWith('k');
      assert.equal(repo({ signedBy: a.signedBy }, { sources, signer }).changes.length, 0);
      assert.deepEqual(summaries(repo({ signedBy: a.signedBy, suites: 'trixie' }, { sources, signer })).at(-1), 'update the package lists (a repository changed)');
      assert.equal(summaries(repo({ signedBy: a.signedBy, suites: 'trixie', updateCache: false }, { sources, signer })).length, 1);
    });

    it('switching format removes the file of the other format', () => {
      const p = repo({ signedBy: '/k.gpg', format: 'list' }, { sources: fileWith('old'), signer: fileWith('k') });
      assert.deepEqual(summaries(p).slice(1), ['remove /etc/apt/sources.list.d/example.sources', 'update the package lists (a repository changed)']);
    });

    it('state absent removes the source and its inline key, then updates', () => {
      const p = repo({ signedBy: { content: ARMOURED }, state: 'absent' }, { asc: fileWith(ARMOURED), sources: fileWith('x') });
      assert.deepEqual(summaries(p), ['remove /etc/apt/keyrings/example.asc', 'remove /etc/apt/sources.list.d/example.sources', 'update the package lists (a repository changed)']);
    });

    it('fails clearly when the Signed-By key is not on the host', () => {
      assert.equal(repo({ signedBy: '/etc/apt/keyrings/missing.asc' }, { signer: null }).error,
        'the Signed-By key /etc/apt/keyrings/missing.asc does not exist on the host: put it there first (aptKey)');
    });

    it('fails clearly on a host without apt', () => {
      assert.match(repo({ signedBy: '/k' }, { cache: { ...cache, supported: false, os: 'alpine' } }).error ?? '', /need apt: this host has none \(os-release ID: alpine\)/);
    });
  });

  it('names its steps from the arguments as written', () => {
    assert.equal(stepName(aptRepository({ ...base, signedBy: '/k.gpg' })), 'apt repository example');
  });

  describe('arguments', () => {
    it('refuses a private key, and text that is no key', () => {
      const priv = '-----BEGIN PGP PRIVATE KEY BLOCK-----\n...\n';
      assert.deepEqual(aptRepositoryArgs.safeParse({ ...base, signedBy: { content: priv } }).error?.issues.some((i) => i.path[0] === 'signedBy'), true);
      assert.equal(keyKind(Buffer.from(priv)), 'invalid');
      assert.equal(keyKind(Buffer.from('hello')), 'invalid');
      assert.equal(keyKind(Buffer.from([0xc6, 0x33])), 'gpg');
    });

    it('rejects hostile strings in every field with a field error, or takes them as plain words', () => {
      const fields: [string, (s: string) => Record<string, unknown>][] = [
        ['name', (s) => ({ name: s })],
        ['uris', (s) => ({ uris: s })],
        ['suites', (s) => ({ suites: s })],
        ['components', (s) => ({ components: [s] })],
        ['architectures', (s) => ({ architectures: [s] })],
      ];
      for (const s of HOSTILE) {
        for (const [field, make] of fields) {
          const r = aptRepositoryArgs.safeParse({ ...base, signedBy: '/k.gpg', ...make(s) });
          if (r.success) assert.match(s, /^[A-Za-z0-9._/+~][A-Za-z0-9._/+~-]*$/, `${field} accepted ${JSON.stringify(s)}`);
          else assert.ok(r.error.issues.some((i) => i.path[0] === field), `${field}: ${JSON.stringify(s)}: ${r.error.issues[0]?.path.join('.')}`);
        }
      }
    });

    it('never lets a value add a line to the sources file', () => {
      for (const bad of ['bookworm\nURIs: http://evil', 'main\rx', 'a b']) {
        assert.equal(aptRepositoryArgs.safeParse({ ...base, signedBy: '/k', suites: bad }).success, false);
        assert.equal(aptRepositoryArgs.safeParse({ ...base, signedBy: '/k', uris: `https://x/${bad}` }).success, false);
      }
    });
  });

  it('check mode predicts the files; later apt steps depend on the update', () => {
    const predictions = (aptRepository.definition.predicts as unknown as (a: unknown, f: unknown) => Prediction[])(
      aptRepositoryArgs.parse({ ...base, signedBy: { content: ARMOURED } }), noFiles);
    const exists = predictions.filter((p) => p.fact.name === 'file.exists').map((p) => [p.fact.key, p.value]);
    assert.deepEqual(exists, [
      ['file.exists("/etc/apt/keyrings/example.asc")', true], ['file.exists("/etc/apt/keyrings/example.gpg")', false],
      ['file.exists("/etc/apt/sources.list.d/example.sources")', true], ['file.exists("/etc/apt/sources.list.d/example.list")', false],
    ]);
    assert.deepEqual(aptRepository.definition.affects, ['apt']);
  });
});

describe('aptKey', () => {
  const facts: Parameters<typeof planAptKey>[1] = { asc: null, gpg: null, keyrings: dir };
  it('writes an armoured key to <name>.asc, a binary one to <name>.gpg, removing the other kind', () => {
    assert.deepEqual(summaries(planAptKey(aptKeyArgs.parse({ name: 'k', content: ARMOURED }), facts)), [`create /etc/apt/keyrings/k.asc (${ARMOURED.length} bytes)`]);
    assert.deepEqual(summaries(planAptKey(aptKeyArgs.parse({ name: 'k', content: BINARY }), { ...facts, asc: fileWith('old') })), [
      'create /etc/apt/keyrings/k.gpg (6 bytes)', 'remove /etc/apt/keyrings/k.asc',
    ]);
  });

  it('does nothing when the key is in place', () => {
    assert.deepEqual(planAptKey(aptKeyArgs.parse({ name: 'k', content: ARMOURED }), { ...facts, asc: fileWith(ARMOURED) }), {
      changes: [], noop: 'the key k in /etc/apt/keyrings has the wanted content',
    });
  });

  it('removes both kinds with state absent', () => {
    assert.deepEqual(summaries(planAptKey(aptKeyArgs.parse({ name: 'k', state: 'absent' }), { ...facts, asc: fileWith('a'), gpg: fileWith('b') })), [
      'remove /etc/apt/keyrings/k.asc', 'remove /etc/apt/keyrings/k.gpg',
    ]);
  });

  it('needs exactly one of content or src', () => {
    assert.equal(aptKeyArgs.safeParse({ name: 'k' }).error?.issues[0]?.path.join('.'), 'content');
    assert.equal(aptKeyArgs.safeParse({ name: 'k', content: ARMOURED, src: '/x' }).success, false);
  });

  it('is described by its name', () => {
    assert.equal(aptKey.definition.name, 'aptKey');
  });
});
