/**
 * Resolves where and as whom to connect, from the inventory and the user's ssh config
 * (`~/.ssh/config` or options.sshConfigPath): Host aliases, HostName, User, Port,
 * IdentityFile, ProxyJump, HostKeyAlias. Explicit inventory values win. `Match exec`
 * blocks are never run.
 *
 *   const t = await resolveTarget({ name: 'web1', address: 'web1', port: 22, ... }, '~/.ssh/config');
 *   // { hostName: '10.0.0.5', port: 2222, user: 'deploy', identityFiles: [...], jumps: [...] }
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import SSHConfig from 'ssh-config';
import { ConfigError } from '../../errors.ts';
import type { HostConnection } from '../connector.ts';
import { expandHome } from './options.ts';

export interface Endpoint {
  /** Name or address to open the TCP connection to. */
  hostName: string;
  port: number;
  user: string;
  /** Private key files to offer, in order. */
  identityFiles: string[];
  /** Name the host key is recorded under in known_hosts. */
  hostKeyName: string;
}

export interface Target extends Endpoint {
  /** Bastions to go through, first one first (ProxyJump). */
  jumps: Endpoint[];
}

type Computed = Record<string, string | string[]>;

/** Loads the ssh config once; an absent default file is an empty config. */
export async function loadSshConfig(path: string | undefined): Promise<SSHConfig> {
  const file = path ?? join(homedir(), '.ssh', 'config');
  if (!path && !existsSync(file)) return SSHConfig.parse('');
  try {
    return SSHConfig.parse(await readFile(file, 'utf8'));
  } catch (e) {
    throw new ConfigError(`cannot read ssh config ${file}: ${(e as Error).message}`, { keyPath: 'options.sshConfigPath' });
  }
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function computeFor(config: SSHConfig, host: string): Computed {
  return config.compute(host, { ignoreCase: true, matchExec: false });
}

/** Builds the target of one inventory host. */
export function resolveTarget(host: HostConnection, config: SSHConfig): Target {
  const c = computeFor(config, host.address);
  const cfgPort = first(c.port);
  const endpoint = makeEndpoint({
    hostName: (first(c.hostname) ?? host.address).replace(/%h/g, host.address),
    port: host.port !== 22 || !cfgPort ? host.port : Number(cfgPort),
    user: host.user ?? first(c.user),
    identityFiles: [...(host.privateKeyPath ? [host.privateKeyPath] : []), ...identityFilesOf(c)],
    alias: first(c.hostkeyalias),
  });
  const jump = first(c.proxyjump);
  const jumps = jump && jump.toLowerCase() !== 'none' ? parseJumps(jump, config) : [];
  return { ...endpoint, jumps };
}

function identityFilesOf(c: Computed): string[] {
  const v = c.identityfile;
  return (Array.isArray(v) ? v : v ? [v] : []).map(expandHome);
}

function makeEndpoint(p: { hostName: string; port: number; user: string | undefined; identityFiles: string[]; alias: string | undefined }): Endpoint {
  checkName(p.hostName, 'host');
  const user = p.user ?? userInfo().username;
  checkName(user, 'user');
  if (!Number.isInteger(p.port) || p.port < 1 || p.port > 65535) throw new ConfigError(`invalid ssh port ${p.port}`, { keyPath: 'ansible_port' });
  return { hostName: p.hostName, port: p.port, user, identityFiles: [...new Set(p.identityFiles)], hostKeyName: p.alias ?? p.hostName };
}

function checkName(v: string, what: 'host' | 'user'): void {
  if (v === '' || v.startsWith('-') || /[\s\0]/.test(v)) {
    throw new ConfigError(`invalid ssh ${what} ${JSON.stringify(v)}: must not be empty, start with "-" or contain spaces`, {
      keyPath: what === 'host' ? 'ansible_host' : 'ansible_user',
    });
  }
}

/** Parses `[user@]host[:port]` hops separated by commas, each resolved through the config. */
export function parseJumps(spec: string, config: SSHConfig): Endpoint[] {
  return spec.split(',').map((hop) => {
    const m = /^(?:([^@]+)@)?(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(hop.trim());
    if (!m || !m[2]) throw new ConfigError(`invalid ProxyJump hop ${JSON.stringify(hop)}`, { keyPath: 'ProxyJump' });
    const name = m[2].replace(/^\[|\]$/g, '');
    const c = computeFor(config, name);
    return makeEndpoint({
      hostName: first(c.hostname) ?? name,
      port: m[3] ? Number(m[3]) : Number(first(c.port) ?? 22),
      user: m[1] ?? first(c.user),
      identityFiles: identityFilesOf(c),
      alias: first(c.hostkeyalias),
    });
  });
}
