import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { haproxyPortGuard, parseHaproxyBuild, parsePortUse, planExporterGuard, portUse, type PortUse } from '@capstan/haproxy';
import type { Plan } from '../../src/index.ts';
import { findTool, requires, TOOLS } from '../support/tools.ts';

/** The guard's plan for arguments and a fact value: facts in, plan out. */
function plan(args: unknown, use: PortUse): Plan {
  const def = haproxyPortGuard.definition as unknown as { args: { parse(a: unknown): unknown }; plan(a: unknown, f: unknown): Plan };
  return def.plan(def.args.parse(args), { use });
}

const front = { ports: [{ port: 6443, variable: 'frontend_bind' }] };
const both = { ports: [{ port: 6443, variable: 'frontend_bind' }, { port: 8404, variable: 'metrics_frontend.bind' }] };

describe('listeners fact: ss output in, listeners out', () => {
  it('reads each port block, the local address and the processes holding it', () => {
    const out = [
      'port:6443',
      'LISTEN 0      4096         0.0.0.0:6443      0.0.0.0:*    users:(("haproxy",pid=812,fd=7),("haproxy",pid=811,fd=7))',
      'port:8404',
      'LISTEN 0      4096            [::]:8404         [::]:*    users:(("k3s-server",pid=99,fd=12))',
      'k3s-unit',
      'haproxy-running',
    ].join('\n');
    assert.deepEqual(parsePortUse(out), {
      ss: true, k3sUnit: true, haproxyRunning: true,
      listeners: {
        6443: [{ local: '0.0.0.0:6443', processes: [{ name: 'haproxy', pid: 812 }, { name: 'haproxy', pid: 811 }] }],
        8404: [{ local: '[::]:8404', processes: [{ name: 'k3s-server', pid: 99 }] }],
      },
    });
  });

  it('free ports, and a host without ss', () => {
    assert.deepEqual(parsePortUse('port:6443\n'), { ss: true, k3sUnit: false, haproxyRunning: false, listeners: { 6443: [] } });
    assert.deepEqual(parsePortUse('no-ss\n'), { ss: false, k3sUnit: false, haproxyRunning: false, listeners: {} });
  });

  it('the probe is read-only and filters by port', () => {
    const script = portUse({ ports: [6443, 8404] }).script;
    assert.match(script, /ss -Hltnp 'sport = :6443'/);
    assert.match(script, /ss -Hltnp 'sport = :8404'/);
    assert.ok(!/\b(rm|mv|kill|systemctl (start|stop|restart))\b/.test(script), script);
  });
});

describe('port guard plan', () => {
  const free: PortUse = { ss: true, k3sUnit: false, haproxyRunning: false, listeners: { 6443: [], 8404: [] } };

  it('free ports, or ports HAProxy itself holds (a re-run), are fine', () => {
    assert.match(plan(both, free).noop ?? '', /6443, 8404: free, or held by HAProxy itself/);
    const own: PortUse = { ...free, listeners: { 6443: [{ local: '*:6443', processes: [{ name: 'haproxy', pid: 5 }] }] } };
    assert.equal(plan(front, own).changes.length, 0);
    assert.equal(plan(front, own).error, undefined);
  });

  it('another program on a port fails, naming it and the variable', () => {
    const taken: PortUse = { ...free, listeners: { 8404: [{ local: '0.0.0.0:8404', processes: [{ name: 'python3', pid: 42 }] }] } };
    assert.match(plan(both, taken).error ?? '', /port 8404 \(metrics_frontend\.bind\) is already in use on this host: 0\.0\.0\.0:8404 \(python3 pid 42\)/);
  });

  it('a listener whose owner cannot be seen is a clash, unless HAProxy is running (then it is taken to be HAProxy, and said so)', () => {
    const unknown: PortUse = { ...free, listeners: { 6443: [{ local: '[::]:6443', processes: [] }] } };
    assert.match(plan(front, unknown).error ?? '', /\[::\]:6443 \(unknown process\)/);
    const running = plan(front, { ...unknown, haproxyRunning: true });
    assert.equal(running.error, undefined);
    assert.match(running.noop ?? '', /owner cannot be seen while HAProxy runs \(taken to be HAProxy\)/);
    const other: PortUse = { ...free, haproxyRunning: true, listeners: { 6443: [{ local: '*:6443', processes: [{ name: 'nginx', pid: 3 }] }] } };
    assert.match(plan(front, other).error ?? '', /nginx pid 3/);
  });

  it('a K3s server on the host (its unit installed, even stopped) refuses a frontend on 6443, not on another port', () => {
    const k3s: PortUse = { ...free, k3sUnit: true };
    assert.match(plan(front, k3s).error ?? '', /k3s\.service is installed on this host.*6443 \(frontend_bind\)/);
    assert.equal(plan({ ports: [{ port: 7443, variable: 'frontend_bind' }] }, k3s).error, undefined);
  });

  it('without ss it cannot see, and says so instead of guessing', () => {
    assert.match(plan(front, { ss: false, k3sUnit: false, haproxyRunning: false, listeners: {} }).noop ?? '', /cannot see listeners/);
  });
});

describe('exporter guard: haproxy -vv in, Prometheus exporter or a clear failure out', () => {
  const vv = (services: string) => [
    'HAProxy version 2.6.12-1+deb12u4 2026/10/17 - https://haproxy.org/',
    'Status: long-term supported branch - will stop receiving fixes around Q2 2027.',
    'Built with the Prometheus exporter as a service',
    `Available services : ${services}`,
  ].join('\n');

  it('reads the version and the available services', () => {
    assert.deepEqual(parseHaproxyBuild(vv('prometheus-exporter')), { installed: true, version: '2.6.12-1+deb12u4', prometheusExporter: true });
    assert.deepEqual(parseHaproxyBuild(vv('none')), { installed: true, version: '2.6.12-1+deb12u4', prometheusExporter: false });
    assert.deepEqual(parseHaproxyBuild('no-haproxy\n'), { installed: false, version: null, prometheusExporter: false });
  });

  it('passes with the exporter, fails without it or without haproxy, saying what to do', () => {
    assert.match(planExporterGuard(parseHaproxyBuild(vv('prometheus-exporter'))).noop ?? '', /HAProxy 2\.6\.12-1\+deb12u4 has the Prometheus exporter/);
    assert.match(planExporterGuard(parseHaproxyBuild(vv('none'))).error ?? '', /built without the Prometheus exporter.*set metrics_frontend\.enabled to false/);
    assert.match(planExporterGuard(parseHaproxyBuild('no-haproxy')).error ?? '', /haproxy is not installed/);
  });

  it('the Debian haproxy on this machine has it', { skip: requires(TOOLS.haproxy) }, () => {
    const r = spawnSync(findTool(TOOLS.haproxy.command) ?? TOOLS.haproxy.command, ['-vv'], { encoding: 'utf8' });
    assert.equal(parseHaproxyBuild(`${r.stdout}${r.stderr}`).prometheusExporter, true);
  });
});
