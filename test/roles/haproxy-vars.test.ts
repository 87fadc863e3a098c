import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { backend, bindsClash, haproxy, haproxyCfgArgs, haproxyPackages, haproxyVars, resolveBackends, type HaproxyVars } from '@capstan/haproxy';
import { ConfigError, definePlaybook, validatePlaybook } from '../../src/index.ts';
import { renderArgs, templateArgs } from '../../src/modules/template.ts';
import { testInventory } from '../support/inventory.ts';

const opts = { extraVars: {}, tags: [], skipTags: [] };

/** Validates a play of the role against an inventory; the ConfigError it raises before connecting. */
function problems(params: Record<string, unknown>, groups: Record<string, string[]> = { lb: ['lb1'], server: ['s1'] }, hostVars: Record<string, Record<string, unknown>> = {}): ConfigError {
  const pb = definePlaybook({ plays: [{ name: 'lb', hosts: 'lb', become: true, roles: [haproxy.use(params as never)] }] });
  try {
    validatePlaybook(pb, testInventory(groups, hostVars), opts);
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e;
  }
  assert.fail('expected validation to fail before connecting');
}

const HOSTILE = [
  '', ' ', 'a b', "it's", '"', '\\', '$(touch /tmp/PWNED)', '`touch /tmp/PWNED`', '${IFS}', '$HOME', 'a;touch /tmp/PWNED',
  'a&&touch /tmp/PWNED', 'a|tee /tmp/PWNED', 'line1\nline2', 'cr\r', 'tab\tx', '-rf', '--help', '-oProxyCommand=touch /tmp/PWNED',
  '*', '~', '!', '#comment', '%s%n', "'; rm -rf / #", '<%= process.env %>', '{{ 7*7 }}', 'é中😀', '\u202eRTL', 'ANSI\u001b[31mred',
  '../../etc/passwd', '__proto__', 'constructor', 'delimiter', 'debug', 'x'.repeat(100000), '0644', 'no', 'null', 'a\u0000b',
];

describe('haproxy role variables', () => {
  it('defaults follow the spec: *:6443, roundrobin, inter 10s downinter 5s, long timeouts, metrics and keepalived off', () => {
    const v = haproxyVars.parse({});
    assert.equal(v.frontend_bind, '*:6443');
    assert.equal(v.balance, 'roundrobin');
    assert.deepEqual([v.check_inter, v.check_downinter], ['10s', '5s']);
    assert.deepEqual(v.timeouts, { connect: '5s', client: '1h', server: '1h', check: '10s' });
    assert.deepEqual(v.metrics_frontend, { enabled: false, bind: ':8404' });
    assert.equal(v.keepalived.enabled, false);
    assert.equal(v.backends, undefined);
    assert.equal(v.backends_group, 'server');
    assert.deepEqual(haproxyPackages(v), ['haproxy']);
    assert.deepEqual(haproxyPackages(haproxyVars.parse({ keepalived: { enabled: true, vip: '10.0.0.9/24', interface: 'eth0' } })), ['haproxy', 'keepalived', 'psmisc']);
  });

  it('a backend port defaults to 6443; IPv4, IPv6 and DNS names are addresses', () => {
    assert.deepEqual(backend.parse({ name: 'server-1', address: '10.0.0.5' }), { name: 'server-1', address: '10.0.0.5', port: 6443 });
    for (const address of ['fd00::5', '::1', 'k3s-1.example.lan', 'localhost']) assert.ok(backend.safeParse({ name: 's', address }).success, address);
    for (const address of ['10.0.0.256', '[fd00::5]', '10.0.0.5:6443', 'http://x', '-x.lan']) assert.ok(!backend.safeParse({ name: 's', address }).success, address);
  });

  it('every hostile string is refused as a backend name and as an address, or is a plain word', () => {
    for (const s of HOSTILE) {
      for (const field of ['name', 'address'] as const) {
        const r = backend.safeParse({ name: 'ok', address: '10.0.0.5', [field]: s });
        if (r.success) assert.match(s, /^[A-Za-z0-9][A-Za-z0-9._-]*$/, `${field} ${JSON.stringify(s.slice(0, 40))} was accepted`);
        else assert.deepEqual(r.error.issues[0]?.path, [field], JSON.stringify(s.slice(0, 40)));
      }
    }
  });

  it('the template escaper is a second line of defence: an unchecked name is quoted as one word, a newline refused', () => {
    const v = haproxyVars.parse({});
    const text = (name: string) => renderArgs(templateArgs.parse(haproxyCfgArgs(v, [{ name, address: '10.0.0.5', port: 6443 }])));
    const quoted = text("it's #1");
    assert.ok(quoted.ok && quoted.text.includes(`server 'it'\\''s #1' 10.0.0.5:6443 check`));
    const refused = text('a\nserver evil 6.6.6.6:6443');
    assert.ok(!refused.ok && /newline/.test(refused.error));
  });

  it('durations need a unit; binds need a port; bad values name their variable, all at once', () => {
    const e = problems({
      check_inter: 10, check_downinter: '5', timeouts: { client: '1 h' }, frontend_bind: '6443', balance: 'random',
      metrics_frontend: { enabled: true, bind: 'localhost:8404' },
      backends: [{ name: 'a b', address: '$(touch /tmp/PWNED)', port: 70000 }],
    });
    const paths = new Set(e.problems.map((p) => p.keyPath));
    for (const p of ['check_inter', 'check_downinter', 'timeouts.client', 'frontend_bind', 'balance', 'metrics_frontend.bind', 'backends.0.name', 'backends.0.address', 'backends.0.port']) {
      assert.ok(paths.has(p), `${p} in ${[...paths].join(', ')}`);
    }
    assert.match(e.message, /host lb1: role haproxy/);
  });

  it('duplicate backend names, an empty list, an unknown key and a metrics port on the frontend port are refused', () => {
    const dup = problems({ backends: [{ name: 's', address: '10.0.0.5' }, { name: 's', address: '10.0.0.6' }] });
    assert.ok(dup.problems.some((p) => p.keyPath === 'backends.1.name' && /duplicate backend name s/.test(p.message)));
    assert.ok(problems({ backends: [] }).problems.some((p) => p.keyPath === 'backends'));
    assert.ok(problems({ backend: [] }).problems.some((p) => /backend/.test(p.message)));
    const clash = problems({ metrics_frontend: { enabled: true, bind: ':6443' } });
    assert.ok(clash.problems.some((p) => p.keyPath === 'metrics_frontend.bind' && /clashes with frontend_bind/.test(p.message)));
    assert.equal(bindsClash('127.0.0.1:8404', '10.0.0.1:8404'), false);
    assert.equal(bindsClash('*:8404', '10.0.0.1:8404'), true);
  });

  it('keepalived needs a CIDR address and an interface once enabled', () => {
    const e = problems({ keepalived: { enabled: true, vip: '10.10.10.100', virtual_router_id: 0 } });
    const paths = new Set(e.problems.map((p) => p.keyPath));
    for (const p of ['keepalived.vip', 'keepalived.virtual_router_id']) assert.ok(paths.has(p), `${p} in ${[...paths].join(', ')}`);
    const missing = problems({ keepalived: { enabled: true } });
    for (const p of ['keepalived.vip', 'keepalived.interface']) assert.ok(missing.problems.some((x) => x.keyPath === p), p);
    assert.ok(problems({ keepalived: { enabled: true, vip: '10.0.0.9/24', interface: 'eth0; reboot' } }).problems.some((p) => p.keyPath === 'keepalived.interface'));
  });
});

