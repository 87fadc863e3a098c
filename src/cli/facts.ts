/**
 * `capstan facts HOST -i INVENTORY`: connect to one host and print its facts (OS, CPUs,
 * memory, addresses) as JSON, read in one round trip.
 * Also the quickest way to check that a host is reachable and its key is trusted.
 *
 *   capstan facts web1 -i hosts.yml
 */
import { loadInventoryView } from '../inventory/view.ts';
import { hostFacts } from '../facts/host.ts';
import { networkAddresses } from '../facts/network.ts';
import type { FactRef } from '../define/fact.ts';
import { HostSession } from '../engine/session.ts';
import { redactDeep } from '../commands/secret.ts';
import { ConfigError } from '../errors.ts';
import { ExitCode } from '../events.ts';
import { connectorFactory, type SshCliOptions } from './connectors.ts';
import { cliKeyring, type VaultCliOptions } from './vault.ts';

export async function factsCommand(a: { inventory: string[]; host: string } & SshCliOptions & VaultCliOptions, out: (s: string) => void): Promise<number> {
  const inv = await loadInventoryView(a.inventory, { vault: await cliKeyring(a) });
  const [host] = inv.select(a.host);
  if (!host || host !== a.host) throw new ConfigError(`"${a.host}" is not a single host of ${a.inventory.join(', ')}`);
  const session = new HostSession(host, connectorFactory(a)(inv.connection(host)), { runId: `facts-${process.pid}`, noLock: true });
  try {
    await session.gather([hostFacts(), networkAddresses()], undefined);
    const value = (ref: FactRef<unknown>) => {
      const l = session.facts.lookup(ref);
      return l && 'value' in l ? l.value : null;
    };
    out(`${JSON.stringify(redactDeep({ ...(value(hostFacts()) as object), addresses: value(networkAddresses()) }), null, 2)}\n`);
    return ExitCode.ok;
  } finally {
    await session.close();
  }
}
