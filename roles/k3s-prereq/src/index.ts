/**
 * `@capstan/k3s-prereq`: the host prerequisites of K3s, as a role and its parts.
 *
 *   import { k3sPrereq } from '@capstan/k3s-prereq';
 *   roles: [k3sPrereq.use({ embedded_etcd: true })]
 */
export { k3sPrereq } from './role.ts';
export { prereqVars, type PrereqVars } from './vars.ts';
export { k3sOpenings, ufwRule, ufwSourceRule, firewalldPort, type PortOpening, type OpeningOptions } from './ports.ts';
export { k3sFirewall, firewallState, parseFirewall, planFirewall, afterOpening, type FirewallState } from './modules/firewall.ts';
export { k3sPreflight, preflightFacts, parsePreflight, planPreflight, iptablesIsBuggy, type PreflightFacts } from './modules/preflight.ts';
