/**
 * The k3s-prereq role's variables, validated for every host before any connection.
 *
 *   k3sPrereq.use({ embedded_etcd: true })                  // servers of an HA cluster
 *   k3sPrereq.use({ manage_firewall: false })               // the firewall is someone else's
 */
import { z } from 'capstan';

const cidr = z.string().regex(/^[0-9a-fA-F.:]+\/\d{1,3}$/, 'must be a network in CIDR form such as 10.42.0.0/16');

export const prereqVars = z.object({
  node_role: z.enum(['server', 'agent']).optional().describe('what the host becomes (default: server when it is in the `server` group, else agent)'),
  manage_firewall: z.boolean().default(true).describe('open the K3s ports in an active ufw or firewalld (nothing happens without one)'),
  embedded_etcd: z.boolean().default(false).describe('servers also open 2379-2380/tcp (an HA cluster, stage 4)'),
  wireguard: z.boolean().default(false).describe('open 51820-51821/udp for the Flannel WireGuard backend'),
  embedded_registry: z.boolean().default(false).describe('open 5001/tcp for the embedded registry'),
  cluster_cidr: cidr.default('10.42.0.0/16').describe('pod network, trusted by the firewall'),
  service_cidr: cidr.default('10.43.0.0/16').describe('service network, trusted by the firewall'),
  ipv6_forwarding: z.enum(['auto', 'on', 'off']).default('auto').describe('auto: enable IPv6 forwarding when the host has a global IPv6 address'),
  allow_buggy_iptables: z.boolean().default(false).describe('accept iptables 1.8.0-1.8.4 (set prefer-bundled-bin on the K3s roles then)'),
  sysctl_file: z.string().regex(/^\/etc\/sysctl\.d\/[A-Za-z0-9._-]+\.conf$/, 'must be a file under /etc/sysctl.d ending in .conf').default('/etc/sysctl.d/90-k3s.conf')
    .describe('where the forwarding settings persist'),
});

export type PrereqVars = z.output<typeof prereqVars>;
