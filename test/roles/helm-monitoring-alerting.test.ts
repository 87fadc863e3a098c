import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import {
  alertmanagerConfig, alertmanagerYaml, etcdEndpointsOf, helmMonitoring, k8sSecret, monitoringEtcdScrape, monitoringVars, patchEtcdScrape, renderManifests,
  type MonitoringVars,
} from '@capstan/helm-monitoring';
import { definePlaybook, Secret, validatePlaybook } from '../../src/index.ts';
import { testInventory } from '../support/inventory.ts';
import { execs, plan } from '../support/module-table.ts';
import { requires, TOOLS } from '../support/tools.ts';

const HOOK = 'https://hooks.example.net/T0KEN-canary-5e1f';
const SLACK = 'https://hooks.slack.example/services/SLACK-canary-9c2d';
const SMTP_PW = 'smtp-canary-pw-41aa';
const base = { grafana: { admin_password: new Secret('grafana-pw-0b7e') } };
const receivers = [
  { type: 'webhook', name: 'ops', url: HOOK },
  { type: 'slack', name: 'team', api_url: SLACK, channel: '#alerts', severities: ['critical'] },
  { type: 'email', name: 'oncall', to: 'oncall@example.net', from: 'k3s@example.net', smarthost: 'smtp.example.net:587', auth_username: 'k3s', auth_password: SMTP_PW, severities: ['critical'] },
];
const vars = (over: Record<string, unknown> = {}): MonitoringVars => monitoringVars.parse({ ...base, ...over });
const issues = (input: Record<string, unknown>) => monitoringVars.safeParse({ ...base, ...input }).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];
const canaries = [HOOK, SLACK, SMTP_PW];

