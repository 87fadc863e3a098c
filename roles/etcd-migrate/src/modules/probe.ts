/**
 * Read-only probe of one server for the gates: datastore, version, disk, and whether the etcd
 * ports of every peer answer. Never changes anything; its data feeds `etcdGates`.
 *
 *   const probe = etcdProbe({ backupDir: '/var/lib/rancher/k3s-premigration', peers: ['10.0.0.2', '10.0.0.3'] });
 *   ctx.result(probe, 'server2')?.data   // ServerObservation & { backupPresent, ... }
 */
import { DEFAULT_DATA_DIR } from '@capstan/k3s-server';
import { defineModule, noop, z } from 'capstan';
import { etcdHostState, etcdPeerPorts, type EtcdHostState } from '../facts.ts';
import type { ServerObservation } from '../gates.ts';

export type ProbeData = ServerObservation & EtcdHostState;

export const etcdProbe = defineModule({
  name: 'etcd.probe',
  args: z.object({ host: z.string().min(1), backupDir: z.string().min(1), peers: z.array(z.string().min(1)), dataDir: z.string().min(1).default(DEFAULT_DATA_DIR) }).strict(),
  describe: () => 'probe datastore, version, disk and etcd ports',
  facts: (a) => ({ st: etcdHostState({ backupDir: a.backupDir, dataDir: a.dataDir }), ports: etcdPeerPorts(a.peers) }),
  plan: (_a, { st, ports }) => noop(`datastore ${st.datastore}, K3s ${st.version ?? 'not installed'}, ${st.active ? 'running' : 'not running'}, `
    + `${Object.keys(ports).length} peer etcd ports probed, ${(st.freeBytes / 2 ** 30).toFixed(1)} GiB free`),
  data: (a, { st, ports }): ProbeData => ({ ...st, host: a.host, ports }),
});