describe('backends from the inventory', () => {
  const v = (over: Partial<HaproxyVars> = {}) => ({ ...haproxyVars.parse({}), ...over });

  it('every host of backends_group, at its ansible_host, on backend_port, in inventory order', () => {
    const inv = { groupHosts: (g: string) => (g === 'server' ? ['server1', 'server2'] : []), hostVars: (h: string) => (h === 'server1' ? { ansible_host: '10.0.0.5' } : {}) };
    assert.deepEqual(resolveBackends(v(), inv), [{ name: 'server1', address: '10.0.0.5', port: 6443 }, { name: 'server2', address: 'server2', port: 6443 }]);
    assert.deepEqual(resolveBackends(v({ backend_port: 7443 }), inv).map((b) => b.port), [7443, 7443]);
  });

  it('given backends win over the group', () => {
    const inv = { groupHosts: () => ['x'], hostVars: () => ({}) };
    assert.deepEqual(resolveBackends(v({ backends: [{ name: 'a', address: '10.0.0.1', port: 1 }] }), inv), [{ name: 'a', address: '10.0.0.1', port: 1 }]);
  });

  it('an empty group, or a host whose name or address could not be written safely, fails before connecting', () => {
    assert.match(problems({}, { lb: ['lb1'] }).message, /no backends: the inventory group "server" has no hosts/);
    const e = problems({}, { lb: ['lb1'], server: ['s1', 's2'] }, { s2: { ansible_host: '10.0.0.6 backup' } });
    assert.match(e.message, /backend from inventory host "s2" \(group server\) is refused: address must be an IPv4 address/);
    assert.equal(e.problems[0]?.keyPath, 'backends');
  });

  it('the role builds its steps in order, with the reload handler on the validated config', () => {
    const ctx = { host: 'lb1', playHosts: ['lb1'], groupHosts: () => ['s1'], hostVars: () => ({ ansible_host: '10.0.0.5' }) };
    const steps = haproxy.definition.steps(haproxyVars.parse({ metrics_frontend: { enabled: true } }), ctx);
    assert.deepEqual(steps.map((s) => s.options.name), [
      'load balancer ports are free', 'load balancer packages', 'HAProxy has the Prometheus exporter',
      'haproxy.cfg: 1 K3s API backends (checked with haproxy -c)', 'haproxy enabled and running',
    ]);
    const cfg = steps[3];
    assert.ok(cfg?.kind === 'module');
    assert.equal(cfg.options.notify, 'reload haproxy');
    assert.equal((cfg.args as { validate: string }).validate, 'haproxy -c -f %s');
    assert.deepEqual((steps[0]?.kind === 'module' && steps[0].args) || undefined, { ports: [{ port: 6443, variable: 'frontend_bind' }, { port: 8404, variable: 'metrics_frontend.bind' }] });
    const withVip = haproxy.definition.steps(haproxyVars.parse({ keepalived: { enabled: true, vip: '10.0.0.9/24', interface: 'eth0' } }), ctx);
    assert.ok(!withVip.some((s) => s.options.name === 'HAProxy has the Prometheus exporter'), 'no exporter guard without a metrics frontend');
    assert.deepEqual(withVip.slice(4).map((s) => s.options.name), ['keepalived.conf (checked with keepalived -t)', 'keepalived enabled and running']);
    assert.deepEqual(Object.keys(haproxy.definition.handlers?.(haproxyVars.parse({})) ?? {}), ['reload haproxy', 'restart keepalived']);
  });
});
