import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseIpAddr } from '../../src/facts/network.ts';

describe('network addresses from `ip -o addr show`', () => {
  it('reads IPv4 and IPv6 addresses with their interface, prefix and scope', () => {
    const out = [
      '1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever',
      '1: lo    inet6 ::1/128 scope host \\       valid_lft forever preferred_lft forever',
      '42: eth0@if43    inet 10.213.118.2/24 brd 10.213.118.255 scope global eth0\\       valid_lft forever preferred_lft forever',
      '42: eth0@if43    inet6 fe80::42:aff:fed5:7602/64 scope link \\       valid_lft forever preferred_lft forever',
      '',
    ].join('\n');
    assert.deepEqual(parseIpAddr(out), [
      { iface: 'lo', family: 'inet', address: '127.0.0.1', prefix: 8, scope: 'host' },
      { iface: 'lo', family: 'inet6', address: '::1', prefix: 128, scope: 'host' },
      { iface: 'eth0', family: 'inet', address: '10.213.118.2', prefix: 24, scope: 'global' },
      { iface: 'eth0', family: 'inet6', address: 'fe80::42:aff:fed5:7602', prefix: 64, scope: 'link' },
    ]);
  });

  it('is empty when ip is missing or prints nothing', () => {
    assert.deepEqual(parseIpAddr(''), []);
  });
});
