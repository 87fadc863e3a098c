/**
 * Merging the `--json` event streams of a sliced run (`--slice K/N`, slice.ts) into the recap
 * and exit code one unsliced run would have reported: the same hosts in the same order with
 * the same tallies, and the exit code computed from them by the same rule (exitCodeFor).
 *
 *   const merged = mergeSliceStreams([{ name: 'slice-1.ndjson', text }, ...]);
 *   merged.recap.exitCode   // 0 ok, 2 failed, 3 locked, 4 unreachable, 6 both, 130 interrupted
 *   merged.problems         // slices that did not finish, with what to do
 *
 * The streams must be the N slices of one run: the same playbook, mode and N, each slice
 * once, no host in two slices, and together the hosts the playbook selects. Anything else is a
 * ConfigError naming the file (and line, for an event that does not parse; lines that are not
 * JSON objects, such as stderr mixed into a pod's log, are passed over). A slice whose
 * stream has no `run.end` (its process died) leaves its hosts without a recap: the merge says
 * which and its exit code is 1, never 0. Hosts reached only by delegation (the controller
 * receiving a file) may appear in several slices: their tallies and round trips add up.
 * `durationMs` is the longest slice's (slices run side by side).
 */
import type { HostTally, Recap, RunEvent, SliceInfo } from '../events.ts';
import { ExitCode, exitCodeFor } from '../events.ts';
import { ConfigError } from '../errors.ts';
import { emptyTally } from './run-state.ts';

export interface SliceStream {
  /** Where the text came from (a file name), for messages. */
  name: string;
  text: string;
}

export interface MergedRecap {
  recap: Recap;
  playbook: string;
  slices: number;
  /** What kept the merge from being a whole run's recap (a slice that did not finish). */
  problems: string[];
}

interface ParsedSlice {
  name: string;
  start: Extract<RunEvent, { type: 'run.start' }>;
  end?: Recap;
}

export function mergeSliceStreams(streams: readonly SliceStream[]): MergedRecap {
  if (streams.length === 0) throw new ConfigError('recap merge needs the event streams of the slices (files written by capstan run --slice K/N --json)');
  const parsed = streams.map(parseStream);
  const count = checkSameRun(parsed);
  const problems: string[] = [];
  const order = selectedOrder(parsed, count);
  const recap: Recap = { hosts: {}, check: parsed[0]!.start.check, durationMs: 0, exitCode: 0, interrupted: false, transport: {} };
  const tallies = new Map<string, HostTally>();
  for (const h of order) tallies.set(h, emptyTally());
  for (const s of parsed) {
    if (!s.end) {
      problems.push(`slice ${sliceLabel(s.start.slice)} (${s.name}) did not finish: no recap for ${s.start.hosts.join(', ') || 'its hosts'}; run that slice again`);
      continue;
    }
    recap.durationMs = Math.max(recap.durationMs, s.end.durationMs);
    recap.interrupted ||= s.end.interrupted;
    for (const [h, t] of Object.entries(s.end.hosts)) tallies.set(h, addTally(tallies.get(h) ?? emptyTally(), t));
    for (const [h, t] of Object.entries(s.end.transport)) {
      const sum = recap.transport[h] ?? { roundTrips: 0, connections: 0 };
      recap.transport[h] = { ...sum, roundTrips: sum.roundTrips + t.roundTrips, connections: sum.connections + t.connections, ...(t.channels !== undefined ? { channels: Math.max(sum.channels ?? 0, t.channels) } : {}) };
    }
    if (s.end.locked) recap.locked = { ...recap.locked, ...s.end.locked };
  }
  recap.hosts = Object.fromEntries(tallies);
  recap.exitCode = problems.length ? ExitCode.internal : exitCodeFor(tallies.values(), recap.interrupted, Boolean(recap.locked));
  return { recap, playbook: parsed[0]!.start.playbook, slices: count, problems };
}

