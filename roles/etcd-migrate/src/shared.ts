/**
 * Steps that other hosts read (`ctx.result(step, otherHost)`) must be one object for every
 * host: results are kept per step object. `shared` returns the step built for a key the first
 * time, and that same step afterwards.
 *
 *   const probe = shared(`etcd probe ${backupDir}`, () => etcdProbe({ ... }));
 */
import type { Step } from 'capstan';

const steps = new Map<string, Step>();

export function shared<S extends Step>(key: string, build: () => S): S {
  const have = steps.get(key);
  if (have) return have as S;
  const step = build();
  steps.set(key, step);
  return step;
}
