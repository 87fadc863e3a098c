/**
 * Inventory and known_hosts text for a set of throwaway nodes, in the formats Ansible and
 * OpenSSH read (Capstan's own inventory loader reads the same YAML).
 *
 *   renderInventory(set, { user: 'root' });
 *   // all:
 *   //   hosts:
 *   //     web1:
 *   //       ansible_host: 10.213.47.2
 *   //       ansible_port: 22
 *   //       ansible_user: root
 *   //       ansible_ssh_private_key_file: /tmp/capstan-lab-3fa9c1/id_ed25519
 *   //       capstan_known_hosts: /tmp/capstan-lab-3fa9c1/known_hosts
 *   //   children:
 *   //     web:
 *   //       hosts:
 *   //         web1:
 *   renderKnownHosts(set.nodes);   // '10.213.47.2 ssh-ed25519 AAAA...\n...'
 */
import { stringify } from 'yaml';

export interface InventoryNode {
  name: string;
  address: string;
  port: number;
  groups: string[];
  hostKeys: Record<string, string>;
  /** The node's sudo password, when its sudo asks for one. */
  sudoPassword?: string;
}

export interface InventorySource {
  nodes: InventoryNode[];
  privateKeyPath: string;
  knownHostsPath: string;
  /** The login user of the set (`capstan`). */
  user: string;
}

export interface InventoryOptions {
  /** Log in as this user instead of the set's (`root` turns become off). */
  user?: string;
  /** Pin host keys with the set's known_hosts file (default true). */
  knownHosts?: boolean;
  /** Write the sudo password as ansible_become_password (default false: it is a secret). */
  includeBecomePassword?: boolean;
  /** Extra variables for every host, under all.vars. */
  vars?: Record<string, unknown>;
}

function hostVars(node: InventoryNode, src: InventorySource, opts: InventoryOptions): Record<string, unknown> {
  const user = opts.user ?? src.user;
  const vars: Record<string, unknown> = {
    ansible_host: node.address,
    ansible_port: node.port,
    ansible_user: user,
    ansible_ssh_private_key_file: src.privateKeyPath,
  };
  if (opts.knownHosts ?? true) {
    vars.capstan_known_hosts = src.knownHostsPath;
  }
  if (user !== 'root') vars.ansible_become = true;
  if (user !== 'root' && opts.includeBecomePassword && node.sudoPassword) vars.ansible_become_password = node.sudoPassword;
  return vars;
}

/** An Ansible-compatible YAML inventory: every host under all.hosts, groups as children. */
export function renderInventory(src: InventorySource, opts: InventoryOptions = {}): string {
  const hosts: Record<string, unknown> = {};
  const children: Record<string, { hosts: Record<string, null> }> = {};
  for (const node of src.nodes) {
    hosts[node.name] = hostVars(node, src, opts);
    for (const group of node.groups) (children[group] ??= { hosts: {} }).hosts[node.name] = null;
  }
  const all: Record<string, unknown> = {};
  if (opts.vars && Object.keys(opts.vars).length) all.vars = opts.vars;
  all.hosts = hosts;
  if (Object.keys(children).length) all.children = children;
  return stringify({ all }, { nullStr: '', lineWidth: 0 });
}

/** known_hosts text with every host key of every node. */
export function renderKnownHosts(nodes: Array<Pick<InventoryNode, 'hostKeys'>>): string {
  return nodes.flatMap((n) => Object.values(n.hostKeys)).map((line) => `${line}\n`).join('');
}
