/**
 * INI value reading (Python literal syntax, as Ansible's INI plugin), host-line word
 * splitting, and host ranges. The expected values were checked with `ansible-inventory`.
 *
 *   node --import tsx --test test/inventory/ini-values.test.ts
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { expandHostPattern, splitHostPort } from '../../src/inventory/host-pattern.ts';
import { iniValue } from '../../src/inventory/py-literal.ts';
import { ShlexError, splitWords } from '../../src/inventory/shlex.ts';

describe('iniValue reads a value like Ansible', () => {
  const table: [string, unknown][] = [
    ['8080', 8080],
    ['-5', -5],
    ['0.5', 0.5],
    ['1.10', 1.1],
    ['1e3', 1000],
    ['0x1F', 31],
    ['1_000', 1000],
    ['0644', '0644'],
    ['True', true],
    ['False', false],
    ['None', null],
    ['true', 'true'],
    ['yes', 'yes'],
    ["'quoted'", 'quoted'],
    ['"eu west" # a Python comment', 'eu west'],
    ['hello # not a literal, kept whole', 'hello # not a literal, kept whole'],
    ["[1, 'two', 3.5]", [1, 'two', 3.5]],
    ["{'a': {'b': [1]}}", { a: { b: [1] } }],
    ['(1, 2)', [1, 2]],
    ['{}', {}],
    ['[]', []],
    ["'a' 'b'", 'ab'],
    ["'tab\\there'", 'tab\there'],
    ["r'raw\\n'", 'raw\\n'],
    ['[1,', '[1,'],
    ['', ''],
    ['1j', '1j'],
    ['web01', 'web01'],
    ['{{ x }}', '{{ x }}'],
    ['{True: 1}', { true: 1 }],
  ];
  for (const [text, expected] of table) {
    it(`${JSON.stringify(text)} -> ${JSON.stringify(expected)}`, () => assert.deepEqual(iniValue(text), expected));
  }
});

describe('splitWords splits a host line like a POSIX shell with # comments', () => {
  it('removes quotes and keeps quoted spaces', () => {
    assert.deepEqual(
      splitWords(`web1 motd="hello world" q='"x"' # comment`).map((w) => w.text),
      ['web1', 'motd=hello world', 'q="x"'],
    );
  });

  it('ends a word at # and records columns', () => {
    assert.deepEqual(splitWords('a=b#c d=e'), [{ text: 'a=b', col: 1 }]);
    assert.deepEqual(splitWords('  x  y'), [{ text: 'x', col: 3 }, { text: 'y', col: 6 }]);
  });

  it('handles backslashes like POSIX shlex', () => {
    assert.deepEqual(splitWords(String.raw`a\ b "c\"d" "e\f" 'g\h'`).map((w) => w.text), ['a b', 'c"d', String.raw`e\f`, String.raw`g\h`]);
  });

  it('keeps empty quoted words', () => {
    assert.deepEqual(splitWords(`x= y=""`).map((w) => w.text), ['x=', 'y=']);
  });

  it('rejects an unclosed quote with its column', () => {
    assert.throws(() => splitWords('web1 motd="hello'), (e: unknown) => e instanceof ShlexError && e.col === 11);
  });
});

describe('host ranges and ports', () => {
  it('expands numeric ranges and keeps zero padding', () => {
    assert.deepEqual(expandHostPattern('node[01:03]').hosts, ['node01', 'node02', 'node03']);
    assert.deepEqual(expandHostPattern('node[8:11]').hosts, ['node8', 'node9', 'node10', 'node11']);
  });

  it('expands letter ranges and steps', () => {
    assert.deepEqual(expandHostPattern('db-[a:f]').hosts, ['db-a', 'db-b', 'db-c', 'db-d', 'db-e', 'db-f']);
    assert.deepEqual(expandHostPattern('web[1:10:2]').hosts, ['web1', 'web3', 'web5', 'web7', 'web9']);
    assert.deepEqual(expandHostPattern('x[a:e:2]').hosts, ['xa', 'xc', 'xe']);
  });

  it('expands several ranges, left to right', () => {
    assert.deepEqual(expandHostPattern('r[1:2]-n[a:b]').hosts, ['r1-na', 'r1-nb', 'r2-na', 'r2-nb']);
  });

  it('caps the hosts of an entry at 100,000 over all its ranges, counted before expanding', () => {
    const t0 = Date.now();
    assert.throws(() => expandHostPattern('h[1:1000][1:1000]'), /host ranges in "h\[1:1000\]\[1:1000\]" expand to more than 100000 hosts/);
    assert.throws(() => expandHostPattern('h[1:100][1:100][1:100]'), /more than 100000 hosts/);
    assert.ok(Date.now() - t0 < 1_000, `refused in ${Date.now() - t0} ms`);
    assert.equal(expandHostPattern('h[1:100][1:1000]').hosts.length, 100_000);
    assert.throws(() => expandHostPattern('h[0:100000]'), /larger than 100000 hosts/);
  });

  it('splits a port off names and addresses, never off IPv6 without brackets', () => {
    assert.deepEqual(expandHostPattern('web[1:2]:2222'), { hosts: ['web1', 'web2'], port: 2222 });
    assert.deepEqual(splitHostPort('10.0.0.1:22'), { host: '10.0.0.1', port: 22 });
    assert.deepEqual(splitHostPort('[fe80::1]:22'), { host: 'fe80::1', port: 22 });
    assert.deepEqual(splitHostPort('fe80::1'), { host: 'fe80::1' });
    assert.deepEqual(splitHostPort('-bad:22'), { host: '-bad:22' }, 'not an address: kept whole, like Ansible');
  });

  it('rejects ranges that cannot be expanded', () => {
    assert.throws(() => expandHostPattern('web[5:1]'), /yields no host/);
    assert.throws(() => expandHostPattern('web[01:100]'), /same number of digits/);
    assert.throws(() => expandHostPattern('web[1:]'), /must specify an end/);
    assert.throws(() => expandHostPattern('web[1:5:0]'), /positive whole step/);
    assert.throws(() => expandHostPattern('web[f:a]'), /begin <= end/);
    assert.throws(() => expandHostPattern('web[1:2:3:4]'), /begin:end or begin:end:step/);
  });
});
