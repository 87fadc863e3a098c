/**
 * `@capstan/k3s-lifecycle`: the rest of a K3s cluster's life after the roadmap stages: rolling
 * upgrades (k3s-upgrade-plan, k3s-upgrade) and reset (k3s-reset), with the pure pieces they
 * decide with (plan, quorum, kubeconfig clean-up).
 *
 *   import { k3sUpgrade, k3sUpgradePlanRole, k3sReset } from '@capstan/k3s-lifecycle';
 *   // playbooks/upgrade.ts and playbooks/reset.ts use them
 */
export { k3sUpgrade, k3sUpgradePlanRole } from './upgrade-role.ts';
export { k3sReset } from './reset-role.ts';
export { upgradeVars, resetVars, agentBatchVar, flagVar, type UpgradeVars, type ResetVars } from './vars.ts';
export { upgradePlan, upgradePlanText, upgradeRefusal, upgradeRefusals, needsUpgrade, type HostVersion } from './plan.ts';
export { quorumOf, quorumRefusal, wholeCluster } from './quorum.ts';
export { forgetCluster, type Forgotten } from './kubeconfig.ts';
export { k3sRunState, k3sNodeSchedule, k3sUninstallState, parseRunState, parseNodeSchedule, DRAINED_LABEL, UNINSTALL_SCRIPTS, k3sPathsOnHost, type K3sRunState, type K3sNodeSchedule, type K3sUninstallState } from './facts.ts';
export { k3sObserve } from './modules/observe.ts';
export { k3sUpgradePlan } from './modules/plan.ts';
export { k3sUpgradeInstall, upgradeInstallScript } from './modules/install.ts';
export { k3sDrain, k3sUncordon } from './modules/drain.ts';
export { k3sUninstall, k3sDeleteNode } from './modules/uninstall.ts';
export { k3sServersFirst } from './modules/servers-first.ts';
