/**
 * Waits until the load balancer answers on its port from this host, before the host is
 * re-pointed at it. When it does not answer yet (under --check: HAProxy is installed earlier
 * in the same run), the wait is a change whose outcome cannot be predicted, and what this
 * host reads from remote K3s endpoints (the cluster CA through the load balancer) is marked as
 * depending on it.
 *
 *   etcdLbAnswers({ host: '10.10.10.100', port: 6443, timeoutS: 120 })
 */
import { change, changes, defineModule, exec, noop, portOpen, sh, z } from 'capstan';

export const etcdLbAnswers = defineModule({
  name: 'etcd.lb-answers',
  args: z.object({ host: z.string().regex(/^[A-Za-z0-9_.:-]+$/, 'must be a host name or an address').refine((h) => !h.startsWith('-'), 'must not start with -'), port: z.number().int().min(1).max(65535), timeoutS: z.number().int().positive() }).strict(),
  describe: (a) => `load balancer ${a.host}:${a.port} answers`,
  facts: (a) => ({ state: portOpen({ host: a.host, port: a.port }) }),
  plan: (a, { state }) => state === 'open'
    ? noop(`${a.host}:${a.port} accepts connections`)
    : changes({
      ...change(`wait up to ${a.timeoutS}s for ${a.host}:${a.port} to accept connections`,
        exec(sh`h=${a.host}; p=${String(a.port)}; end=$(( $(date +%s) + ${String(a.timeoutS)} )); until timeout 3 bash -c ': <"/dev/tcp/$h/$p"' 2>/dev/null; do [ "$(date +%s)" -lt "$end" ] || { echo "$h:$p does not accept connections" >&2; exit 1; }; sleep 2; done`, { timeoutMs: (a.timeoutS + 30) * 1000 })),
      unpredictable: 'the load balancer is set up earlier in this run',
    }),
  affects: ['k3sremote', 'net'],
});
