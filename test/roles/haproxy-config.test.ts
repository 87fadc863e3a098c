import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { haproxyCfgArgs, haproxyVars, keepalivedConfArgs, vrrpRole, type Backend, type HaproxyVars } from '@capstan/haproxy';
import { renderArgs, templateArgs } from '../../src/modules/template.ts';
import { findTool, requires, TOOLS } from '../support/tools.ts';

const golden = (name: string) => fileURLToPath(new URL(`../../roles/haproxy/test/golden/${name}`, import.meta.url));

/** Compares with the golden file; CAPSTAN_UPDATE_GOLDEN=1 rewrites it instead. */
function assertGolden(name: string, actual: string): void {
  if (process.env.CAPSTAN_UPDATE_GOLDEN === '1') writeFileSync(golden(name), actual);
  assert.equal(actual, readFileSync(golden(name), 'utf8'), `golden file ${name}`);
}

/** The text the role's template step writes, rendered exactly as the template module does. */
function rendered(args: unknown): string {
  const r = renderArgs(templateArgs.parse(args));
  if (!r.ok) assert.fail(r.error);
  return r.text;
}

/** The real tools, on the controller (under CI never skipped: see test/support/tools.ts). */
const HAPROXY = findTool(TOOLS.haproxy.command) ?? TOOLS.haproxy.command;
const KEEPALIVED = findTool(TOOLS.keepalived.command) ?? TOOLS.keepalived.command;

