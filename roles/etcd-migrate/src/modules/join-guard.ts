/**
 * Refuses to join servers to a first server that is not on embedded etcd (its conversion
 * failed, was rolled back, or never ran). Read-only; run on the first server by delegation.
 *
 *   etcdJoinGuard({ first: 'server1', backupDir }, { delegateTo: 'server1' })
 */
import { defineModule, fail, noop, z } from 'capstan';
import { etcdHostState } from '../facts.ts';

export const etcdJoinGuard = defineModule({
  name: 'etcd.join-guard',
  args: z.object({ first: z.string().min(1), backupDir: z.string().min(1) }).strict(),
  describe: (a) => `${a.first} runs embedded etcd`,
  facts: (a) => ({ st: etcdHostState({ backupDir: a.backupDir }) }),
  plan: (a, { st }) => st.datastore === 'etcd'
    ? noop(`${a.first} runs embedded etcd`)
    : fail(`${a.first} is not on embedded etcd (datastore ${st.datastore}): run the etcd-migrate conversion first; no server joins`),
});
