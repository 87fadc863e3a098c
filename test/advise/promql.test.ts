/**
 * The advisor's PromQL, evaluated by Prometheus's own engine (`promtool test rules`) over
 * synthetic node-exporter series: what --prometheus reads is what these numbers say.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { adviseQueries } from '../../src/advise/prometheus.ts';
import { requires, TOOLS } from '../support/tools.ts';

const skip = requires(TOOLS.promtool);

/** Series one minute apart for 30 minutes (promtool's expanding notation). */
const series = [
  // n1: one CPU, idle 9 s a minute -> 85% busy all along
  { series: 'node_cpu_seconds_total{instance="n1:9100",cpu="0",mode="idle"}', values: '0+9x30' },
  { series: 'node_cpu_seconds_total{instance="n1:9100",cpu="0",mode="user"}', values: '0+51x30' },
  // n2: two CPUs; cpu0 idle, cpu1 half idle and 10% iowait -> (1 + 0.6) / 2 idle -> 20% busy
  { series: 'node_cpu_seconds_total{instance="n2:9100",cpu="0",mode="idle"}', values: '0+60x30' },
  { series: 'node_cpu_seconds_total{instance="n2:9100",cpu="1",mode="idle"}', values: '0+30x30' },
  { series: 'node_cpu_seconds_total{instance="n2:9100",cpu="1",mode="iowait"}', values: '0+6x30' },
  // n3: idle for 25 minutes, then fully busy for 5: a spike at the end of the window
  { series: 'node_cpu_seconds_total{instance="n3:9100",cpu="0",mode="idle"}', values: '0+60x25 1500+0x5' },
  { series: 'node_memory_MemAvailable_bytes{instance="n1:9100"}', values: '250x30' },
  { series: 'node_memory_MemTotal_bytes{instance="n1:9100"}', values: '1000x30' },
];

function promtoolTest(expectations: Array<{ expr: string; samples: Array<{ labels: string; value: number }> }>): { status: number | null; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'capstan-advise-promql-'));
  try {
    writeFileSync(join(dir, 'rules.yaml'), 'groups: []\n');
    writeFileSync(join(dir, 'test.yaml'), stringify({
      rule_files: ['rules.yaml'],
      evaluation_interval: '1m',
      tests: [{
        interval: '1m',
        input_series: series,
        promql_expr_test: expectations.map((e) => ({ expr: e.expr, eval_time: '30m', exp_samples: e.samples.map((s) => ({ labels: s.labels, value: s.value })) })),
      }],
    }));
    const r = spawnSync('promtool', ['test', 'rules', 'test.yaml'], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    return { status: r.status, out: `${r.stdout}${r.stderr}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Rounded to 0.01 so the test reads as the numbers it means; promtool compares exactly otherwise. */
const rounded = (expr: string) => `round(${expr}, 0.01)`;

describe('the advisor\'s PromQL in Prometheus\'s engine', { skip }, () => {
  const q = adviseQueries('15m');

  it('CPU average over 15m: busy share per instance, idle and iowait counted as idle', () => {
    const r = promtoolTest([{ expr: rounded(q.cpuAverage), samples: [
      { labels: '{instance="n1:9100"}', value: 85 },
      { labels: '{instance="n2:9100"}', value: 20 },
      { labels: '{instance="n3:9100"}', value: 33.33 },
    ] }]);
    assert.equal(r.status, 0, r.out);
  });

  it('CPU peak: the spike at the end of n3\'s window shows, while its average stays low', () => {
    const r = promtoolTest([{ expr: rounded(q.cpuPeak), samples: [
      { labels: '{instance="n1:9100"}', value: 85 },
      { labels: '{instance="n2:9100"}', value: 20 },
      { labels: '{instance="n3:9100"}', value: 100 },
    ] }]);
    assert.equal(r.status, 0, r.out);
  });

  it('memory averaged over 15m: MemAvailable against MemTotal', () => {
    const r = promtoolTest([{ expr: rounded(q.memory), samples: [{ labels: '{instance="n1:9100"}', value: 75 }] }]);
    assert.equal(r.status, 0, r.out);
  });

  it('the check bites: a wrong expectation fails', () => {
    const r = promtoolTest([{ expr: rounded(q.memory), samples: [{ labels: '{instance="n1:9100"}', value: 74 }] }]);
    assert.notEqual(r.status, 0, r.out);
  });
});