describe('alert receivers: typed variables, routed by severity, credentials only in a Secret', () => {
  it('webhook, slack and email receivers parse; URLs and passwords become Secrets', () => {
    const a = vars({ alerting: { receivers } }).alerting;
    assert.deepEqual(a.receivers.map((r) => `${r.type}:${r.name}:${r.severities.join('|')}`), ['webhook:ops:critical|warning', 'slack:team:critical', 'email:oncall:critical']);
    const [hook, slack, mail] = a.receivers;
    assert.ok(hook?.type === 'webhook' && hook.url instanceof Secret);
    assert.ok(slack?.type === 'slack' && slack.api_url instanceof Secret);
    assert.ok(mail?.type === 'email' && mail.auth_password instanceof Secret);
  });

  it('bad receivers are refused with the path, and the message never shows a URL', () => {
    const bad = issues({ alerting: { receivers: [{ type: 'webhook', name: 'ops', url: 'ftp://T0KEN-canary' }, { type: 'pager', name: 'x' }] } });
    assert.ok(bad.some((m) => m.startsWith('alerting.receivers.0.url: webhook url must be an http(s):// URL')), bad.join('\n'));
    assert.ok(bad.some((m) => m.startsWith('alerting.receivers.1.type')), bad.join('\n'));
    assert.ok(!bad.join('\n').includes('T0KEN-canary'));
    assert.ok(issues({ alerting: { receivers: [{ type: 'webhook', name: 'a', url: HOOK }, { type: 'webhook', name: 'a', url: HOOK }] } }).some((m) => m.includes('two receivers are named a')));
    assert.ok(issues({ alerting: { receivers: [{ type: 'webhook', name: 'null', url: HOOK }] } }).some((m) => m.includes('"null" is the receiver for alerts nobody takes')));
    assert.ok(issues({ alerting: { receivers: [{ ...receivers[2], auth_password: undefined }] } }).some((m) => m.startsWith('alerting.receivers.0.auth_password: auth_username and auth_password go together')));
    assert.ok(issues({ alerting: { receivers: [{ type: 'slack', name: 's', api_url: SLACK, chanel: '#x' }] } }).some((m) => m.includes('chanel')), 'a misspelt key is an error');
  });

  it('routes each receiver its severities (continue: true), everything else to null; a critical alert inhibits its warning', () => {
    const c = alertmanagerConfig(vars({ alerting: { receivers } }).alerting) as { route: { receiver: string; routes: unknown[] }; receivers: { name: string }[]; inhibit_rules: unknown[] };
    assert.equal(c.route.receiver, 'null');
    assert.deepEqual(c.route.routes, [
      { receiver: 'ops', matchers: ['severity=~"critical|warning"'], continue: true },
      { receiver: 'team', matchers: ['severity=~"critical"'], continue: true },
      { receiver: 'oncall', matchers: ['severity=~"critical"'], continue: true },
    ]);
    assert.deepEqual(c.receivers.map((r) => r.name), ['null', 'ops', 'team', 'oncall']);
    assert.deepEqual(c.inhibit_rules, [{ source_matchers: ['severity="critical"'], target_matchers: ['severity=~"warning|info"'], equal: ['namespace', 'alertname'] }]);
  });

  it('the chart points Alertmanager at the Secret; no manifest holds a URL or password', () => {
    const v = vars({ alerting: { receivers } });
    const kps = renderManifests(v).find((m) => m.file === 'monitoring-kube-prometheus-stack.yaml');
    const spec = (parse((parse(kps?.text ?? '') as { spec: { valuesContent: string } }).spec.valuesContent) as { alertmanager: { alertmanagerSpec: Record<string, unknown> } }).alertmanager.alertmanagerSpec;
    assert.equal(spec.useExistingSecret, true);
    assert.equal(spec.configSecret, 'alertmanager-capstan');
    const text = renderManifests(v).map((m) => m.text).join('\n');
    for (const c of canaries) assert.ok(!text.includes(c), 'no credential in a manifest');
    const none = renderManifests(vars()).find((m) => m.file === 'monitoring-kube-prometheus-stack.yaml')?.text ?? '';
    assert.ok(!none.includes('useExistingSecret'), 'without receivers the chart keeps its own configuration');
  });

  it('the Secret is applied from stdin: its plan, summary and script hold no credential', () => {
    const p = plan(k8sSecret, { namespace: 'monitoring', name: 'alertmanager-capstan', data: { 'alertmanager.yaml': alertmanagerYaml(vars({ alerting: { receivers } }).alerting) } }, { digest: null });
    assert.equal(p.changes[0]?.summary, 'create Secret monitoring/alertmanager-capstan (alertmanager.yaml: values hidden)');
    const [c] = execs(p);
    assert.ok(c?.stdin instanceof Secret);
    const list = JSON.parse((c.stdin as Secret).reveal()) as { items: { data?: Record<string, string> }[] };
    assert.match(Buffer.from(list.items[1]?.data?.['alertmanager.yaml'] ?? '', 'base64').toString(), /T0KEN-canary-5e1f/);
    for (const x of canaries) assert.ok(!JSON.stringify(p).includes(x));
  });

  it('Alertmanager itself accepts the rendered configuration (amtool check-config)', { skip: requires(TOOLS.amtool) }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'amtool-'));
    writeFileSync(join(dir, 'alertmanager.yaml'), alertmanagerYaml(vars({ alerting: { receivers } }).alerting).reveal());
    const r = spawnSync('amtool', ['check-config', join(dir, 'alertmanager.yaml')], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /Found:\n - global config\n - route\n - 1 inhibit rules\n - 4 receivers/);
  });
});

