/**
 * `k3s.preflight`: the read-only checks K3s needs to pass before anything is installed;
 * fails with what to do when the host cannot run K3s, and returns what later steps need.
 *
 *   const pre = k3sPreflight({});
 *   sysctl({ name: 'net.ipv6.conf.all.forwarding', value: '1' }, { when: (ctx) => ctx.result(pre)?.data?.globalIpv6 === true })
 *
 * Checks: an init system K3s supports (systemd or OpenRC), the memory cgroup enabled (the
 * installer only prints a hint, and K3s then fails to start), and iptables 1.8.0-1.8.4,
 * which K3s's own bundled iptables should replace (`prefer-bundled-bin`).
 */
import { defineFact, defineModule, fail, noop, z } from 'capstan';

export interface PreflightFacts {
  init: 'systemd' | 'openrc' | 'none';
  memoryCgroup: boolean;
  iptablesVersion: string | null;
  globalIpv6: boolean;
}

const PROBE = `if [ -x /sbin/openrc-run ]; then echo init=openrc; elif command -v systemctl >/dev/null 2>&1; then echo init=systemd; else echo init=none; fi
if grep -qs -w memory /sys/fs/cgroup/cgroup.controllers || awk '$1=="memory" && $4=="1" {f=1} END {exit !f}' /proc/cgroups 2>/dev/null; then echo memcg=1; else echo memcg=0; fi
echo "iptables=$(iptables --version 2>/dev/null | sed -n 's/^iptables v\\([0-9.]*\\).*/\\1/p')"
if ip -6 -o addr show scope global 2>/dev/null | grep -q inet6; then echo ipv6=1; else echo ipv6=0; fi`;

export function parsePreflight(out: string): PreflightFacts {
  const kv = Object.fromEntries(out.split('\n').map((l) => l.split('=')).filter((p) => p.length === 2).map(([k, v]) => [k?.trim(), v?.trim()]));
  const init = kv.init === 'systemd' || kv.init === 'openrc' ? kv.init : 'none';
  return { init, memoryCgroup: kv.memcg === '1', iptablesVersion: kv.iptables || null, globalIpv6: kv.ipv6 === '1' };
}

export const preflightFacts = defineFact<void, PreflightFacts>({ name: 'k3s.preflight', command: () => PROBE, parse: (out) => parsePreflight(out) });

/** iptables 1.8.0 to 1.8.4 have known rule-ordering bugs K3s warns about. */
export function iptablesIsBuggy(version: string | null): boolean {
  const m = version ? /^1\.8\.([0-4])$/.exec(version) : null;
  return m !== null;
}

export function planPreflight(f: PreflightFacts, allowBuggyIptables: boolean) {
  if (f.init === 'none') return fail('no systemd or OpenRC on this host: K3s needs one of them to run as a service');
  if (!f.memoryCgroup) {
    return fail('the memory cgroup is not enabled, and K3s will not start without it: add "cgroup_memory=1 cgroup_enable=memory" to the kernel command line (on a Raspberry Pi, /boot/firmware/cmdline.txt) and reboot');
  }
  if (iptablesIsBuggy(f.iptablesVersion) && !allowBuggyIptables) {
    return fail(`iptables ${f.iptablesVersion} has rule-ordering bugs K3s is known to hit: set extra_config {prefer-bundled-bin: true} on the K3s roles and allow_buggy_iptables: true here, or upgrade iptables`);
  }
  return noop(`${f.init}, memory cgroup enabled${f.iptablesVersion ? `, iptables ${f.iptablesVersion}` : ''}${f.globalIpv6 ? ', global IPv6 address' : ''}`);
}

export const k3sPreflight = defineModule({
  name: 'k3s.preflight',
  args: z.object({ allowBuggyIptables: z.boolean().default(false) }).strict(),
  describe: () => 'K3s preflight checks',
  facts: () => ({ f: preflightFacts() }),
  plan: (a, { f }) => planPreflight(f, a.allowBuggyIptables),
  data: (_a, { f }) => f,
});
