/**
 * `@capstan/haproxy`: the HAProxy load balancer role for the K3s API, and the pure pieces
 * behind it (variables, backend lookup, the two configuration files, the port guard).
 *
 *   import { haproxy } from '@capstan/haproxy';
 *   definePlaybook({ plays: [{ name: 'lb', hosts: 'lb', become: true, roles: [haproxy.use({ backends_group: 'server' })] }] });
 */
export { haproxy, haproxyPackages, RELOAD_HAPROXY, RESTART_KEEPALIVED } from './role.ts';
export {
  haproxyVars, keepalivedVars, backend, backendName, backendAddress, bindAddress, bindPort, bindsClash, duration, interfaceName, isAddress, portNumber,
  type HaproxyVars, type KeepalivedVars, type Backend,
} from './vars.ts';
export { resolveBackends, type InventoryLookup } from './backends.ts';
export { haproxyCfgArgs, keepalivedConfArgs, vrrpRole, endpoint, HAPROXY_CFG, KEEPALIVED_CONF, HAPROXY_VALIDATE, KEEPALIVED_VALIDATE, type VrrpRole } from './config.ts';
export { haproxyPortGuard, portUse, parsePortUse, planPortGuard, type PortUse, type Listener } from './modules/port-guard.ts';
export { haproxyExporterGuard, haproxyBuild, parseHaproxyBuild, planExporterGuard, type HaproxyBuild } from './modules/exporter-guard.ts';
