/**
 * What an upgrade or reset starts from on one host, read before anything changes: the
 * installed K3s version, whether the service runs an older binary than the one on disk, the
 * datastore, the hostname (the node name K3s registers). Read-only, also under --check.
 *
 *   const seen = k3sObserve({ unit: 'k3s', version: 'v1.32.12+k3s1' });
 *   ctx.result(seen)?.data?.installed   // 'v1.32.11+k3s3'
 */
import { defineModule, noop, z } from 'capstan';
import { k3sRunState, type K3sRunState } from '../facts.ts';

export const k3sObserve = defineModule({
  name: 'k3s.observe',
  args: z.object({ unit: z.enum(['k3s', 'k3s-agent']), version: z.string().optional(), data_dir: z.string().startsWith('/').optional() }).strict(),
  describe: (a) => `${a.unit}: installed version`,
  facts: (a) => ({ st: k3sRunState({ unit: a.unit, ...(a.data_dir ? { dataDir: a.data_dir } : {}) }) }),
  readOnly: true,
  plan: (a, { st }) => {
    const now = st.installed ? `installed ${st.installed}${st.restartPending ? ` (${st.active ? 'running an older binary' : 'not running'})` : ''}` : 'K3s not installed';
    return noop(a.version ? `${now}; wanted ${a.version}` : now);
  },
  data: (_a, { st }): K3sRunState => st,
});