describe('validate warns when alerts go nowhere', () => {
  const inv = testInventory({ server: ['server1', 'server2'] }, { server1: { ansible_host: '10.0.0.11' }, server2: { ansible_host: '10.0.0.12' } });
  const warningsFor = (params: Record<string, unknown>) =>
    validatePlaybook(definePlaybook({ name: 'p', plays: [{ name: 'm', hosts: 'server', roles: [helmMonitoring.use({ ...base, ...params })] }] }), inv, { extraVars: {}, tags: [], skipTags: [] }).warnings;

  it('no receiver: one warning naming every host', () => {
    assert.deepEqual(warningsFor({}), ['role helm-monitoring: no alert receivers (alerting.receivers is empty): the alert rules fire but alerts go nowhere; add a webhook, email or slack receiver (server1, server2)']);
  });
  it('a severity no receiver takes is named', () => {
    assert.deepEqual(warningsFor({ alerting: { receivers: [{ type: 'webhook', name: 'ops', url: HOOK, severities: ['warning'] }] } }),
      ['role helm-monitoring: no receiver takes severity critical: those alerts go nowhere; add it to a receiver\'s severities (server1, server2)']);
  });
  it('receivers for critical and warning, or Alertmanager off: no warning', () => {
    assert.deepEqual(warningsFor({ alerting: { receivers } }), []);
    assert.deepEqual(warningsFor({ kps: { enabled: false }, traefik_metrics: { service_monitor: false } }), []);
  });
});

describe('etcd metrics come from the server group, not from a variable', () => {
  const ctx = (servers: string[], first: Record<string, unknown> = {}) => ({
    groupHosts: (g: string) => (g === 'server' ? servers : []),
    hostVars: (h: string) => ({ ansible_host: `10.0.0.${servers.indexOf(h) + 11}`, ...(h === servers[0] ? first : {}) }),
  });
  it('several servers or cluster-init: every server; one SQLite server or an external datastore: none', () => {
    const v = vars();
    assert.deepEqual(etcdEndpointsOf(v, ctx(['s1', 's2', 's3'])).endpoints, ['10.0.0.11', '10.0.0.12', '10.0.0.13']);
    assert.deepEqual(etcdEndpointsOf(v, ctx(['s1'], { mode: 'cluster-init' })).endpoints, ['10.0.0.11']);
    assert.deepEqual(etcdEndpointsOf(v, ctx(['s1'])).endpoints, []);
    assert.deepEqual(etcdEndpointsOf(v, ctx(['s1', 's2'], { extra_config: { 'datastore-endpoint': 'postgres://db' } })).endpoints, []);
    assert.deepEqual(etcdEndpointsOf(vars({ etcd_endpoints: ['10.9.9.9'] }), ctx(['s1', 's2', 's3'])).endpoints, ['10.9.9.9']);
  });
  it('stage 4 patches a stage-2 manifest to exactly what stage 2 renders for the HA inventory', () => {
    const file = 'monitoring-kube-prometheus-stack.yaml';
    const single = renderManifests(vars()).find((m) => m.file === file)?.text ?? '';
    const ha = renderManifests(vars({ etcd_endpoints: ['10.0.0.11', '10.0.0.12', '10.0.0.13'] })).find((m) => m.file === file)?.text ?? '';
    assert.notEqual(single, ha);
    assert.equal(patchEtcdScrape(single, ['10.0.0.11', '10.0.0.12', '10.0.0.13']), ha);
    const args = { manifest: `/m/${file}`, endpoints: ['10.0.0.11', '10.0.0.12', '10.0.0.13'] };
    assert.match(plan(monitoringEtcdScrape, args, { m: { exists: false } }).noop ?? '', /stage 2\) is not installed/);
    assert.match(plan(monitoringEtcdScrape, args, { m: { exists: true, readable: true, text: ha, sha256: '', size: 0, mode: '0600', owner: 'root', group: 'root' } }).noop ?? '', /already scrapes etcd/);
    assert.match(plan(monitoringEtcdScrape, args, { m: { exists: true, readable: true, text: single, sha256: '', size: 0, mode: '0600', owner: 'root', group: 'root' } }).changes[0]?.summary ?? '', /scrape etcd on 10\.0\.0\.11, 10\.0\.0\.12, 10\.0\.0\.13/);
  });
});
