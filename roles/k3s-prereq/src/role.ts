/**
 * Role `k3s-prereq`: what a host needs before K3s is installed on it. Read-only preflight
 * checks that fail early with what to do, IP forwarding (IPv6 too when the host has a global
 * address), br_netfilter and bridge sysctls on Red Hat and Arch families, and the K3s ports
 * opened in an active ufw or firewalld.
 *
 *   import { k3sPrereq } from '@capstan/k3s-prereq';
 *   definePlaybook({ plays: [
 *     { name: 'prerequisites', hosts: 'server:agent', become: true, roles: [k3sPrereq.use()] },
 *     { name: 'k3s server', hosts: 'server', become: true, roles: [k3sServer.use()] },
 *   ] });
 */
import { defineRole, kernelModule, sysctl, type Step, type StepContext } from 'capstan';
import { k3sFirewall } from './modules/firewall.ts';
import { k3sPreflight } from './modules/preflight.ts';
import { k3sOpenings } from './ports.ts';
import { prereqVars } from './vars.ts';

const bridgedFamilies = new Set(['redhat', 'arch']);

export const k3sPrereq = defineRole({
  name: 'k3s-prereq',
  description: 'K3s host prerequisites: preflight, forwarding, br_netfilter, firewall',
  vars: prereqVars,
  steps: (v, ctx) => {
    const nodeRole = v.node_role ?? (ctx.groupHosts('server').includes(ctx.host) ? 'server' : 'agent');
    const preflight = k3sPreflight({ allowBuggyIptables: v.allow_buggy_iptables }, { name: 'K3s preflight checks' });
    const file = v.sysctl_file;
    const ipv6 = (c: StepContext) => v.ipv6_forwarding === 'on' || (v.ipv6_forwarding === 'auto' && c.result(preflight)?.data?.globalIpv6 === true);
    const bridged = (c: StepContext) => bridgedFamilies.has(c.facts?.os.family ?? '');
    const steps: Step[] = [
      preflight,
      sysctl({ name: 'net.ipv4.ip_forward', value: '1', sysctlFile: file }, { name: 'IPv4 forwarding' }),
      sysctl({ name: 'net.ipv6.conf.all.forwarding', value: '1', sysctlFile: file }, { name: 'IPv6 forwarding', when: ipv6 }),
      kernelModule({ name: 'br_netfilter' }, { name: 'br_netfilter loaded at boot', when: bridged }),
      sysctl({ name: 'net.bridge.bridge-nf-call-iptables', value: '1', sysctlFile: file }, { name: 'bridged IPv4 traffic through iptables', when: bridged }),
      sysctl({ name: 'net.bridge.bridge-nf-call-ip6tables', value: '1', sysctlFile: file }, { name: 'bridged IPv6 traffic through ip6tables', when: bridged }),
    ];
    if (v.manage_firewall) {
      const openings = k3sOpenings({ node_role: nodeRole, embedded_etcd: v.embedded_etcd, wireguard: v.wireguard, embedded_registry: v.embedded_registry });
      steps.push(k3sFirewall({ openings, trusted: [v.cluster_cidr, v.service_cidr] }, { name: `firewall openings for a K3s ${nodeRole}` }));
    }
    return steps;
  },
});
