/**
 * Variables of the lifecycle roles (upgrade and reset): zod schemas with documented defaults,
 * validated for every host before any connection.
 *
 *   k3sUpgrade.use({ k3s_version: 'v1.32.12+k3s1', upgrade_drain: true })
 *   capstan run playbooks/reset.ts -i hosts.yml -e confirm_reset=yes
 */
import { airgapDirVar, dataDirVar, k3sVersionVar, serverVars } from '@capstan/k3s-server';
import { z } from 'capstan';

/** A yes/no switch that also takes `-e name=true|yes|false|no` (extra vars are text). */
export const flagVar = z.union([z.boolean(), z.enum(['true', 'yes', 'false', 'no'])]).transform((v) => v === true || v === 'true' || v === 'yes');

export const agentBatchVar = z.coerce.number().int('must be a whole number of agents').min(1).max(50).default(5)
  .describe('agents upgraded at once, in batches (K3s advises at most 50 at a time)');

export const upgradeVars = z.object({
  k3s_version: k3sVersionVar.describe('the K3s release to upgrade to; older than the installed one is refused'),
  airgap_dir: airgapDirVar,
  install_script_url: z.string().url().default('https://get.k3s.io/').describe('installer download URL when not air-gapped'),
  extra_install_envs: z.record(z.string().regex(/^[A-Z_][A-Z0-9_]*$/), z.string()).default({}).describe('INSTALL_K3S_* variables for the installer (the upgrade\'s own win)'),
  node_name: z.string().min(1).optional().describe('node name K3s registered (default: the hostname)'),
  ready_timeout_s: z.coerce.number().int().min(5).max(3600).default(300).describe('bound on each wait for a node to be Ready at the new version, seconds'),
  upgrade_drain: flagVar.default(false).describe('drain each node (kubectl drain via the first server) before its restart, uncordon it when Ready'),
  drain_timeout_s: z.coerce.number().int().min(5).max(3600).default(300).describe('kubectl drain --timeout, seconds'),
  upgrade_agent_batch: agentBatchVar,
  servers_group: z.string().min(1).default('server').describe('inventory group of the servers; its first host runs kubectl for the others'),
  k3s_data_dir: dataDirVar,
});

export type UpgradeVars = z.output<typeof upgradeVars>;

export const resetVars = z.object({
  confirm_reset: z.literal('yes', { error: 'confirm_reset must be "yes": a reset uninstalls K3s and deletes its data on every selected host (pass -e confirm_reset=yes)' })
    .describe('must be "yes": the reset deletes K3s and its data'),
  reset_allow_quorum_loss: flagVar.default(false).describe('reset servers even when the etcd members left cannot keep quorum'),
  node_name: z.string().min(1).optional().describe('node name K3s registered (default: the hostname)'),
  servers_group: z.string().min(1).default('server').describe('inventory group of the servers (the etcd members)'),
  k3s_data_dir: dataDirVar,
  fetch_kubeconfig: serverVars.shape.fetch_kubeconfig.describe('the controller kubeconfig the k3s-server role wrote; its context is removed when the whole cluster is reset'),
});

export type ResetVars = z.output<typeof resetVars>;
