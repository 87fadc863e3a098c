/**
 * Draining a node before its K3s restarts and uncordoning it once it is Ready at the new
 * version, through kubectl on a server (delegate to it). The drained node carries a label,
 * so an interrupted run uncordons it next time, and a node someone else cordoned stays so.
 *
 *   k3sDrain({ node: 'agent1', needed: true, timeoutS: 300 }, { delegateTo: 'server1' })
 *   k3sUncordon({ node: 'agent1', drained: true }, { delegateTo: 'server1' })
 *
 * kubectl drain runs with --ignore-daemonsets (DaemonSet pods cannot move) and
 * --delete-emptydir-data (emptyDir is scratch space), never --force: a pod no controller
 * would recreate makes the drain, and the upgrade of that node, fail instead of losing it.
 */
import { K3S_BIN } from '@capstan/k3s-server';
import { change, changes, defineModule, exec, noop, sh, z } from 'capstan';
import { DRAINED_LABEL, k3sNodeSchedule } from '../facts.ts';

export const k3sDrain = defineModule({
  name: 'k3s.drain',
  args: z.object({ node: z.string().min(1), needed: z.boolean(), timeoutS: z.number().int().positive() }).strict(),
  describe: (a) => `drain node ${a.node}`,
  facts: (a) => ({ n: k3sNodeSchedule({ node: a.node }) }),
  plan: (a, { n }) => {
    if (!a.needed) return noop(`node ${a.node} needs no upgrade`);
    if (!n.exists) return noop(`node ${a.node} is not registered: nothing to drain`);
    if (n.unschedulable && n.drainedForUpgrade) return noop(`node ${a.node} is already drained for the upgrade`);
    return changes(change(`cordon and drain node ${a.node}`, exec(
      sh`${K3S_BIN} kubectl label node ${a.node} ${`${DRAINED_LABEL}=true`} --overwrite && ${K3S_BIN} kubectl drain ${a.node} --ignore-daemonsets --delete-emptydir-data ${`--timeout=${a.timeoutS}s`}`,
      { timeoutMs: (a.timeoutS + 30) * 1000 },
    )));
  },
});

export const k3sUncordon = defineModule({
  name: 'k3s.uncordon',
  args: z.object({ node: z.string().min(1), drained: z.boolean() }).strict(),
  describe: (a) => `uncordon node ${a.node}`,
  facts: (a) => ({ n: k3sNodeSchedule({ node: a.node }) }),
  plan: (a, { n }) => {
    if (!a.drained && !n.drainedForUpgrade) return noop(`node ${a.node} was not drained for an upgrade`);
    return changes(change(`uncordon node ${a.node}`, exec(sh`${K3S_BIN} kubectl uncordon ${a.node} && ${K3S_BIN} kubectl label node ${a.node} ${`${DRAINED_LABEL}-`}`)));
  },
});
