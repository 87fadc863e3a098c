/**
 * `capstan facts HOST -i INVENTORY`: connect to one host and print its facts as JSON.
 * Also the quickest way to check that a host is reachable and its key is trusted.
 *
 *   capstan facts web1 -i hosts.yml
 */
import { loadInventoryView } from '../inventory/view.ts';
import { hostFacts } from '../facts/host.ts';
import { HostSession } from '../engine/session.ts';
import { ConfigError } from '../errors.ts';
import { ExitCode } from '../events.ts';
import { connectorFactory, type SshCliOptions } from './connectors.ts';

export async function factsCommand(a: { inventory: string[]; host: string } & SshCliOptions, out: (s: string) => void): Promise<number> {
  const inv = await loadInventoryView(a.inventory);
  const [host] = inv.select(a.host);
  if (!host || host !== a.host) throw new ConfigError(`"${a.host}" is not a single host of ${a.inventory.join(', ')}`);
  const session = new HostSession(host, connectorFactory(a)(inv.connection(host)), { runId: `facts-${process.pid}`, noLock: true });
  try {
    await session.gather([hostFacts()], undefined);
    const l = session.facts.lookup(hostFacts());
    out(`${JSON.stringify(l && 'value' in l ? l.value : null, null, 2)}\n`);
    return ExitCode.ok;
  } finally {
    await session.close();
  }
}
