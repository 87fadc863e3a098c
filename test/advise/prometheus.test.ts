import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adviseQueries, durationSeconds, instantQuery, matchHost, prometheusMetrics } from '../../src/advise/prometheus.ts';
import { advise, mergePrometheus } from '../../src/advise/run.ts';
import { decide } from '../../src/advise/decide.ts';
import { loadInventoryView } from '../../src/inventory/view.ts';
import { connectorFactory } from '../../src/cli/connectors.ts';
import { server } from './fixtures.ts';

type Series = Array<{ metric: Record<string, string>; value: number }>;

/** A small HTTP server that answers GET /prefix/api/v1/query like Prometheus, from a table keyed by query kind. */
class FakePrometheus {
  private http: Server | undefined;
  readonly queries: string[] = [];
  readonly authorizations: Array<string | undefined> = [];
  constructor(private readonly answer: (query: string) => { status: number; body: unknown }) {}
  async start(): Promise<string> {
    this.http = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (req.method !== 'GET' || url.pathname !== '/prom/api/v1/query') {
        res.writeHead(404).end('404 page not found');
        return;
      }
      const q = url.searchParams.get('query') ?? '';
      this.authorizations.push(req.headers.authorization);
      this.queries.push(q);
      const a = this.answer(q);
      res.writeHead(a.status, { 'content-type': 'application/json' }).end(typeof a.body === 'string' ? a.body : JSON.stringify(a.body));
    });
    await new Promise<void>((r) => this.http!.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.http.address() as AddressInfo).port}/prom`;
  }
  async stop(): Promise<void> {
    await new Promise((r) => this.http?.close(r));
  }
}

const vector = (series: Series) => ({
  status: 200,
  body: { status: 'success', data: { resultType: 'vector', result: series.map((s) => ({ metric: s.metric, value: [1764170000.123, String(s.value)] })) } },
});

/** Sustained figures by query kind, per series labels. */
function cluster(cpuAvg: Series, cpuPeak: Series, mem: Series) {
  return (q: string) => (q.startsWith('max_over_time') ? vector(cpuPeak) : q.includes('node_cpu_seconds_total') ? vector(cpuAvg) : q.includes('MemAvailable') ? vector(mem) : { status: 400, body: { status: 'error', errorType: 'bad_data', error: 'unknown query' } });
}

describe('Prometheus: sustained utilisation over the query API', () => {
  const prom = new FakePrometheus(cluster(
    [{ metric: { instance: '10.0.0.5:9100' }, value: 83.4 }, { metric: { instance: 'agent1:9100' }, value: 12 }, { metric: { instance: '10.9.9.9:9100' }, value: 99 }],
    [{ metric: { instance: '10.0.0.5:9100' }, value: 97.5 }, { metric: { instance: 'agent1:9100' }, value: 30 }],
    [{ metric: { instance: '10.0.0.5:9100' }, value: 61.2 }, { metric: { node: 'agent1' }, value: 40 }],
  ));
  let url = '';
  before(async () => void (url = await prom.start()));
  after(() => prom.stop());

  it('averages over the window, takes the peak from a one-minute subquery, and matches series to hosts', async () => {
    const r = await prometheusMetrics({ url, window: '15m' }, [
      { name: 'server1', address: '10.0.0.5' }, { name: 'agent1', address: '10.0.0.6' }, { name: 'agent2', address: '10.0.0.7' },
    ]);
    assert.deepEqual(r.byHost.get('server1'), { cpu: { average: 83.4, peak: 97.5, source: 'prometheus', windowSeconds: 900 }, memory: { percent: 61.2, source: 'prometheus' } });
    assert.deepEqual(r.byHost.get('agent1')?.cpu, { average: 12, peak: 30, source: 'prometheus', windowSeconds: 900 });
    assert.deepEqual(r.missing, ['agent2']);
    assert.ok(prom.queries.some((q) => q.includes('[15m]')), 'the range is the window');
    assert.ok(prom.queries.some((q) => q.startsWith('avg_over_time(') && q.includes('[15m:1m]')), 'memory is averaged over the window');
  });

  it('a 15-minute average above 80% makes a single node hot: move to stage 3', async () => {
    const r = await prometheusMetrics({ url, window: '15m' }, [{ name: 'server1', address: '10.0.0.5' }]);
    const advice = decide(mergePrometheus([server('server1', { cpu: 5 })], r));
    assert.equal(advice.target, 3);
    assert.match(advice.reasons.join('\n'), /server1: CPU 83\.4% on average over 15m \(Prometheus\)/);
  });

  it('credentials in the URL go as Basic auth and never into messages or the report', async () => {
    const withCreds = url.replace('http://', 'http://ops:s3cr%40t@');
    await instantQuery(withCreds, adviseQueries('15m').memory);
    assert.equal(prom.authorizations.at(-1), `Basic ${Buffer.from('ops:s3cr@t').toString('base64')}`);
    const err = await instantQuery(withCreds, 'up{').catch((e: Error) => e);
    assert.ok(err instanceof Error && !err.message.includes('s3cr'), String(err));
    assert.match(err.message, /ops:\*\*\*@127\.0\.0\.1/);
  });

  it('an error answer names what Prometheus said', async () => {
    await assert.rejects(instantQuery(url, 'up{'), /rejected the query \(bad_data\): unknown query/);
  });
});

describe('Prometheus: failures are explained', () => {
  it('an answer that is not JSON', async () => {
    const prom = new FakePrometheus(() => ({ status: 502, body: '<html>Bad Gateway</html>' }));
    const url = await prom.start();
    try {
      await assert.rejects(instantQuery(url, 'up'), /answered HTTP 502 with something that is not JSON/);
    } finally {
      await prom.stop();
    }
  });

  it('a matrix where a vector was expected', async () => {
    const prom = new FakePrometheus(() => ({ status: 200, body: { status: 'success', data: { resultType: 'matrix', result: [] } } }));
    const url = await prom.start();
    try {
      await assert.rejects(instantQuery(url, 'up[5m]'), /without an instant vector/);
    } finally {
      await prom.stop();
    }
  });

  it('nobody listening', async () => {
    const prom = new FakePrometheus(() => vector([]));
    const url = await prom.start();
    await prom.stop();
    await assert.rejects(instantQuery(url, 'up', 2000), /did not answer/);
  });
});

describe('Prometheus: helpers', () => {
  it('durations', () => {
    assert.equal(durationSeconds('15m'), 900);
    assert.equal(durationSeconds('1h30m'), 5400);
    assert.throws(() => durationSeconds('15 minutes'), /not a Prometheus duration/);
  });
  it('host matching by instance (port and IPv6 brackets dropped), node or nodename', () => {
    const hosts = [{ name: 's1', address: '10.0.0.5' }, { name: 's2', address: 'fd00::2' }];
    assert.equal(matchHost({ instance: '10.0.0.5:9100' }, hosts), 's1');
    assert.equal(matchHost({ instance: '[fd00::2]:9100' }, hosts), 's2');
    assert.equal(matchHost({ instance: 'x:9100', nodename: 's2' }, hosts), 's2');
    assert.equal(matchHost({ instance: '10.0.0.50:9100' }, hosts), undefined);
  });
  it('the CPU queries treat idle and iowait as idle, like the monitoring stack\'s rules', () => {
    assert.match(adviseQueries('15m').cpuAverage, /mode=~"idle\|iowait"/);
  });
});

describe('advise() with --prometheus: Prometheus figures replace the SSH sample, and its absence is a warning', () => {
  let dir = '';
  let inventory = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'capstan-advise-prom-'));
    inventory = join(dir, 'hosts.yml');
    writeFileSync(inventory, 'all:\n  children:\n    server:\n      hosts:\n        localhost:\n          ansible_connection: local\n');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('uses the series of the host', async () => {
    const prom = new FakePrometheus(cluster([{ metric: { node: 'localhost' }, value: 85 }], [{ metric: { node: 'localhost' }, value: 90 }], [{ metric: { node: 'localhost' }, value: 50 }]));
    const url = await prom.start();
    try {
      const report = await advise(await loadInventoryView([inventory]), connectorFactory({}), { inventory: [inventory], sampleSeconds: 1, prometheus: { url, window: '15m' } });
      assert.deepEqual(report.nodes[0]?.metrics?.cpu, { average: 85, peak: 90, source: 'prometheus', windowSeconds: 900 });
      assert.deepEqual(report.prometheus, { url, window: '15m', hosts: ['localhost'] });
      assert.equal(report.exitCode, 0);
    } finally {
      await prom.stop();
    }
  });

  it('falls back to the SSH sample when Prometheus does not answer', async () => {
    const prom = new FakePrometheus(() => vector([]));
    const url = await prom.start();
    await prom.stop();
    const report = await advise(await loadInventoryView([inventory]), connectorFactory({}), { inventory: [inventory], sampleSeconds: 1, prometheus: { url, window: '15m' } });
    assert.notEqual(report.nodes[0]?.metrics?.cpu.source, 'prometheus');
    assert.equal(report.prometheus, null);
    assert.match(report.warnings.join('\n'), /did not answer.*used the SSH sample instead/);
  });
});
