/**
 * Before a server of a multi-server group is (re)configured for embedded etcd: refuses a server
 * whose data directory holds a SQLite datastore. On the first server that is a cluster that started
 * on SQLite, whose conversion is stage 4's job (gates, a verified backup, rollback); on another
 * server it is the data of a separate one-server cluster that cannot join. Read-only.
 *
 *   k3sDatastoreGuard({ dataDir: '/var/lib/rancher/k3s', group: 'server', servers: ['s1', 's2', 's3'], first: 's1' })
 */
import { defineModule, fail, noop, z } from 'capstan';
import { k3sDatastore } from '../cluster-facts.ts';
import { k3sPaths } from '../paths.ts';

export const k3sDatastoreGuard = defineModule({
  name: 'k3s.datastore-guard',
  args: z.object({ dataDir: z.string().min(1), group: z.string().min(1), servers: z.array(z.string().min(1)).min(2), first: z.string().min(1), host: z.string().min(1) }).strict(),
  describe: (a) => `no SQLite datastore on a server of the ${a.servers.length}-server group "${a.group}"`,
  facts: (a) => ({ store: k3sDatastore(a.dataDir) }),
  plan: (a, { store }) => {
    if (store !== 'sqlite') return noop(store === 'etcd' ? 'the server already runs embedded etcd' : 'the server has no datastore yet');
    const db = k3sPaths(a.dataDir).stateDb;
    if (a.host === a.first) {
      return fail(`${a.host} already runs a cluster on SQLite (${db}) and group "${a.group}" now lists ${a.servers.length} servers (${a.servers.join(', ')}): `
        + 'converting it to embedded etcd is stage 4 (playbooks/stage4-ha.ts: gates, a verified backup, the conversion with rollback, then the joins one at a time); nothing was changed');
    }
    return fail(`${a.host} holds the SQLite data of a separate one-server cluster (${db}); it cannot join the cluster of ${a.first}: `
      + `uninstall K3s on ${a.host} first (k3s-uninstall.sh), or take it out of group "${a.group}"; nothing was changed`);
  },
});
