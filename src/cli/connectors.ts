/**
 * The connector for each host: SSH by default, the controller itself for `ansible_connection=local`.
 * Command-line SSH settings (host key policy, known_hosts) are merged into every host's options.
 *
 *   const factory = connectorFactory({ hostKeyPolicy: 'accept-new' });
 */
import type { ConnectorFactory } from '../connectors/connector.ts';
import { createSshConnector } from '../connectors/ssh.ts';
import { LocalConnector } from '../connectors/local.ts';
import { ConfigError } from '../errors.ts';

export interface SshCliOptions {
  hostKeyPolicy?: string;
  knownHosts?: string;
  connectTimeoutMs?: number;
  /** Channels opened at once per SSH connection (at most sshd's MaxSessions). */
  sshMaxChannels?: number;
}

export function connectorFactory(cli: SshCliOptions): ConnectorFactory {
  return (host) => {
    if (host.transport === 'local') return new LocalConnector(host);
    if (host.transport === 'fake') throw new ConfigError(`host ${host.name}: the fake transport exists only in Capstan's tests`);
    const options = {
      ...host.options,
      ...(cli.hostKeyPolicy ? { hostKeyPolicy: cli.hostKeyPolicy } : {}),
      ...(cli.knownHosts ? { knownHostsPath: cli.knownHosts } : {}),
      ...(cli.connectTimeoutMs ? { connectTimeoutMs: cli.connectTimeoutMs } : {}),
      ...(cli.sshMaxChannels !== undefined ? { maxSessions: cli.sshMaxChannels } : {}),
    };
    return createSshConnector({ ...host, options });
  };
}
