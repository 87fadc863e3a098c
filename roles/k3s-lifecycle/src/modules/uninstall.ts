/**
 * Uninstalling K3s from a host with K3s's own scripts, as K3s documents it:
 * `k3s-agent-uninstall.sh` where an agent is installed, `k3s-uninstall.sh` where a server is
 * (they stop K3s, remove its units, data, configuration, binaries and themselves).
 *
 *   k3sUninstall({})
 *   k3sDeleteNode({ node: 'agent1' }, { delegateTo: 'server1' })   // then the node leaves the cluster
 *
 * Nothing installed: nothing to do. K3s files without an uninstall script: refused, naming
 * them (a half-removed install is not guessed at). With a data directory of its own
 * (`data_dir`, K3s's data-dir), what K3s writes there (agent, data, server, storage) goes too,
 * and the directory itself when that leaves it empty: the scripts remove only the default one.
 *
 *   k3sUninstall({ data_dir: '/srv/k3s' })
 */
import { change, changes, defineModule, exec, fail, noop, sh, z } from 'capstan';
import { DEFAULT_DATA_DIR, K3S_BIN } from '@capstan/k3s-server';
import { k3sNodeSchedule, k3sUninstallState } from '../facts.ts';

export const k3sUninstall = defineModule({
  name: 'k3s.uninstall',
  args: z.object({ data_dir: z.string().startsWith('/').default(DEFAULT_DATA_DIR) }).strict(),
  describe: () => 'uninstall K3s',
  facts: (a) => ({ st: k3sUninstallState({ dataDir: a.data_dir }) }),
  plan: (a, { st }) => {
    if (st.scripts.length) {
      const own = a.data_dir !== DEFAULT_DATA_DIR
        ? [sh`d=${a.data_dir}; rm -rf -- "$d/agent" "$d/data" "$d/server" "$d/storage"; rmdir -- "$d" 2>/dev/null || true`.text]
        : [];
      const script = [...st.scripts.map((s) => sh`${s}`.text), ...own].join(' && ');
      return changes(change(`run ${st.scripts.join(', then ')}${own.length ? `, then remove K3s's data under ${a.data_dir}` : ''}`, exec(script, { timeoutMs: 600_000 })));
    }
    if (st.leftovers.length) return fail(`K3s files remain (${st.leftovers.join(', ')}) but neither k3s-uninstall.sh nor k3s-agent-uninstall.sh is in /usr/local/bin: remove them by hand, or reinstall K3s and reset again`);
    return noop('K3s is not installed');
  },
  affects: ['*'],
});

/** Removes a node from the cluster (run on a server that stays, by delegation); K3s removes a server's etcd member with it. */
export const k3sDeleteNode = defineModule({
  name: 'k3s.delete-node',
  args: z.object({ node: z.string().min(1) }).strict(),
  describe: (a) => `delete node ${a.node}`,
  facts: (a) => ({ n: k3sNodeSchedule({ node: a.node }) }),
  plan: (a, { n }) => n.exists
    ? changes(change(`delete node ${a.node} from the cluster`, exec(sh`${K3S_BIN} kubectl delete node ${a.node}`)))
    : noop(`node ${a.node} is not in the cluster`),
});
