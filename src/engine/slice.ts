/**
 * Slices: a run split into N parts that separate processes (a Kubernetes Indexed Job's pods,
 * a CI matrix's jobs) run in parallel, each on its own hosts, merged afterwards by
 * `capstan recap merge` into the recap one unsliced run would have printed.
 *
 *   capstan run site.ts -i hosts.yml --slice 2/4 --json > slice-2.ndjson
 *
 *   const s = parseSlice('2/4');                 // { index: 2, count: 4 }
 *   sliceOf(['web1', 'web2', 'web3'], s)         // ['web2']
 *
 * Which host goes where: the hosts the playbook selects (every play's hosts after `--limit`,
 * in the order the plays first name them, which is inventory order) are dealt out in turn:
 * the first to slice 1, the second to slice 2, ... the N+1-th to slice 1 again. So the same
 * inventory, limit and N always give the same slices, and slices differ in size by one host
 * at most. A host runs every play that selects it in its own slice.
 *
 * What cannot be sliced, refused before connecting with the reason (sliceProblems):
 * - `runOnce` steps and handlers: each slice would run them once;
 * - `serial` batches: a rolling batch spans hosts of every slice;
 * - `maxFailPercentage` and `anyErrorsFatal`: they count or stop hosts of other slices.
 * What slices keep as one run would: every host's variables and steps are prepared against the
 * whole play (`playHosts` and roles see every host), delegation works (a delegation target need
 * not be in the slice). A step reading the result of a host that runs in another slice
 * (`ctx.result(step, otherHost)`) fails that host, naming both hosts: the result is not known here.
 */
import type { ConfigProblem } from '../errors.ts';
import { ConfigError } from '../errors.ts';
import type { PreparedPlay } from './prepare.ts';

export interface Slice {
  /** 1-based: the K of K/N. */
  index: number;
  count: number;
}

/** `K/N` with 1 <= K <= N <= 10000. */
export function parseSlice(text: string): Slice {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!(count >= 1 && count <= 10_000 && index >= 1 && index <= count)) {
    throw new ConfigError(`--slice takes K/N, the K-th of N slices (1 <= K <= N <= 10000), such as 2/4, got ${JSON.stringify(text)}`);
  }
  return { index, count };
}

/** The hosts of `hosts` (the playbook's selected hosts, in order) that fall in slice `s`. */
export function sliceOf(hosts: readonly string[], s: Slice): string[] {
  return hosts.filter((_, i) => i % s.count === s.index - 1);
}

/** Why each play cannot be split across slices; empty when all can. */
export function sliceProblems(plays: readonly PreparedPlay[]): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const play of plays) {
    const d = play.definition;
    const say = (why: string) => problems.push({ message: `play "${d.name}" cannot be sliced: ${why}; run it unsliced (without --slice), or move it to its own playbook` });
    if (d.serial !== undefined) say('it runs in serial batches, and a batch spans hosts of every slice');
    if (d.maxFailPercentage !== undefined) say('maxFailPercentage counts the failed hosts of the whole play, and each slice sees only its own');
    if (d.anyErrorsFatal) say('anyErrorsFatal stops every host of the play when one fails, and a slice cannot stop the others');
    const once = new Set<string>();
    for (const h of play.perHost.values()) {
      for (const s of [...h.steps, ...h.handlers.flatMap((x) => x.steps)]) if (s.step.options.runOnce) once.add(s.step.options.name ?? s.id);
    }
    if (once.size) say(`runOnce steps would run once in every slice: ${[...once].map((n) => `"${n}"`).join(', ')}`);
  }
  return problems;
}
