/**
 * `capstan inventory` (like ansible-inventory) and `capstan explain`.
 *
 *   capstan inventory -i hosts.yml --list        # the JSON shape of `ansible-inventory --list`
 *   capstan inventory -i hosts.yml --graph
 *   capstan inventory -i hosts.yml --host web1   # that host's merged variables
 *   capstan explain web1 http_port -i hosts.yml  # every value, its file and layer, and the winner
 */
import { explainVar, formatAnsibleListJson, formatExplanation, hostVars, loadInventory, toGraph } from '../inventory/index.ts';
import { printable } from '../inventory/output.ts';
import { ConfigError } from '../errors.ts';
import { ExitCode } from '../events.ts';
import { loadExtraVars } from './load.ts';
import { cliKeyring, type VaultCliOptions } from './vault.ts';

export async function inventoryCommand(a: { inventory: string[]; list?: boolean; graph?: boolean; host?: string } & VaultCliOptions, out: (s: string) => void): Promise<number> {
  const inv = await loadInventory(a.inventory, { vault: await cliKeyring(a) });
  if (a.host) {
    if (!inv.hosts.has(a.host)) throw new ConfigError(`no host "${a.host}" in ${a.inventory.join(', ')}`);
    out(`${JSON.stringify(printable(hostVars(inv, a.host).vars), null, 4)}\n`);
  } else if (a.graph) {
    out(`${toGraph(inv)}\n`);
  } else {
    out(`${formatAnsibleListJson(inv)}\n`);
  }
  return ExitCode.ok;
}

export async function explainCommand(a: { inventory: string[]; host: string; variable: string; extraVars: string[] } & VaultCliOptions, out: (s: string) => void): Promise<number> {
  const vault = await cliKeyring(a);
  const inv = await loadInventory(a.inventory, { vault });
  if (!inv.hosts.has(a.host)) throw new ConfigError(`no host "${a.host}" in ${a.inventory.join(', ')}`);
  const extra = loadExtraVars(a.extraVars, vault);
  const e = explainVar(inv, a.host, a.variable, Object.keys(extra).length ? { extraVars: [{ label: 'extra vars (-e)', vars: extra }] } : undefined);
  out(`${formatExplanation(e)}\n`);
  return ExitCode.ok;
}
