/**
 * `capstan advise -i INVENTORY`: which roadmap stage the K3s hosts are at, which they should
 * move to and why, and the playbook to run. Read-only: one SSH connection and one batched
 * command per host, nothing written.
 *
 *   capstan advise -i inventory/k3s/hosts.yml
 *   capstan advise -i hosts.yml --sample-seconds 30 --uptime-sla 99.9
 *   capstan advise -i hosts.yml --prometheus http://10.0.0.5:9090 --prometheus-window 15m --json
 *
 * Exit codes (docs/exit-codes.md): 0 every host measured (whatever the advice), 4 some host
 * unreachable (the advice is partial), 2 some host could not be measured, 6 both, 5 invalid input.
 */
import { loadInventoryView } from '../inventory/view.ts';
import { ConfigError } from '../errors.ts';
import { advise } from '../advise/run.ts';
import { renderTable } from '../advise/report.ts';
import { durationSeconds } from '../advise/prometheus.ts';
import { palette } from '../output/palette.ts';
import { connectorFactory, type SshCliOptions } from './connectors.ts';
import { cliKeyring, type VaultCliOptions } from './vault.ts';

export interface AdviseArgs extends SshCliOptions, VaultCliOptions {
  inventory: string[];
  limit?: string;
  sampleSeconds: number;
  uptimeSla?: number;
  prometheus?: string;
  prometheusWindow: string;
  forks: number;
  json: boolean;
}

export async function adviseCommand(a: AdviseArgs, out: (s: string) => void): Promise<number> {
  validate(a);
  const inv = await loadInventoryView(a.inventory, { vault: await cliKeyring(a) });
  const report = await advise(inv, connectorFactory(a), {
    inventory: a.inventory, sampleSeconds: a.sampleSeconds, forks: a.forks,
    ...(a.limit ? { limit: a.limit } : {}),
    ...(a.uptimeSla !== undefined ? { uptimeSla: a.uptimeSla } : {}),
    ...(a.prometheus ? { prometheus: { url: a.prometheus, window: a.prometheusWindow } } : {}),
  });
  if (a.json) out(`${JSON.stringify(report, null, 2)}\n`);
  else out(renderTable(report, palette(Boolean(process.stdout.isTTY) && !process.env.NO_COLOR)));
  return report.exitCode;
}

/** Every flag problem at once, before the inventory is read or a host contacted. */
function validate(a: AdviseArgs): void {
  const problems: Array<{ message: string; keyPath: string }> = [];
  if (!Number.isInteger(a.sampleSeconds) || a.sampleSeconds < 1 || a.sampleSeconds > 3600)
    problems.push({ keyPath: '--sample-seconds', message: `--sample-seconds must be a whole number of seconds from 1 to 3600, got ${a.sampleSeconds}` });
  if (a.uptimeSla !== undefined && !(a.uptimeSla > 0 && a.uptimeSla < 100))
    problems.push({ keyPath: '--uptime-sla', message: `--uptime-sla is a percentage between 0 and 100 such as 99.9, got ${a.uptimeSla}` });
  if (!Number.isInteger(a.forks) || a.forks < 1) problems.push({ keyPath: '--forks', message: `--forks must be a positive whole number, got ${a.forks}` });
  if (a.prometheus !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(a.prometheus);
    } catch {
      url = undefined;
    }
    if (!url || !/^https?:$/.test(url.protocol)) problems.push({ keyPath: '--prometheus', message: `--prometheus must be an http(s) URL such as http://10.0.0.5:9090, got ${JSON.stringify(a.prometheus)}` });
  }
  try {
    durationSeconds(a.prometheusWindow);
  } catch (e) {
    problems.push({ keyPath: '--prometheus-window', message: (e as Error).message });
  }
  if (problems.length) throw ConfigError.of(problems);
}
