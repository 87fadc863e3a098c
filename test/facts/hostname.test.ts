/**
 * The host name fact: table tests of the parser, and the real command on the controller.
 *
 *   node --import tsx --test test/facts/hostname.test.ts
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { describe, it } from 'node:test';
import { hostnameState, parseHostnameState, type HostnameState } from '../../src/facts/hostname.ts';

describe('parseHostnameState', () => {
  const table: { name: string; out: string; want: HostnameState }[] = [
    { name: 'a systemd host', out: 'static=web1\nlive=web1\nhostnamectl=yes\nbind=no\n', want: { static: 'web1', live: 'web1', hostnamectl: true, bindMounted: false } },
    { name: 'a container with a bind-mounted /etc/hostname', out: 'static=node1\nlive=node1\nhostnamectl=yes\nbind=yes\n', want: { static: 'node1', live: 'node1', hostnamectl: true, bindMounted: true } },
    { name: 'no /etc/hostname, no systemd', out: 'static=\nlive=localhost\nhostnamectl=no\nbind=no\n', want: { static: '', live: 'localhost', hostnamectl: false, bindMounted: false } },
  ];
  for (const row of table) it(row.name, () => assert.deepEqual(parseHostnameState(row.out), row.want));
  it('refuses output without the live name', () => assert.throws(() => parseHostnameState('static=x\n'), /unexpected hostname output/));
});

describe('the host name command, on the controller', () => {
  it('reports the live name the kernel has', () => {
    const ref = hostnameState();
    const r = spawnSync('sh', ['-c', ref.script], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(ref.parse(r.stdout, 0).live, hostname());
  });
});
