/**
 * Role `haproxy`: the external TCP load balancer in front of the K3s API and supervisor
 * (port 6443), optionally with keepalived holding a floating address, and a Prometheus
 * endpoint (HAProxy's built-in exporter).
 *
 *   import { haproxy } from '@capstan/haproxy';
 *   definePlaybook({ plays: [{ name: 'load balancer', hosts: 'lb', become: true, roles: [haproxy.use({
 *     backends: [{ name: 'server1', address: '10.10.10.50' }, { name: 'server2', address: '10.10.10.51' }],
 *     metrics_frontend: { enabled: true, bind: ':8404' },
 *   })] }] });
 *
 * Steps: refuse a port another program holds (or 6443 on a K3s server); install haproxy
 * (and keepalived + psmisc); with a metrics frontend, make sure HAProxy has its Prometheus
 * exporter; render haproxy.cfg, check it with `haproxy -c` on the uploaded
 * temp file and only then rename it over the live one; keep haproxy enabled and running;
 * on a change, reload it (master-worker reload: old workers finish their connections, the
 * listening sockets are handed over, nothing is dropped). keepalived.conf is checked with
 * `keepalived -t` the same way and restarts keepalived when it changes.
 * A config that fails the check fails the step with HAProxy's message; the live file and
 * the running proxy are untouched.
 */
import { apt, defineRole, systemd, template, type Step } from 'capstan';
import { resolveBackends } from './backends.ts';
import { haproxyCfgArgs, keepalivedConfArgs } from './config.ts';
import { haproxyExporterGuard } from './modules/exporter-guard.ts';
import { haproxyPortGuard } from './modules/port-guard.ts';
import { bindPort, haproxyVars, type HaproxyVars } from './vars.ts';

export const RELOAD_HAPROXY = 'reload haproxy';
export const RESTART_KEEPALIVED = 'restart keepalived';

/** Debian packages the role installs for these variables. */
export function haproxyPackages(v: Pick<HaproxyVars, 'keepalived'>): string[] {
  return v.keepalived.enabled ? ['haproxy', 'keepalived', 'psmisc'] : ['haproxy'];
}

function guardedPorts(v: HaproxyVars) {
  return [
    { port: bindPort(v.frontend_bind), variable: 'frontend_bind' },
    ...(v.metrics_frontend.enabled ? [{ port: bindPort(v.metrics_frontend.bind), variable: 'metrics_frontend.bind' }] : []),
  ];
}

function keepalivedSteps(v: HaproxyVars, host: string, playHosts: readonly string[]): Step[] {
  if (!v.keepalived.enabled) return [];
  return [
    template(keepalivedConfArgs(v.keepalived, host, playHosts), { name: 'keepalived.conf (checked with keepalived -t)', notify: RESTART_KEEPALIVED }),
    systemd({ name: 'keepalived', enabled: true, state: 'started' }, { name: 'keepalived enabled and running' }),
  ];
}

export const haproxy = defineRole({
  name: 'haproxy',
  description: 'HAProxy TCP load balancer for the K3s API (6443): validated config, hitless reload, optional keepalived VIP and Prometheus endpoint',
  vars: haproxyVars,
  steps: (v, ctx) => {
    const backends = resolveBackends(v, ctx);
    return [
      haproxyPortGuard({ ports: guardedPorts(v) }, { name: 'load balancer ports are free' }),
      apt({ name: haproxyPackages(v), state: 'present', updateCache: true, cacheValidTime: v.apt_cache_valid_time }, { name: 'load balancer packages' }),
      ...(v.metrics_frontend.enabled ? [haproxyExporterGuard({}, { name: 'HAProxy has the Prometheus exporter' })] : []),
      template(haproxyCfgArgs(v, backends), { name: `haproxy.cfg: ${backends.length} K3s API backends (checked with haproxy -c)`, notify: RELOAD_HAPROXY }),
      systemd({ name: 'haproxy', enabled: true, state: 'started' }, { name: 'haproxy enabled and running' }),
      ...keepalivedSteps(v, ctx.host, ctx.playHosts),
    ];
  },
  handlers: () => ({
    [RELOAD_HAPROXY]: systemd({ name: 'haproxy', state: 'reloaded' }, { name: RELOAD_HAPROXY }),
    [RESTART_KEEPALIVED]: systemd({ name: 'keepalived', state: 'restarted' }, { name: RESTART_KEEPALIVED }),
  }),
});