function parseStream(s: SliceStream): ParsedSlice {
  let start: ParsedSlice['start'] | undefined;
  let end: Recap | undefined;
  s.text.split('\n').forEach((line, i) => {
    // Lines that are not events (diagnostics on stderr, in a pod's log with stdout) are passed over.
    if (!line.trimStart().startsWith('{')) return;
    let e: RunEvent;
    try {
      e = JSON.parse(line) as RunEvent;
    } catch {
      throw new ConfigError(`${s.name}:${i + 1}: not a JSON event (write the slices with capstan run … --json > FILE)`);
    }
    if (e.type === 'run.start') {
      if (start) throw new ConfigError(`${s.name}:${i + 1}: a second run.start: the file holds more than one run`);
      start = e;
    } else if (e.type === 'run.end') end = e.recap;
  });
  if (!start) throw new ConfigError(`${s.name}: no run.start event: not the --json output of capstan run`);
  if (!start.slice) throw new ConfigError(`${s.name}: the run was not sliced (no --slice K/N): there is nothing to merge it with`);
  return { name: s.name, start, ...(end ? { end } : {}) };
}

/** The slices' common N, after checking they are the N slices of one run, each once. */
function checkSameRun(parsed: ParsedSlice[]): number {
  const first = parsed[0]!;
  const want = first.start.slice!;
  const seen = new Map<number, string>();
  const owner = new Map<string, string>();
  for (const s of parsed) {
    const sl = s.start.slice!;
    const differ = (what: string, a: unknown, b: unknown) => new ConfigError(`${s.name}: ${what} ${JSON.stringify(b)}, but ${first.name} has ${JSON.stringify(a)}: these are not slices of one run`);
    if (s.start.playbook !== first.start.playbook) throw differ('playbook', first.start.playbook, s.start.playbook);
    if (s.start.check !== first.start.check) throw differ('check mode', first.start.check, s.start.check);
    if (sl.count !== want.count) throw differ('slice count', want.count, sl.count);
    if (sl.selected !== want.selected) throw differ('selected host count', want.selected, sl.selected);
    const again = seen.get(sl.index);
    if (again) throw new ConfigError(`${s.name}: slice ${sliceLabel(sl)} is also in ${again}: give each slice once`);
    seen.set(sl.index, s.name);
    for (const h of s.start.hosts) {
      const other = owner.get(h);
      if (other) throw new ConfigError(`${s.name}: host ${h} is also in ${other}: slices never share a host (same inventory, --limit and N?)`);
      owner.set(h, s.name);
    }
  }
  const missing = Array.from({ length: want.count }, (_, i) => i + 1).filter((k) => !seen.has(k));
  if (missing.length) throw new ConfigError(`slices ${missing.map((k) => `${k}/${want.count}`).join(', ')} missing: merge all ${want.count} slices of the run`);
  if (owner.size !== want.selected) throw new ConfigError(`the slices hold ${owner.size} hosts, but the playbook selected ${want.selected}: same inventory and --limit for every slice?`);
  return want.count;
}

/**
 * The playbook's selected hosts in their unsliced order: slice K holds the hosts at places
 * K-1, K-1+N, ... (slice.ts deals them out in turn), so taking one from each slice in turn
 * rebuilds the order.
 */
function selectedOrder(parsed: ParsedSlice[], count: number): string[] {
  const byIndex = new Map(parsed.map((s) => [s.start.slice!.index, s.start.hosts]));
  const out: string[] = [];
  const longest = Math.max(...parsed.map((s) => s.start.hosts.length));
  for (let j = 0; j < longest; j++) for (let k = 1; k <= count; k++) {
    const h = byIndex.get(k)?.[j];
    if (h !== undefined) out.push(h);
  }
  return out;
}

function sliceLabel(s: SliceInfo | undefined): string {
  return s ? `${s.index}/${s.count}` : '?';
}

function addTally(a: HostTally, b: HostTally): HostTally {
  return { ok: a.ok + b.ok, changed: a.changed + b.changed, uncertain: a.uncertain + b.uncertain, failed: a.failed + b.failed, skipped: a.skipped + b.skipped, unreachable: a.unreachable + b.unreachable, ignored: a.ignored + b.ignored };
}
