/**
 * Where alerts go: Alertmanager receivers as typed variables (webhook, email, Slack), routed by
 * the rules' `severity` label, rendered into one Alertmanager configuration that travels as a
 * Kubernetes Secret (key `alertmanager.yaml`), never as chart values: webhook URLs, Slack URLs
 * and SMTP passwords are credentials.
 *
 *   alerting: { receivers: [
 *     { type: 'webhook', name: 'ops', url: 'https://hooks.example.net/alert' },
 *     { type: 'slack', name: 'team', api_url: vaultedUrl, channel: '#alerts', severities: ['critical'] },
 *     { type: 'email', name: 'oncall', to: 'oncall@example.net', from: 'k3s@example.net', smarthost: 'smtp.example.net:587',
 *       auth_username: 'k3s', auth_password: vaultedPassword } ] }
 *   alertmanagerConfig(v.alerting)   // { route: { receiver: 'null', routes: [...] }, receivers: [...], inhibit_rules: [...] }
 *   alertingWarnings(v)              // ['no alert receivers: ... alerts go nowhere ...'] when none is set
 *
 * Every receiver gets the alerts of its severities (`continue: true`, so two receivers of one
 * severity both get them); an alert of a severity no receiver takes goes to `null` (nowhere),
 * which `alertingWarnings` names. A critical alert silences the warning of the same name.
 */
import { secretVar } from '@capstan/k3s-server';
import { Secret, z } from 'capstan';
import { stringify } from 'yaml';

