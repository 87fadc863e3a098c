/**
 * The upgrade plan, pure: which hosts go from which K3s version to which, in which order
 * (servers one at a time, then agents in batches), and what refuses the whole upgrade.
 *
 *   const hosts = [{ host: 'server1', role: 'server', installed: 'v1.32.11+k3s3' }, { host: 'agent1', role: 'agent', installed: 'v1.32.11+k3s3' }];
 *   upgradeRefusals(hosts, 'v1.32.12+k3s1')   // []
 *   upgradePlanText(hosts, 'v1.32.12+k3s1', 5)
 *   // upgrade to v1.32.12+k3s1: 1. server1 (server) v1.32.11+k3s3 → v1.32.12+k3s1; 2. agents agent1: v1.32.11+k3s3 → v1.32.12+k3s1
 *
 * Downgrades are refused (K3s supports upgrades only), and so is skipping a Kubernetes minor
 * version (the version skew policy K3s's upgrade documentation asks to follow).
 */
import { compareK3sVersions, parseK3sVersion } from '@capstan/k3s-server';

export interface HostVersion {
  host: string;
  role: 'server' | 'agent';
  /** The installed K3s version, null when none is. */
  installed: string | null;
  /** The service runs an older binary than the one on disk (an interrupted upgrade). */
  restartPending?: boolean;
}

/** Why upgrading `h` to `desired` is refused, or undefined. */
export function upgradeRefusal(h: HostVersion, desired: string): string | undefined {
  if (h.installed === null) return `${h.host}: K3s is not installed (install it with the stage playbooks first)`;
  const cmp = compareK3sVersions(desired, h.installed);
  if (cmp < 0) return `${h.host}: refusing to downgrade K3s from ${h.installed} to ${desired} (K3s supports upgrades only)`;
  const [from, to] = [parseK3sVersion(h.installed), parseK3sVersion(desired)];
  if (to.major === from.major && to.minor > from.minor + 1) {
    const next = `v${from.major}.${from.minor + 1}`;
    return `${h.host}: ${h.installed} to ${desired} skips a Kubernetes minor version: upgrade to a ${next} release first (version skew policy)`;
  }
  return undefined;
}

export function upgradeRefusals(hosts: readonly HostVersion[], desired: string): string[] {
  return hosts.map((h) => upgradeRefusal(h, desired)).filter((r): r is string => r !== undefined);
}

/** The host needs the new binary, or a restart onto it. */
export function needsUpgrade(h: HostVersion, desired: string): boolean {
  return h.installed !== desired || h.restartPending === true;
}

function move(h: HostVersion, desired: string): string {
  return h.installed === desired ? `${desired} (restart onto the installed binary)` : `${h.installed ?? 'nothing'} → ${desired}`;
}

/** One line per stage of the upgrade, in the order it runs; hosts already there are named last. */
export function upgradePlan(hosts: readonly HostVersion[], desired: string, agentBatch: number): string[] {
  const todo = hosts.filter((h) => needsUpgrade(h, desired));
  const servers = todo.filter((h) => h.role === 'server');
  const agents = todo.filter((h) => h.role === 'agent');
  const lines = servers.map((h, i) => `${i + 1}. ${h.host} (server) ${move(h, desired)}`);
  for (let i = 0; i < agents.length; i += agentBatch) {
    const batch = agents.slice(i, i + agentBatch);
    lines.push(`${lines.length + 1}. agents ${batch.map((h) => `${h.host} ${move(h, desired)}`).join(', ')}`);
  }
  const done = hosts.filter((h) => !needsUpgrade(h, desired)).map((h) => h.host);
  if (done.length) lines.push(`already at ${desired}: ${done.join(', ')}`);
  return lines;
}

export function upgradePlanText(hosts: readonly HostVersion[], desired: string, agentBatch: number): string {
  const todo = hosts.filter((h) => needsUpgrade(h, desired)).length;
  const head = todo ? `upgrade to ${desired}, servers one at a time, then agents in batches of ${agentBatch}` : `every host runs ${desired}: nothing to upgrade`;
  return [head, ...upgradePlan(hosts, desired, agentBatch)].join('\n');
}
