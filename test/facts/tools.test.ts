/**
 * Which programs a host has: the parser keeps the order asked, the command refuses names
 * that are not program names, and finds `sh` on the controller.
 *
 *   node --import tsx --test test/facts/tools.test.ts
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { commandsAvailable, parseAvailable } from '../../src/facts/tools.ts';

describe('commandsAvailable', () => {
  const table: { out: string; names: string[]; want: string[] }[] = [
    { out: '', names: ['curl', 'wget'], want: [] },
    { out: 'python3\ncurl\n', names: ['curl', 'wget', 'python3'], want: ['curl', 'python3'] },
    { out: 'curl\nsomething-else\n', names: ['curl'], want: ['curl'] },
  ];
  for (const row of table) it(`${JSON.stringify(row.out)} -> ${row.want.join(',')}`, () => assert.deepEqual(parseAvailable(row.out, row.names), row.want));

  it('refuses a name that is not a program name', () => {
    assert.throws(() => commandsAvailable(['curl; touch /tmp/PWNED']).script, /not a program name/);
    assert.throws(() => commandsAvailable(['-rf']).script, /not a program name/);
  });

  it('finds sh and not a made-up program, on the controller', () => {
    const ref = commandsAvailable(['sh', 'capstan-no-such-program']);
    const r = spawnSync('sh', ['-c', ref.script], { encoding: 'utf8' });
    assert.deepEqual(ref.parse(r.stdout, r.status ?? 1), ['sh']);
  });
});
