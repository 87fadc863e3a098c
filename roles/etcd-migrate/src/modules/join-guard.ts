/**
 * Refuses to join servers to a first server that is not on embedded etcd (its conversion
 * failed, was rolled back, or never ran). Read-only; run on the first server by delegation.
 *
 *   etcdJoinGuard({ first: 'server1', backupDir, firstConverts: deferred((ctx) => ...) }, { delegateTo: 'server1' })
 *
 * Under --check, when the first server's conversion would run earlier in the same run,
 * `firstConverts` is "known after apply" and the guard reports that it depends on it.
 */
import { DEFAULT_DATA_DIR } from '@capstan/k3s-server';
import { defineModule, fail, noop, z } from 'capstan';
import { etcdHostState } from '../facts.ts';

export const etcdJoinGuard = defineModule({
  name: 'etcd.join-guard',
  args: z.object({ first: z.string().min(1), backupDir: z.string().min(1), firstConverts: z.boolean().default(false), dataDir: z.string().min(1).default(DEFAULT_DATA_DIR) }).strict(),
  describe: (a) => `${a.first} runs embedded etcd`,
  facts: (a) => ({ st: etcdHostState({ backupDir: a.backupDir, dataDir: a.dataDir }) }),
  plan: (a, { st }) => st.datastore === 'etcd' || a.firstConverts
    ? noop(a.firstConverts ? `${a.first} converts to embedded etcd earlier in this run` : `${a.first} runs embedded etcd`)
    : fail(`${a.first} is not on embedded etcd (datastore ${st.datastore}): run the etcd-migrate conversion first; no server joins`),
});
