/**
 * The gates over every server's probe, evaluated once (on the first server): the step fails
 * with every gate's result, failed ones first, or reports them all as passed. Read-only.
 *
 *   etcdGates({ first: 'server1', desired: 'v1.32.11+k3s3', minVersion: 'v1.32.6+k3s1', knownBad: ['v1.32.5+k3s1'],
 *               diskFactor: 2, observations: deferred((ctx) => servers.map((h) => ctx.result(probe, h)?.data)) })
 */
import { defineModule, fail, noop, z } from 'capstan';
import { evaluateGates, gateReport, type ServerObservation } from '../gates.ts';

const observation = z.object({
  host: z.string(), datastore: z.enum(['sqlite', 'etcd', 'external', 'none']), version: z.string().nullable(),
  dbBytes: z.number(), freeBytes: z.number(), ports: z.record(z.string(), z.enum(['open', 'refused', 'filtered'])),
});

export const etcdGates = defineModule({
  name: 'etcd.gates',
  args: z.object({
    first: z.string().min(1), desired: z.string().min(1), minVersion: z.string().min(1), knownBad: z.array(z.string()),
    diskFactor: z.number(), servers: z.array(z.string()),
    observations: z.array(observation.optional()),
  }).strict(),
  describe: (a) => `gates for ${a.servers.length} servers`,
  plan: (a) => {
    const missing = a.servers.filter((_h, i) => !a.observations[i]);
    if (missing.length) return fail(`gates need a probe of every server; not probed: ${missing.join(', ')} (unreachable or failed)`);
    const results = evaluateGates({ ...a, servers: a.observations as ServerObservation[] });
    const report = gateReport(results);
    return results.every((r) => r.ok) ? noop(`all gates pass\n${report}`) : fail(`gates failed, nothing was changed\n${report}`);
  },
});
