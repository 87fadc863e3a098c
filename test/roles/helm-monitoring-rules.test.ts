import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { loadDashboard, monitoringVars, ruleGroups, rulesFileYaml, type Alerts } from '@capstan/helm-monitoring';
import { requires, TOOLS } from '../support/tools.ts';

const skip = requires(TOOLS.promtool);
const unitTests = fileURLToPath(new URL('../../roles/helm-monitoring/test/promtool/rules.test.yaml', import.meta.url));
const defaults = (alerts: Record<string, unknown> = {}): Alerts => monitoringVars.parse({ grafana: { admin_password: 'x' }, alerts }).alerts;

/** Writes the rules next to a copy of the promtool unit tests and runs promtool on them. */
function run(args: (dir: string) => string[], rules: string): { status: number | null; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'promtool-'));
  writeFileSync(join(dir, 'rules.yaml'), rules);
  copyFileSync(unitTests, join(dir, 'rules.test.yaml'));
  const r = spawnSync('promtool', args(dir), { cwd: dir, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('helm-monitoring alert rules through promtool', { skip }, () => {
  it('promtool check rules accepts every group', () => {
    const r = run(() => ['check', 'rules', 'rules.yaml'], rulesFileYaml(defaults()));
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /SUCCESS: 12 rules found/);
  });

  it('promtool test rules: each alert fires above its threshold, not below, and only after its for:', () => {
    const r = run(() => ['test', 'rules', 'rules.test.yaml'], rulesFileYaml(defaults()));
    assert.equal(r.status, 0, r.out);
  });

  it('the unit tests bite: a higher CPU threshold, or a longer for:, makes them fail', () => {
    const higher = run(() => ['test', 'rules', 'rules.test.yaml'], rulesFileYaml(defaults({ cpu_scale_out_pct: 95 })));
    assert.notEqual(higher.status, 0);
    assert.match(higher.out, /alertname: K3sScaleOutCPU, time: 36m/);
    const longer = run(() => ['test', 'rules', 'rules.test.yaml'], rulesFileYaml(defaults({ mem_for: '20m' })));
    assert.notEqual(longer.status, 0);
    assert.match(longer.out, /alertname: K3sScaleOutMemory, time: 16m/);
  });

  it('promtool check rules rejects a broken expression (the check is real)', () => {
    const r = run(() => ['check', 'rules', 'rules.yaml'], 'groups:\n  - name: broken\n    rules:\n      - alert: Broken\n        expr: sum(rate(x[5m])\n');
    assert.notEqual(r.status, 0);
  });

  it('every dashboard query is valid PromQL (variables replaced by sample values)', () => {
    const sample: Record<string, string> = { instance: 'node1:9100', namespace: 'default', entrypoint: 'websecure', service: 'default-app-80@kubernetes', search: 'error' };
    const rules = ['k3s', 'traefik', 'app'].flatMap((n) => {
      const d = loadDashboard(n as 'k3s');
      return (d.panels as { datasource?: { type?: string }; targets?: { expr?: string }[] }[])
        .filter((p) => p.datasource?.type === 'prometheus')
        .flatMap((p) => (p.targets ?? []).map((t) => t.expr ?? ''))
        .map((expr, i) => ({ record: `dashboard:${n}:q${i}`, expr: expr.replace(/\$(\w+)/g, (_m, v: string) => sample[v] ?? `unknown-variable-${v}`) }));
    });
    assert.ok(rules.length >= 25);
    for (const r of rules) assert.ok(!r.expr.includes('unknown-variable'), r.expr);
    const r = run(() => ['check', 'rules', 'rules.yaml'], JSON.stringify({ groups: [{ name: 'dashboards', rules }] }));
    assert.equal(r.status, 0, r.out);
  });
});

describe('helm-monitoring alert rules as data', () => {
  it('thresholds and for: durations are inputs', () => {
    const groups = ruleGroups(defaults({ cpu_scale_out_pct: 75, cpu_for: '45m', http_5xx_ratio: 0.02 }));
    const rules = Object.values(groups).flatMap((g) => g.groups.flatMap((x) => x.rules));
    const cpu = rules.find((r) => r.alert === 'K3sScaleOutCPU');
    assert.equal(cpu?.expr, 'instance:node_cpu_utilisation:percent > 75');
    assert.equal(cpu?.for, '45m');
    assert.match(rules.find((r) => r.alert === 'TraefikServiceHigh5xxRatio')?.expr ?? '', /> 0\.02$/);
    assert.equal(rules.find((r) => r.record === 'cluster:k3s_stay_single_node:bool')?.expr, 'cluster:node_cpu_utilisation:avg_percent < bool 70');
  });

  it('without Traefik metrics the Traefik group is left out; annotations keep their {{ }} templates', () => {
    assert.deepEqual(Object.keys(ruleGroups(defaults(), false)), ['k3s-capacity']);
    const file = parse(rulesFileYaml(defaults())) as { groups: { rules: { annotations?: Record<string, string> }[] }[] };
    assert.match(file.groups[0]?.rules[4]?.annotations?.description ?? '', /\{\{ printf "%\.0f" \$value \}\}/);
  });
});
