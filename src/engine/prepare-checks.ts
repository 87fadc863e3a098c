/**
 * Whole-playbook checks made before the first connection, after every play is prepared:
 * every host that will be reached (the plays' hosts and the hosts steps delegate to) has
 * valid connection settings, and `--tags` / `--skip-tags` leave something to run.
 *
 *   const problems: ConfigProblem[] = [];
 *   checkConnections(inventory, plays, problems);   // ansible_port=99999 on a play-2 host is found here
 *   checkTags(plays, knownTags, options, problems);  // --tags deploi: "no step has the tag deploi; known tags: deploy, web"
 */
import type { ConnectorFactory } from '../connectors/connector.ts';
import { ConfigError, type ConfigProblem } from '../errors.ts';
import type { InventoryView } from './inventory-view.ts';
import type { PreparedPlay } from './prepare.ts';

/** Tags with a meaning of their own in `--tags` (as in Ansible). */
const SPECIAL_TAGS: ReadonlySet<string> = new Set(['all', 'tagged', 'untagged', 'always', 'never']);

/** The hosts a run will connect to: every play's hosts, then the hosts their steps and handlers delegate to. */
export function hostsToReach(plays: readonly PreparedPlay[]): string[] {
  const out = new Set(plays.flatMap((p) => p.hosts));
  for (const p of plays) {
    for (const h of p.perHost.values()) {
      for (const s of [...h.steps, ...h.handlers.flatMap((x) => x.steps)]) if (s.step.options.delegateTo) out.add(s.step.options.delegateTo);
    }
  }
  return [...out];
}

/**
 * Every host's connection settings (address, port, user, become...), and with a connector
 * factory the connector options too (host key policy, timeouts): all problems of all hosts
 * at once. Connectors are built and dropped, nothing connects.
 */
export function checkConnections(inv: InventoryView, plays: readonly PreparedPlay[], problems: ConfigProblem[], factory?: ConnectorFactory): void {
  for (const host of hostsToReach(plays)) {
    try {
      const conn = inv.connection(host);
      factory?.(conn);
    } catch (e) {
      if (e instanceof ConfigError) problems.push(...e.problems);
      else throw e;
    }
  }
}

/**
 * `--tags` naming a tag no step has, or tag options that select no step at all, are errors
 * like a `--limit` that matches no host: the run would connect, lock and report "ok" having
 * done nothing.
 */
export function checkTags(plays: readonly PreparedPlay[], known: ReadonlySet<string>, o: { tags: readonly string[]; skipTags: readonly string[] }, problems: ConfigProblem[]): void {
  if (o.tags.length === 0 && o.skipTags.length === 0) return;
  const knownList = [...known].sort();
  const hint = knownList.length ? `known tags: ${knownList.join(', ')}` : 'no step of this playbook has a tag';
  const unknown = o.tags.filter((t) => !known.has(t) && !SPECIAL_TAGS.has(t));
  if (unknown.length) {
    problems.push({ message: `--tags ${unknown.join(',')}: no step has ${unknown.length === 1 ? 'this tag' : 'these tags'}`, hint });
    return;
  }
  const selected = plays.reduce((n, p) => n + [...p.perHost.values()].reduce((m, h) => m + h.steps.length, 0), 0);
  if (selected > 0) return;
  const flags = [o.tags.length ? `--tags ${o.tags.join(',')}` : '', o.skipTags.length ? `--skip-tags ${o.skipTags.join(',')}` : ''].filter(Boolean).join(' with ');
  problems.push({ message: `${flags} leaves no step to run on the selected hosts`, hint });
}
