import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decide } from '../../src/advise/decide.ts';
import { adviseExitCode, buildReport, renderTable } from '../../src/advise/report.ts';
import { adviseCommand, type AdviseArgs } from '../../src/cli/advise.ts';
import { ConfigError } from '../../src/errors.ts';
import { ExitCode } from '../../src/events.ts';
import { palette } from '../../src/output/palette.ts';
import type { NodeReport } from '../../src/advise/types.ts';
import { agent, down, server } from './fixtures.ts';

function report(nodes: NodeReport[], sla?: number) {
  return buildReport({ inventory: ['hosts.yml'], sampleSeconds: 5, nodes, advice: decide(nodes, sla ? { uptimeSla: sla } : {}), warnings: [] });
}

describe('advise exit codes follow docs/exit-codes.md', () => {
  const cases: Array<[string, NodeReport[], number]> = [
    ['every host measured, whatever the advice', [server('s1', { cpu: 99 })], ExitCode.ok],
    ['a host unreachable', [server('s1'), down('a1', 'agent')], ExitCode.unreachable],
    ['a host measured but its output unreadable', [server('s1'), { name: 'a1', declaredRole: 'agent', status: 'failed', message: 'x' }], ExitCode.failed],
    ['both', [down('s1', 'server'), { name: 'a1', declaredRole: 'agent', status: 'failed', message: 'x' }], ExitCode.failedAndUnreachable],
  ];
  for (const [name, nodes, code] of cases) it(name, () => assert.equal(adviseExitCode(nodes), code));
});

describe('the table', () => {
  it('one row per host, the stage, the advice, why, and the commands to run with the same inventory', () => {
    const text = renderTable(report([server('server1', { cpu: 91, peak: 99 }), agent('agent1', { cpu: 3 }), down('agent2', 'agent')]), palette(false));
    const lines = text.split('\n');
    assert.match(lines[0] ?? '', /^HOST\s+ROLE\s+STATE\s+CPU avg \(peak\)\s+RAM\s+DISK\s+LOAD 1\/5\/15 \(CPUs\)\s+K3S$/);
    assert.match(text, /^server1\s+server\s+hot\s+91\.0% \(99\.0%\)\s+20\.0%\s+20\.0% \/\s+0\.10 0\.10 0\.10 \(2\)\s+server sqlite active$/m);
    assert.match(text, /^agent1\s+agent\s+ok\s+3\.0% \(3\.0%\)/m);
    assert.match(text, /^agent2\s+agent\s+unreachable\s+-/m);
    assert.match(text, /^ {2}agent2: connection refused$/m);
    assert.match(text, /^Stage now: {2}3 multi-node cluster$/m);
    assert.match(text, /^Advice: {5}add agents, staying at stage 3 multi-node cluster$/m);
    assert.match(text, /^ {5}capstan run playbooks\/stage3-multi-node\.ts -i hosts\.yml --check --diff$/m);
    assert.match(text, /^PARTIAL:/m);
  });

  it('no colour codes without a terminal', () => {
    assert.ok(!renderTable(report([server('s1')]), palette(false)).includes('\u001b['));
  });

  it('a stay verdict has no Next section', () => {
    const text = renderTable(report([server('s1')]), palette(false));
    assert.match(text, /^Advice: {5}stay at stage 1 single K3s node$/m);
    assert.doesNotMatch(text, /^Next:/m);
  });
});

describe('the JSON report', () => {
  it('is plain data with a schema version, the nodes, the advice and the exit code', () => {
    const r = JSON.parse(JSON.stringify(report([server('s1')], 99.9)));
    assert.equal(r.schemaVersion, 1);
    assert.deepEqual(r.advice.plan.map((p: { playbook: string }) => p.playbook), ['playbooks/stage4-ha.ts']);
    assert.equal(r.nodes[0].k3s.datastore, 'sqlite');
    assert.equal(r.exitCode, 0);
  });
});

describe('capstan advise flags', () => {
  const base: AdviseArgs = { inventory: ['/nonexistent/hosts.yml'], sampleSeconds: 5, prometheusWindow: '15m', forks: 10, json: false };

  it('reports every bad flag at once, before reading the inventory', async () => {
    const err = await adviseCommand({ ...base, sampleSeconds: 0, uptimeSla: 100.5, prometheus: 'ftp://x', prometheusWindow: '15 min' }, () => undefined).catch((e: unknown) => e);
    assert.ok(err instanceof ConfigError, String(err));
    assert.deepEqual(err.problems.map((p) => p.keyPath), ['--sample-seconds', '--uptime-sla', '--prometheus', '--prometheus-window']);
  });

  it('--json prints the report, and an unreachable host gives exit 4', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'capstan-advise-cli-'));
    try {
      const inv = join(dir, 'hosts.yml');
      writeFileSync(inv, 'all:\n  children:\n    server:\n      hosts:\n        localhost:\n          ansible_connection: local\n    agent:\n      hosts:\n        ghost:\n          ansible_host: 127.0.0.1\n          ansible_port: 1\n');
      let printed = '';
      const code = await adviseCommand({ ...base, inventory: [inv], sampleSeconds: 1, json: true, connectTimeoutMs: 3000 }, (s) => void (printed += s));
      assert.equal(code, ExitCode.unreachable);
      const r = JSON.parse(printed);
      assert.deepEqual(r.nodes.map((n: NodeReport) => [n.name, n.status]), [['localhost', 'ok'], ['ghost', 'unreachable']]);
      assert.equal(r.advice.partial, true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
