/**
 * A firing alert reaches someone: Debian's real Alertmanager runs with exactly the
 * configuration the helm-monitoring role renders into its Secret, two webhook receivers
 * listen on loopback, and alerts shaped like the role's own rules (labels from `ruleGroups`,
 * the rules promtool tests) are posted to Alertmanager's API. Each receiver gets the alerts of
 * its severities, and nothing else.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alertmanagerYaml, monitoringVars, ruleGroups, type Rule } from '@capstan/helm-monitoring';
import { Secret } from '../../src/index.ts';
import { requires, TOOLS } from '../support/tools.ts';
import { waitFor } from '../support/wait.ts';

interface Delivery { receiver: string; status: string; alerts: { labels: Record<string, string>; annotations: Record<string, string> }[] }

/** A webhook receiver on 127.0.0.1: every POSTed notification, parsed. */
async function listener(): Promise<{ server: Server; url: string; got: Delivery[] }> {
  const got: Delivery[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      got.push(JSON.parse(body) as Delivery);
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/alert`, got };
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

const rule = (name: string): Rule => {
  const all = Object.values(ruleGroups(monitoringVars.parse({ grafana: { admin_password: new Secret('x') } }).alerts)).flatMap((g) => g.groups.flatMap((x) => x.rules));
  const r = all.find((x) => x.alert === name);
  assert.ok(r, `the role has rule ${name}`);
  return r;
};

describe('alerts reach a webhook through the real Alertmanager with the configuration the role renders', { skip: requires(TOOLS.alertmanager) }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'alertmanager-'));
  let am: ChildProcess | undefined;
  let api = '';
  let critical: Awaited<ReturnType<typeof listener>>;
  let warning: Awaited<ReturnType<typeof listener>>;
  const log: string[] = [];

  before(async () => {
    [critical, warning] = [await listener(), await listener()];
    const v = monitoringVars.parse({
      grafana: { admin_password: new Secret('x') },
      alerting: {
        group_wait: '1s', group_interval: '1s',
        receivers: [
          { type: 'webhook', name: 'oncall', url: critical.url, severities: ['critical'] },
          { type: 'webhook', name: 'team', url: warning.url, severities: ['warning'] },
        ],
      },
    });
    const config = join(dir, 'alertmanager.yaml');
    writeFileSync(config, alertmanagerYaml(v.alerting).reveal(), { mode: 0o600 });
    const check = spawnSync('amtool', ['check-config', config], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(check.status, 0, `${check.stdout}${check.stderr}`);
    const port = await freePort();
    api = `http://127.0.0.1:${port}`;
    am = spawn('prometheus-alertmanager', [`--config.file=${config}`, `--storage.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address='],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    am.stderr?.on('data', (c: Buffer) => log.push(c.toString()));
    await waitFor('Alertmanager to be ready', async () => (await fetch(`${api}/-/ready`).catch(() => undefined))?.ok === true, { timeoutMs: 30_000, intervalMs: 200 });
  });

  after(async () => {
    am?.kill('SIGTERM');
    await Promise.all([critical, warning].map((l) => new Promise((r) => l?.server.close(r))));
    rmSync(dir, { recursive: true, force: true });
  });

  it('a firing K3sNodeDown (critical) reaches the critical receiver; K3sScaleOutCPU (warning) the warning receiver; neither gets the other', async () => {
    const post = (r: Rule, instance: string) => ({
      labels: { alertname: r.alert ?? '', instance, ...r.labels },
      annotations: { summary: `${r.alert} on ${instance}` },
      startsAt: new Date().toISOString(),
    });
    const res = await fetch(`${api}/api/v2/alerts`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify([post(rule('K3sNodeDown'), 'server1:9100'), post(rule('K3sScaleOutCPU'), 'server2:9100')]),
    });
    assert.equal(res.status, 200, await res.text());
    await waitFor('both receivers to be notified', () => critical.got.length > 0 && warning.got.length > 0, { timeoutMs: 30_000, intervalMs: 100 })
      .catch((e: Error) => assert.fail(`${e.message}\nalertmanager log:\n${log.join('')}`));
    const names = (l: Delivery[]) => l.flatMap((d) => d.alerts.map((a) => `${d.receiver} ${d.status} ${a.labels.alertname} ${a.labels.severity} ${a.labels.instance}`));
    assert.deepEqual(names(critical.got), ['oncall firing K3sNodeDown critical server1:9100']);
    assert.deepEqual(names(warning.got), ['team firing K3sScaleOutCPU warning server2:9100']);
    assert.equal(critical.got[0]?.alerts[0]?.annotations.summary, 'K3sNodeDown on server1:9100');
    // Alertmanager's own account of the routing: each alert is in one group, of its receiver only
    const groups = await (await fetch(`${api}/api/v2/alerts/groups`)).json() as { receiver: { name: string }; alerts: { labels: Record<string, string> }[] }[];
    const routed = groups.flatMap((g) => g.alerts.map((a) => `${a.labels.alertname} -> ${g.receiver.name}`)).sort();
    assert.deepEqual(routed, ['K3sNodeDown -> oncall', 'K3sScaleOutCPU -> team']);
  });
});