/** Runs a checker on the text in a temp file: exit status and its messages. */
function check(argv: (file: string) => string[], text: string): { status: number | null; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'capstan-haproxy-test-'));
  try {
    const file = join(dir, 'candidate.cfg');
    writeFileSync(file, text);
    const [cmd, ...args] = argv(file);
    const r = spawnSync(cmd ?? '', args, { encoding: 'utf8' });
    return { status: r.status, out: `${r.stdout}${r.stderr}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const haproxyCheck = (text: string) => check((f) => [HAPROXY, '-c', '-f', f], text);
const keepalivedCheck = (text: string) => check((f) => [KEEPALIVED, '-t', '-f', f], text);

const three: Backend[] = [
  { name: 'server-1', address: '10.10.10.50', port: 6443 },
  { name: 'server-2', address: '10.10.10.51', port: 6443 },
  { name: 'server-3', address: '10.10.10.52', port: 6443 },
];
const vars = (over: Record<string, unknown> = {}): HaproxyVars => haproxyVars.parse(over);

describe('haproxy.cfg rendering', () => {
  it('defaults: the K3s docs layout, TCP on *:6443, L4 checks on every server, long timeouts, no metrics frontend', () => {
    const text = rendered(haproxyCfgArgs(vars(), three));
    assertGolden('haproxy-default.cfg', text);
    assert.match(text, /^ {4}bind \*:6443$/m);
    for (const b of three) assert.match(text, new RegExp(`^ {4}server ${b.name} ${b.address}:6443 check$`, 'm'));
    assert.ok(!text.includes('prometheus-exporter'));
  });

  it('everything set: leastconn, short checks, IPv6 and DNS backends, metrics frontend with the Prometheus exporter', () => {
    const v = vars({
      frontend_bind: '[::]:7443', balance: 'leastconn', check_inter: '2s', check_downinter: '1s', check_rise: 1, check_fall: 2,
      timeouts: { connect: '3s', client: '30m', server: '30m', check: '2s' }, metrics_frontend: { enabled: true, bind: '127.0.0.1:8404' },
    });
    const backends: Backend[] = [{ name: 'v6', address: 'fd00::5', port: 6443 }, { name: 'dns.name', address: 'localhost', port: 16443 }];
    const text = rendered(haproxyCfgArgs(v, backends));
    assertGolden('haproxy-full.cfg', text);
    assert.match(text, /^ {4}server v6 \[fd00::5\]:6443 check$/m);
    assert.match(text, /^ {4}http-request use-service prometheus-exporter if \{ path \/metrics \}$/m);
  });

  it('the role validates with haproxy -c on the temp file (%s), before it replaces the live one', () => {
    const a = haproxyCfgArgs(vars(), three);
    assert.equal(a.validate, 'haproxy -c -f %s');
    assert.equal(a.dest, '/etc/haproxy/haproxy.cfg');
    assert.equal(templateArgs.parse(a).validate, 'haproxy -c -f %s');
  });
});

describe('haproxy -c on the controller accepts what the role renders', { skip: requires(TOOLS.haproxy) }, () => {
  it('the default and the full configuration are valid, with no warning', () => {
    for (const name of ['haproxy-default.cfg', 'haproxy-full.cfg']) {
      const r = haproxyCheck(readFileSync(golden(name), 'utf8'));
      assert.equal(r.status, 0, `${name}: ${r.out}`);
      assert.ok(!/WARNING|ALERT/.test(r.out), `${name}: ${r.out}`);
    }
  });

  it('and refuses a backend whose DNS name does not resolve, naming it: the check that keeps a bad file off the live path', () => {
    const text = rendered(haproxyCfgArgs(vars(), [...three, { name: 'typo', address: 'no-such-server.invalid', port: 6443 }]));
    const r = haproxyCheck(text);
    assert.notEqual(r.status, 0);
    assert.match(r.out, /could not resolve address 'no-such-server\.invalid'/);
  });
});

describe('keepalived.conf rendering', () => {
  const k = (over: Record<string, unknown> = {}) => vars({ keepalived: { enabled: true, vip: '10.10.10.100/24', interface: 'eth1', ...over } }).keepalived;

  it('first host of the play is MASTER with priority 200, the others BACKUP 100, 99, ...; maps override', () => {
    const hosts = ['lb1', 'lb2', 'lb3'];
    assert.deepEqual(hosts.map((h) => vrrpRole(k(), h, hosts)), [
      { state: 'MASTER', priority: 200 }, { state: 'BACKUP', priority: 100 }, { state: 'BACKUP', priority: 99 },
    ]);
    const chosen = k({ state: { lb2: 'MASTER', lb1: 'BACKUP' }, priority: { lb2: 250, lb1: 150 } });
    assert.deepEqual(vrrpRole(chosen, 'lb2', hosts), { state: 'MASTER', priority: 250 });
    assert.deepEqual(vrrpRole(chosen, 'lb1', hosts), { state: 'BACKUP', priority: 150 });
    assert.deepEqual(vrrpRole(k({ priority: { __proto__: 7 } }), 'constructor', hosts), { state: 'MASTER', priority: 200 });
  });

  it('master and backup files match the K3s docs structure', () => {
    assertGolden('keepalived-master.conf', rendered(keepalivedConfArgs(k(), 'lb1', ['lb1', 'lb2'])));
    assertGolden('keepalived-backup.conf', rendered(keepalivedConfArgs(k(), 'lb2', ['lb1', 'lb2'])));
    assert.equal(keepalivedConfArgs(k(), 'lb1', ['lb1']).validate, 'keepalived -t -f %s');
  });

  it('is not rendered when keepalived is off', () => {
    assert.throws(() => keepalivedConfArgs(vars().keepalived, 'lb1', ['lb1']), /needs keepalived enabled/);
  });
});

/** A non-loopback interface of this machine: keepalived -t refuses interfaces that do not exist. */
const iface = Object.entries(networkInterfaces()).find(([, addrs]) => addrs?.some((a) => !a.internal))?.[0];

describe('keepalived -t on the controller accepts what the role renders', { skip: requires(TOOLS.keepalived, TOOLS.killall) || (!iface && 'no network interface') }, () => {
  it('master and backup configurations are valid', () => {
    for (const host of ['lb1', 'lb2']) {
      const kv = vars({ keepalived: { enabled: true, vip: '10.10.10.100/24', interface: iface } }).keepalived;
      const r = keepalivedCheck(rendered(keepalivedConfArgs(kv, host, ['lb1', 'lb2'])));
      assert.equal(r.status, 0, `${host}: ${r.out}`);
    }
  });

  it('and refuses an interface the host does not have', () => {
    const kv = vars({ keepalived: { enabled: true, vip: '10.10.10.100/24', interface: 'nosuch0' } }).keepalived;
    const r = keepalivedCheck(rendered(keepalivedConfArgs(kv, 'lb1', ['lb1'])));
    assert.notEqual(r.status, 0);
    assert.match(r.out, /interface nosuch0 .*doesn't exist/);
  });
});