/** The severities the role's rules (and kube-prometheus-stack's) use. */
export const SEVERITIES = ['critical', 'warning', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

const duration = z.string().regex(/^([0-9]+(ms|s|m|h|d|w|y))+$/, 'must be an Alertmanager duration such as 30s or 4h');
const receiverName = z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be lowercase letters, digits and "-"').max(63)
  .refine((n) => n !== 'null', '"null" is the receiver for alerts nobody takes');
const email = z.string().regex(/^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/, 'must be an e-mail address such as oncall@example.net');

function isHttpUrl(s: string): boolean {
  try {
    return /^https?:$/.test(new URL(s).protocol);
  } catch {
    return false;
  }
}

/** A URL that may carry a token (Slack's and most webhook URLs do): a Secret, checked without ever printing it. */
const secretUrl = (label: string) => secretVar(label).refine((s) => isHttpUrl(s.reveal()), `${label} must be an http(s):// URL (value not shown)`);

const common = {
  name: receiverName,
  severities: z.array(z.enum(SEVERITIES)).min(1).default(['critical', 'warning']).describe('alerts of these severity labels go to this receiver'),
  send_resolved: z.boolean().default(true),
};

export const webhookReceiver = z.object({
  type: z.literal('webhook'), ...common,
  url: secretUrl('webhook url'),
  max_alerts: z.number().int().min(0).default(0).describe('alerts per message, 0 for all'),
}).strict();

export const slackReceiver = z.object({
  type: z.literal('slack'), ...common,
  api_url: secretUrl('slack api_url').describe('the incoming-webhook URL (a credential)'),
  channel: z.string().regex(/^[#@]?[\w.-]+$/, 'must be a channel such as #alerts').optional(),
}).strict();

export const emailReceiver = z.object({
  type: z.literal('email'), ...common,
  to: email,
  from: email,
  smarthost: z.string().regex(/^[A-Za-z0-9.-]+:[0-9]{1,5}$/, 'must be host:port such as smtp.example.net:587'),
  auth_username: z.string().min(1).optional(),
  auth_password: secretVar('email auth_password').optional(),
  require_tls: z.boolean().default(true),
}).strict();

export const receiverVar = z.discriminatedUnion('type', [webhookReceiver, slackReceiver, emailReceiver]);
export type Receiver = z.output<typeof receiverVar>;

export const alertingVar = z.object({
  receivers: z.array(receiverVar).default([]).describe('webhook, email or slack receivers; none: alerts go nowhere (validate warns)'),
  secret_name: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/).max(253).default('alertmanager-capstan').describe('Secret holding alertmanager.yaml'),
  group_by: z.array(z.string().min(1)).default(['namespace', 'alertname']),
  group_wait: duration.default('30s'),
  group_interval: duration.default('5m'),
  repeat_interval: duration.default('12h'),
}).strict().superRefine((a, ctx) => {
  const seen = new Set<string>();
  a.receivers.forEach((r, i) => {
    if (seen.has(r.name)) ctx.addIssue({ code: 'custom', path: ['receivers', i, 'name'], message: `two receivers are named ${r.name}` });
    seen.add(r.name);
    if (r.type === 'email' && Boolean(r.auth_username) !== Boolean(r.auth_password)) ctx.addIssue({ code: 'custom', path: ['receivers', i, 'auth_password'], message: 'auth_username and auth_password go together' });
  });
});
export type Alerting = z.output<typeof alertingVar>;

function receiverConfig(r: Receiver): Record<string, unknown> {
  switch (r.type) {
    case 'webhook':
      return { name: r.name, webhook_configs: [{ url: r.url.reveal(), send_resolved: r.send_resolved, max_alerts: r.max_alerts }] };
    case 'slack':
      return {
        name: r.name,
        slack_configs: [{
          api_url: r.api_url.reveal(), send_resolved: r.send_resolved, ...(r.channel ? { channel: r.channel } : {}),
          title: '[{{ .Status | toUpper }}] {{ .CommonLabels.alertname }}',
          text: '{{ range .Alerts }}{{ .Annotations.summary }}\n{{ end }}',
        }],
      };
    case 'email':
      return {
        name: r.name,
        email_configs: [{
          to: r.to, from: r.from, smarthost: r.smarthost, require_tls: r.require_tls, send_resolved: r.send_resolved,
          ...(r.auth_username ? { auth_username: r.auth_username, auth_password: r.auth_password?.reveal() } : {}),
        }],
      };
  }
}

/** The Alertmanager configuration (a plain object: it holds credentials, so it only leaves as a Secret). */
export function alertmanagerConfig(a: Alerting): Record<string, unknown> {
  return {
    route: {
      receiver: 'null',
      group_by: a.group_by,
      group_wait: a.group_wait,
      group_interval: a.group_interval,
      repeat_interval: a.repeat_interval,
      routes: a.receivers.map((r) => ({ receiver: r.name, matchers: [`severity=~"${r.severities.join('|')}"`], continue: true })),
    },
    receivers: [{ name: 'null' }, ...a.receivers.map(receiverConfig)],
    inhibit_rules: [{ source_matchers: ['severity="critical"'], target_matchers: ['severity=~"warning|info"'], equal: ['namespace', 'alertname'] }],
  };
}

/** `alertmanager.yaml` as a Secret. */
export function alertmanagerYaml(a: Alerting): Secret {
  return new Secret(stringify(alertmanagerConfig(a), { lineWidth: 0 }), 'alertmanager.yaml');
}

/** Severities of the role's rules that no receiver takes. */
export function unroutedSeverities(a: Alerting): Severity[] {
  const taken = new Set(a.receivers.flatMap((r) => r.severities));
  return (['critical', 'warning'] as const).filter((s) => !taken.has(s));
}

/** What `capstan validate` warns about: alerts that reach nobody. `ownConfig`: the user set alertmanager.config in kps.values. */
export function alertingWarnings(a: Alerting, o: { alertmanager: boolean; ownConfig: boolean }): string[] {
  if (!o.alertmanager || o.ownConfig) return [];
  if (a.receivers.length === 0) return ['no alert receivers (alerting.receivers is empty): the alert rules fire but alerts go nowhere; add a webhook, email or slack receiver'];
  const lost = unroutedSeverities(a);
  return lost.length ? [`no receiver takes severity ${lost.join(' or ')}: those alerts go nowhere; add it to a receiver's severities`] : [];
}
