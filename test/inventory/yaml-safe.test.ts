/**
 * YAML 1.2 with limits (RELIABILITY.md promise 9), as used for inventories and variable files.
 *
 *   node --import tsx --test test/inventory/yaml-safe.test.ts
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../../src/errors.ts';
import { loadYaml, parseYamlStrict, scalarProblem } from '../../src/inventory/yaml-safe.ts';

function problemsOf(text: string): ConfigError['problems'] {
  try {
    loadYaml(text, 'x.yml');
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${String(e)}`);
    return e.problems;
  }
  assert.fail('expected the YAML to be rejected');
}

describe('loadYaml', () => {
  it('reads YAML 1.2 values and says where each key is', () => {
    const doc = loadYaml('a:\n  b: 1\n  list:\n    - x\n    - y\n', 'x.yml');
    assert.deepEqual(doc.value, { a: { b: 1, list: ['x', 'y'] } });
    assert.deepEqual(doc.locate(['a', 'b']), { line: 2, col: 3 });
    assert.deepEqual(doc.locate(['a', 'list', 1]), { line: 5, col: 7 });
    assert.deepEqual(doc.locate(['a', 'missing']), { line: 1, col: 1 }, 'falls back to the nearest located parent');
  });

  it('rejects duplicate keys with file:line:col and the key path', () => {
    const [p, ...rest] = problemsOf('all:\n  vars:\n    x: 1\n    x: 2\n');
    assert.equal(rest.length, 0);
    assert.equal(p?.file, 'x.yml');
    assert.equal(p?.line, 4);
    assert.equal(p?.col, 5);
    assert.equal(p?.keyPath, 'all.vars.x');
    assert.match(p?.message ?? '', /duplicate key "x" \(first written at line 3\)/);
  });

  it('rejects an unquoted 0644 because YAML 1.2 reads it as decimal 644', () => {
    const [p] = problemsOf('mode: 0644\n');
    assert.match(p?.message ?? '', /decimal number 644/);
    assert.match(p?.hint ?? '', /'0644'/);
    assert.deepEqual([p?.line, p?.col, p?.keyPath], [1, 7, 'mode']);
  });

  it('accepts quoted modes and explicit octal', () => {
    assert.deepEqual(loadYaml("a: '0644'\nb: 0o644\nc: 0\nd: 10\n", 'x.yml').value, { a: '0644', b: 420, c: 0, d: 10 });
  });

  it('rejects floats that drop a trailing zero, like version: 1.10', () => {
    const [p] = problemsOf('version: 1.10\n');
    assert.match(p?.message ?? '', /read as the number 1\.1/);
    assert.equal(loadYaml("version: '1.10'\nratio: 0.5\n", 'x.yml').value !== undefined, true);
  });

  it('rejects unquoted YAML 1.1 booleans (yes/no/on/off), which Ansible reads as booleans', () => {
    const problems = problemsOf('a: yes\nb: no\nc: On\nd: true\n');
    assert.deepEqual(problems.map((p) => p.keyPath), ['a', 'b', 'c']);
    assert.deepEqual(loadYaml("a: 'yes'\nb: true\n", 'x.yml').value, { a: 'yes', b: true });
  });

  it('rejects integers too large to be exact', () => {
    const [p] = problemsOf('id: 12345678901234567890\n');
    assert.match(p?.message ?? '', /cannot be represented exactly/);
  });

  it('stops an alias bomb (billion laughs) with the location of the first alias', () => {
    const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (const [prev, cur] of [['a', 'b'], ['b', 'c'], ['c', 'd'], ['d', 'e'], ['e', 'f']]) levels.push(`${cur}: &${cur} [${Array(9).fill(`*${prev}`).join(',')}]`);
    const [p] = problemsOf(`${levels.join('\n')}\n`);
    assert.match(p?.message ?? '', /aliases expand too far/);
    assert.deepEqual([p?.line, p?.keyPath], [2, 'b[0]']);
  });

  it('allows a few aliases and merge keys', () => {
    const doc = loadYaml('base: &base { user: ops }\nweb: { <<: *base, port: 22 }\n', 'x.yml');
    assert.deepEqual(doc.value, { base: { user: 'ops' }, web: { user: 'ops', port: 22 } });
  });

  it('reports syntax errors with file:line:col and the enclosing key', () => {
    const [p] = problemsOf('all:\n  hosts:\n    web1:\n      packages: [nginx, certbot\n    web2:\n');
    assert.equal(p?.line, 5);
    assert.equal(p?.col, 5);
    assert.match(p?.message ?? '', /^invalid YAML: /);
    assert.match(p?.keyPath ?? '', /^all\.hosts\.web1/);
  });

  it('reports every problem of a file together', () => {
    assert.equal(problemsOf('a: 0755\nb: 2.50\nc: off\n').length, 3);
  });

  it('refuses vault-encrypted values and unknown tags', () => {
    assert.match(problemsOf('pw: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n')[0]?.message ?? '', /vault-encrypted/);
    assert.equal(problemsOf('x: !custom 1\n').length, 1);
  });

  it("marks Ansible's !unsafe values as literal text", () => {
    const doc = loadYaml('x: !unsafe "{{ raw }}"\n', 'x.yml');
    assert.deepEqual(doc.value, { x: '{{ raw }}' });
    assert.equal(doc.unsafe.size, 1);
  });

  it('keeps __proto__ as an ordinary key', () => {
    const value = parseYamlStrict('__proto__: { polluted: 1 }\n', 'x.yml') as Record<string, unknown>;
    assert.deepEqual(Object.keys(value), ['__proto__']);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it('refuses several documents in one file', () => {
    assert.match(problemsOf('a: 1\n---\nb: 2\n')[0]?.message ?? '', /one document/);
  });
});

describe('scalarProblem', () => {
  const cases: [string, unknown, RegExp | undefined][] = [
    ['0644', 644, /decimal/],
    ['-012', -12, /decimal/],
    ['1.10', 1.1, /trailing zero/],
    ['1.0', 1, /trailing zero/],
    ['1.5', 1.5, undefined],
    ['0', 0, undefined],
    ['yes', 'yes', /YAML 1\.1/],
    ['NO', 'NO', /YAML 1\.1/],
    ['y', 'y', undefined],
    ['1e3', 1000, undefined],
    ['0.30000000000000000001', 0.3, /exactly/],
  ];
  for (const [src, value, expected] of cases) {
    it(`${src} -> ${expected ? 'rejected' : 'accepted'}`, () => {
      const p = scalarProblem(src, value);
      if (expected) assert.match(p?.message ?? '(none)', expected);
      else assert.equal(p, undefined);
    });
  }
});
