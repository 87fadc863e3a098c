/**
 * `@capstan/k3s-server`: the K3s server role and the pure helpers the K3s roles share.
 *
 *   import { k3sServer, k3sServerToken } from '@capstan/k3s-server';
 *   definePlaybook({ plays: [{ name: 'k3s server', hosts: 'server', become: true, roles: [k3sServer.use({ mode: 'single' })] }] });
 */
export { k3sServer, k3sServerToken, nodeTokenStep, nodeNameOf, CONFIG_DIR, NODE_TOKEN_PATH, ADMIN_KUBECONFIG, MANIFESTS_DIR } from './role.ts';
export { k3sPaths, dataDirConfig, dataDirVar, DEFAULT_DATA_DIR, type K3sPaths } from './paths.ts';
export { clusterRole, serverAddress, type ClusterRole } from './cluster-mode.ts';
export { clusterNodes, parseNodes, k3sDatastore, type ClusterNode, type LocalDatastore } from './cluster-facts.ts';
export { etcdMemberWait, memberWaitScript } from './modules/member.ts';
export { k3sDatastoreGuard } from './modules/datastore-guard.ts';
export { userKubectlSteps, homeOf } from './user-kubectl.ts';
export { serverVars, commonVars, checkExtraConfig, secretVar, k3sVersionVar, airgapDirVar, DEFAULT_K3S_VERSION, type ServerVars } from './vars.ts';
export { serverConfigYaml } from './server-config.ts';
export { renderK3sConfig, type ConfigValue } from './config.ts';
export { k3sConfigProblems, k3sValueFits, type K3sConfigKind, type K3sConfigProblem } from './k3s-config-check.ts';
export { K3S_CONFIG_KEYS, K3S_CONFIG_SOURCE, type K3sFlagType } from './k3s-config-schema.ts';
export { parseK3sVersion, compareK3sVersions, versionFromK3sOutput, downgradeRefusal, K3S_VERSION_PATTERN, type K3sVersion } from './version.ts';
export { parseK3sToken, tokenPassword, caHashCheck, sha256Hex, type K3sToken, type CaHashResult } from './token.ts';
export { rewriteKubeconfig, mergeKubeconfig, type KubeconfigTarget } from './kubeconfig.ts';
export { airgapSteps, imageArchives, IMAGES_DIR } from './airgap.ts';
export { k3sInstallState, k3sNodeStatus, k3sSecretFile, keyValues, parseInstallState, K3S_BIN, SYSTEMD_DIR, type K3sInstallState, type K3sNodeStatus, type K3sUnit } from './facts.ts';
export { k3sInstall, k3sVersionGuard, installEnv, INSTALLER_PATH, type K3sInstallArgs, type GuardData } from './modules/install.ts';
export { k3sService, k3sRestart } from './modules/service.ts';
export { k3sReady, isReady } from './modules/ready.ts';
export { k3sReadSecret, type SecretData } from './modules/read.ts';
export { k3sTokenGuard, SERVER_TOKEN_PATH } from './modules/token-guard.ts';
export { k3sNodeLabels, k3sNodeLabelsFact, labelMap } from './modules/labels.ts';
export { k3sAnsibleServerAliases, k3sAnsibleAgentAliases, k3sDataDirAlias, k3sArgsToConfig, configYamlToConfig } from './k3s-ansible.ts';
