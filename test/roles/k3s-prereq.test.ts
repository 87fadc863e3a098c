import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { afterOpening, iptablesIsBuggy, k3sOpenings, parseFirewall, parsePreflight, planFirewall, planPreflight, prereqVars, type FirewallState } from '@capstan/k3s-prereq';
import type { Plan } from '../../src/index.ts';

const scripts = (p: Plan) => p.changes.flatMap((c) => c.actions.flatMap((a) => (a.kind === 'exec' ? [String(a.command.script)] : [])));
const trusted = ['10.42.0.0/16', '10.43.0.0/16'];
const base = { embedded_etcd: false, wireguard: false, embedded_registry: false };

describe('k3s-prereq: the openings a node needs', () => {
  it('a server opens the API, Flannel VXLAN and kubelet; an agent only the last two', () => {
    assert.deepEqual(k3sOpenings({ node_role: 'server', ...base }).map((p) => `${p.ports}/${p.proto}`), ['6443/tcp', '8472/udp', '10250/tcp']);
    assert.deepEqual(k3sOpenings({ node_role: 'agent', ...base }).map((p) => `${p.ports}/${p.proto}`), ['8472/udp', '10250/tcp']);
  });

  it('embedded etcd adds 2379-2380/tcp on servers only; WireGuard and the registry add theirs everywhere', () => {
    const all = { embedded_etcd: true, wireguard: true, embedded_registry: true };
    assert.deepEqual(k3sOpenings({ node_role: 'server', ...all }).map((p) => p.ports), ['6443', '2379-2380', '8472', '10250', '51820-51821', '5001']);
    assert.deepEqual(k3sOpenings({ node_role: 'agent', ...all }).map((p) => p.ports), ['8472', '10250', '51820-51821', '5001']);
  });
});

describe('k3s-prereq: firewall', () => {
  const openings = k3sOpenings({ node_role: 'server', ...base, embedded_etcd: true });

  it('reads which firewall is active and what it allows', () => {
    assert.deepEqual(parseFirewall('none\n'), { kind: 'none' });
    assert.deepEqual(parseFirewall('ufw\nallow 22/tcp\nallow 6443/tcp\n'), { kind: 'ufw', rules: ['allow 22/tcp', 'allow 6443/tcp'] });
    assert.deepEqual(parseFirewall('firewalld\nports 22/tcp 6443/tcp\ntrusted 10.42.0.0/16\n'), { kind: 'firewalld', ports: ['22/tcp', '6443/tcp'], trusted: ['10.42.0.0/16'] });
    assert.deepEqual(parseFirewall('firewalld\nports \ntrusted \n'), { kind: 'firewalld', ports: [], trusted: [] });
  });

  it('without an active firewall there is nothing to open', () => {
    assert.match(planFirewall({ openings, trusted }, { kind: 'none' }).noop ?? '', /no active firewall/);
  });

  it('ufw: adds only the missing rules, ranges written with a colon', () => {
    const p = planFirewall({ openings, trusted }, { kind: 'ufw', rules: ['allow 6443/tcp', 'allow from 10.42.0.0/16'] });
    assert.deepEqual(scripts(p), ['ufw allow 2379:2380/tcp', 'ufw allow 8472/udp', 'ufw allow 10250/tcp', 'ufw allow from 10.43.0.0/16']);
  });

  it('firewalld: adds ports and trusted sources permanently, then reloads once', () => {
    const p = planFirewall({ openings, trusted }, { kind: 'firewalld', ports: ['8472/udp'], trusted: ['10.43.0.0/16'] });
    const s = scripts(p);
    assert.ok(s.includes('firewall-cmd --permanent --add-port=2379-2380/tcp'), s.join('\n'));
    assert.ok(s.includes('firewall-cmd --permanent --zone=trusted --add-source=10.42.0.0/16'));
    assert.ok(!s.some((x) => x.includes('8472')), 'an existing port is not added again');
    assert.equal(s.at(-1), 'firewall-cmd --reload');
    assert.equal(s.filter((x) => x.includes('--reload')).length, 1);
  });

  it('once the openings are made, the same plan is a no-op (what --check tells later steps)', () => {
    for (const fw of [{ kind: 'ufw', rules: [] }, { kind: 'firewalld', ports: [], trusted: [] }, { kind: 'none' }] as FirewallState[]) {
      const p = planFirewall({ openings, trusted }, afterOpening({ openings, trusted }, fw));
      assert.equal(p.changes.length, 0, `${fw.kind}: ${JSON.stringify(p)}`);
    }
  });
});

describe('k3s-prereq: preflight', () => {
  const ok = parsePreflight('init=systemd\nmemcg=1\niptables=1.8.9\nipv6=0\n');

  it('reads init system, memory cgroup, iptables version and global IPv6', () => {
    assert.deepEqual(ok, { init: 'systemd', memoryCgroup: true, iptablesVersion: '1.8.9', globalIpv6: false });
    assert.deepEqual(parsePreflight('init=openrc\nmemcg=0\niptables=\nipv6=1\n'), { init: 'openrc', memoryCgroup: false, iptablesVersion: null, globalIpv6: true });
  });

  it('passes a host that can run K3s', () => {
    assert.match(planPreflight(ok, false).noop ?? '', /systemd, memory cgroup enabled, iptables 1\.8\.9/);
  });

  it('fails without the memory cgroup, telling how to enable it', () => {
    assert.match(planPreflight({ ...ok, memoryCgroup: false }, false).error ?? '', /cgroup_memory=1 cgroup_enable=memory.*reboot/);
  });

  it('fails without systemd or OpenRC', () => {
    assert.match(planPreflight({ ...ok, init: 'none' }, false).error ?? '', /no systemd or OpenRC/);
  });

  it('iptables 1.8.0 to 1.8.4 fail unless allowed (with prefer-bundled-bin on the K3s roles)', () => {
    assert.deepEqual(['1.8.0', '1.8.4', '1.8.5', '1.8.10', '1.6.2', null].map(iptablesIsBuggy), [true, true, false, false, false, false]);
    assert.match(planPreflight({ ...ok, iptablesVersion: '1.8.4' }, false).error ?? '', /prefer-bundled-bin/);
    assert.ok(planPreflight({ ...ok, iptablesVersion: '1.8.4' }, true).noop);
  });
});

describe('k3s-prereq: variables', () => {
  it('defaults: firewall managed, K3s default networks, IPv6 forwarding when the host has a global address', () => {
    const v = prereqVars.parse({});
    assert.equal(v.manage_firewall, true);
    assert.equal(v.cluster_cidr, '10.42.0.0/16');
    assert.equal(v.ipv6_forwarding, 'auto');
    assert.equal(v.sysctl_file, '/etc/sysctl.d/90-k3s.conf');
  });

  it('refuses a network that is not CIDR and a sysctl file outside /etc/sysctl.d', () => {
    const r = prereqVars.safeParse({ cluster_cidr: '10.42.0.0', sysctl_file: '/etc/passwd' });
    assert.ok(!r.success);
    assert.deepEqual(r.error.issues.map((i) => i.path.join('.')).sort(), ['cluster_cidr', 'sysctl_file']);
  });
});
