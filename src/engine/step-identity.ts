/**
 * Step identity: where a step was declared, so that hosts whose step lists differ still
 * agree on which step is which. An id is the play, the role path, the declaration site
 * (`file:line` of the call that built the step), the step's name, and an occurrence number
 * for a site that built several steps of the same name (a helper called twice, `.map`).
 *
 *   stepIds(0, 'roles[0]:k3s-server', steps)
 *   // ['p0/roles[0]:k3s-server/roles/k3s-server/src/role.ts:103 "install K3s"#0', ...]
 *   stepRounds(new Map([['h1', ['a', 'b']], ['h2', ['a', 'x', 'b']]]))
 *   // [{ id: 'a', hosts: ['h1', 'h2'] }, { id: 'x', hosts: ['h2'] }, { id: 'b', hosts: ['h1', 'h2'] }]
 */
import { relative } from 'node:path';
import type { Step } from '../define/step.ts';

/** What a step is known by apart from its place: where it was declared (relative to the working directory) and its name. */
export function declarationOf(step: Step): string {
  const site = step.origin === undefined ? step.kind : relative(process.cwd(), step.origin);
  return `${site.startsWith('..') ? step.origin : site}${step.options.name === undefined ? '' : ` ${JSON.stringify(step.options.name)}`}`;
}

/** Ids for one host's steps of one scope (a play's role or its own steps), in list order. */
export function stepIds(play: number, scope: string, steps: readonly { step: Step }[], counts = new Map<string, number>()): string[] {
  return steps.map(({ step }) => {
    const base = `p${play}/${scope}/${declarationOf(step)}`;
    const n = counts.get(base) ?? 0;
    counts.set(base, n + 1);
    return `${base}#${n}`;
  });
}

/** One step of a lockstep play: a step id and the hosts that run it together. */
export interface StepRound {
  id: string;
  hosts: string[];
}

/**
 * One order for the steps of several hosts: every host runs each of its steps once, in its own
 * order; a step several hosts have is one round for all of them. The next round is the first
 * host's next step that no host still has further down its list; when hosts disagree on the
 * order of two steps (there is no such step), the first host's next step goes first, and a
 * host that has it later runs it in a round of its own, so nothing is lost.
 */
export function stepRounds(lists: ReadonlyMap<string, readonly string[]>): StepRound[] {
  const at = new Map([...lists.keys()].map((h) => [h, 0]));
  const next = (h: string) => lists.get(h)?.[at.get(h) ?? 0];
  const rounds: StepRound[] = [];
  for (;;) {
    const waiting = new Set<string>();
    for (const [h, l] of lists) l.slice((at.get(h) ?? 0) + 1).forEach((id) => waiting.add(id));
    const heads = [...lists.keys()].flatMap((h) => next(h) ?? []);
    if (!heads.length) return rounds;
    const id = heads.find((x) => !waiting.has(x)) ?? (heads[0] as string);
    const hosts = [...lists.keys()].filter((h) => next(h) === id);
    hosts.forEach((h) => at.set(h, (at.get(h) ?? 0) + 1));
    rounds.push({ id, hosts });
  }
}
