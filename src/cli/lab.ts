/**
 * `capstan lab`: throwaway Docker nodes to rehearse any playbook on.
 *
 *   capstan lab up --nodes 3                 # nodes reachable over SSH, inventory written
 *   capstan lab up --group server=1 --group agent=2 --privileged   # nodes that can run real K3s
 *   capstan run playbooks/site.ts -i "$(capstan lab inventory)"
 *   capstan lab down
 */
import { ConfigError } from '../errors.ts';
import { ExitCode } from '../events.ts';
import { labDown, labInventoryPath, labUp } from '../testing/lab.ts';

export async function labCommand(a: { action: 'up' | 'inventory' | 'down'; nodes: number; groups: string[]; privileged?: boolean }, out: (s: string) => void): Promise<number> {
  if (a.action === 'down') {
    await labDown();
    out('lab nodes removed\n');
    return ExitCode.ok;
  }
  if (a.action === 'inventory') {
    out(`${await labInventoryPath()}\n`);
    return ExitCode.ok;
  }
  const groups = parseGroups(a.groups);
  const lab = await labUp({ ...(groups ? { groups } : { nodes: a.nodes }), privileged: a.privileged === true });
  out(`lab is up: ${lab.nodes.map((n) => `${n.name} (${n.address})`).join(', ')}\n`);
  out(`inventory: ${lab.inventoryPath}\nrun a playbook:  capstan run PLAYBOOK -i ${lab.inventoryPath}\nremove the lab:  capstan lab down\n`);
  return ExitCode.ok;
}

function parseGroups(specs: string[]): Record<string, number> | undefined {
  if (!specs.length) return undefined;
  const out: Record<string, number> = {};
  for (const s of specs) {
    const m = /^([A-Za-z_][A-Za-z0-9_-]*)=(\d+)$/.exec(s);
    if (!m) throw new ConfigError(`--group ${s}: expected NAME=COUNT, e.g. --group server=1`);
    out[m[1] as string] = Number(m[2]);
  }
  return out;
}
