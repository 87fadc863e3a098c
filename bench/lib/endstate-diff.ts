/**
 * Compares end states: Capstan's (or the first tool's) nodes against another tool's nodes of
 * the same name, after cold runs on fresh nodes; a difference seen on several nodes (the same
 * lines differing) is reported once, with where it was seen.
 *
 *   const d = diffEndStates(capstanState, ansibleState);   // [{ key: 'content /etc/motd', reference: '...', other: '...' }]
 *   const agg = new DiffTally();
 *   agg.add('run 1 node1', d);
 *   agg.summary();   // { compared: 1, identical: 0, differences: [{ key, reference, other, seen: ['run 1 node1'] }] }
 */
import type { EndState } from './endstate.ts';

export interface EndStateDifference {
  key: string;
  reference: string | undefined;
  other: string | undefined;
}

export interface TalliedDifference extends EndStateDifference {
  seen: string[];
}

export function diffEndStates(reference: EndState, other: EndState): EndStateDifference[] {
  const keys = [...new Set([...reference.keys(), ...other.keys()])].sort();
  return keys.filter((k) => reference.get(k) !== other.get(k)).map((key) => ({ key, reference: reference.get(key), other: other.get(key) }));
}

/** A compact description of two texts' difference: lines only in one side, `-` reference, `+` other. */
export function describeDifference(d: EndStateDifference, maxLines = 8): string {
  if (d.reference === undefined || d.other === undefined || !d.key.startsWith('content ')) {
    return `${JSON.stringify(d.reference ?? '(missing)')} vs ${JSON.stringify(d.other ?? '(missing)')}`;
  }
  const a = d.reference.split('\n');
  const b = d.other.split('\n');
  const lines = [...a.filter((l) => !b.includes(l)).map((l) => `- ${l}`), ...b.filter((l) => !a.includes(l)).map((l) => `+ ${l}`)];
  if (lines.length === 0) return 'the same lines in a different order or with different blank lines';
  return lines.slice(0, maxLines).join('\n') + (lines.length > maxLines ? `\n… ${lines.length - maxLines} more lines` : '');
}

/** Collects comparisons of many nodes; equal differences are merged. */
export class DiffTally {
  private compared = 0;
  private identical = 0;
  private readonly found = new Map<string, TalliedDifference>();

  add(where: string, differences: EndStateDifference[]): void {
    this.compared++;
    if (differences.length === 0) this.identical++;
    for (const d of differences) {
      // Merged by what differs, so that node1's and node2's app.conf (which name their node) fold together.
      const id = JSON.stringify([d.key, describeDifference(d, Number.MAX_SAFE_INTEGER)]);
      const entry = this.found.get(id) ?? { ...d, seen: [] };
      entry.seen.push(where);
      this.found.set(id, entry);
    }
  }

  summary(): { compared: number; identical: number; differences: TalliedDifference[] } {
    return { compared: this.compared, identical: this.identical, differences: [...this.found.values()].sort((x, y) => x.key.localeCompare(y.key)) };
  }
}
