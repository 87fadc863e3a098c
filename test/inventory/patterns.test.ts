/**
 * Host patterns and --limit, with Ansible's semantics (every expected list below was
 * checked with `ansible PATTERN -i test/fixtures/inventory/yaml/hosts.yml --list-hosts`),
 * and Capstan's stricter rule: a pattern part that names nothing is an error.
 *
 *   node --import tsx --test test/inventory/patterns.test.ts
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../../src/errors.ts';
import { loadInventory } from '../../src/inventory/load.ts';
import { globToRegExp, selectHosts, splitPattern } from '../../src/inventory/patterns.ts';

const fx = (p: string) => fileURLToPath(new URL(`../fixtures/inventory/${p}`, import.meta.url));

describe('selectHosts', async () => {
  const inv = await loadInventory(fx('yaml/hosts.yml'));
  const cases: [string, string][] = [
    ['all', 'bastion loner odd1 odd5 odd9 web01 web02 web03 web-extra db-a db-b db-c db9'],
    ['*', 'bastion loner odd1 odd5 odd9 web01 web02 web03 web-extra db-a db-b db-c db9'],
    ['web', 'web01 web02 web03 web-extra'],
    ['db9', 'db9'],
    ['ungrouped', 'loner bastion'],
    ['web:db', 'web01 web02 web03 web-extra db-a db-b db-c db9'],
    ['web,db', 'web01 web02 web03 web-extra db-a db-b db-c db9'],
    ['canary:odd', 'web02 odd1 odd5 odd9'],
    ['dc:&web', 'web01 web02 web03 web-extra'],
    ['&db', 'db-a db-b db-c db9'],
    ['dc:!canary', 'web01 web03 web-extra db-a db-b db-c db9'],
    ['!canary', 'bastion loner odd1 odd5 odd9 web01 web03 web-extra db-a db-b db-c db9'],
    ['odd:web:&dc:!web02', 'web01 web03 web-extra'],
    ['web*', 'web01 web02 web03 web-extra'],
    ['web:!web0*', 'web-extra'],
    ['db-[a:b]', 'db-a db-b'],
    ['~db-[ab]', 'db-a db-b'],
    ['~web0', 'web01 web02 web03'],
    ['web[0]', 'web01'],
    ['web[-1]', 'web-extra'],
    ['dc[1:3]', 'web02 web03 web-extra'],
    ['dc[2:]', 'web03 web-extra db-a db-b db-c db9'],
    ['localhost', 'localhost'],
  ];
  for (const [pattern, expected] of cases) {
    it(`${pattern} -> ${expected}`, () => assert.equal(selectHosts(inv, pattern).join(' '), expected));
  }

  it('narrows with --limit using the same syntax', () => {
    assert.deepEqual(selectHosts(inv, 'all', 'web'), ['web01', 'web02', 'web03', 'web-extra']);
    assert.deepEqual(selectHosts(inv, 'web', 'web0*'), ['web01', 'web02', 'web03']);
    assert.deepEqual(selectHosts(inv, 'dc', '!canary'), ['web01', 'web03', 'web-extra', 'db-a', 'db-b', 'db-c', 'db9']);
    assert.deepEqual(selectHosts(inv, 'all', 'db:&dc'), ['db-a', 'db-b', 'db-c', 'db9']);
  });

  it('reads --limit @file as one host name per line, in pattern order', () => {
    assert.deepEqual(selectHosts(inv, 'all', `@${fx('limit.txt')}`), ['web03', 'db9']);
    assert.deepEqual(selectHosts(inv, 'web', '@limit.txt,web01', { cwd: fx('.') }), ['web01', 'web03']);
    assert.throws(() => selectHosts(inv, 'all', '@missing.txt', { cwd: fx('.') }), /cannot read limit file/);
  });

  it('rejects a pattern that matches no host, listing groups and suggesting the nearest', () => {
    assert.throws(
      () => selectHosts(inv, 'wbe'),
      (e: unknown) => e instanceof ConfigError && /"wbe" matches no group or host/.test(e.message) && /did you mean "web"\?/.test(e.message) && /known groups: all, ungrouped, dc, web, canary, db, odd/.test(e.message),
    );
  });

  it('rejects any part of a union, intersection or exclusion that names nothing (Ansible only warns)', () => {
    assert.throws(() => selectHosts(inv, 'web:nope'), /"nope" matches no group or host/);
    assert.throws(() => selectHosts(inv, 'web:!canry'), /did you mean "canary"/);
    assert.throws(() => selectHosts(inv, 'web:&zz*'), /"zz\*" matches no group or host/);
  });

  it('rejects an empty result and a limit that leaves nothing', () => {
    assert.throws(() => selectHosts(inv, 'canary:&odd'), /pattern "canary:&odd" matches no host/);
    assert.throws(() => selectHosts(inv, 'web', 'db'), /--limit "db" leaves no host of pattern "web"/);
  });

  it('rejects an invalid regular expression and an out-of-range subscript', () => {
    assert.throws(() => selectHosts(inv, '~web(['), /invalid regular expression/);
    assert.throws(() => selectHosts(inv, 'web[9]'), /no host at index 9/);
  });
});

describe('splitPattern', () => {
  it("splits on commas first, else on colons outside ranges, like Ansible", () => {
    assert.deepEqual(splitPattern('a:b:&c:!d'), ['a', 'b', '&c', '!d']);
    assert.deepEqual(splitPattern('a, b ,c'), ['a', 'b', 'c']);
    assert.deepEqual(splitPattern('dc:&db,odd'), ['dc:&db', 'odd']);
    assert.deepEqual(splitPattern('web[1:3]'), ['web[1:3]']);
    assert.deepEqual(splitPattern('db9:2222'), ['db9:2222']);
  });
});

describe('globToRegExp', () => {
  it("matches whole names like Python's fnmatch", () => {
    assert.equal(globToRegExp('web?').test('web1'), true);
    assert.equal(globToRegExp('web?').test('web12'), false);
    assert.equal(globToRegExp('db[!a]').test('dba'), false);
    assert.equal(globToRegExp('db[!a]').test('dbb'), true);
    assert.equal(globToRegExp('a.b').test('axb'), false);
  });
});
