/**
 * The typed event stream of a run: the engine emits, reporters render. Every event is plain
 * JSON (secrets already masked), so `--json` prints them one per line as they come.
 *
 *   engine.on((e) => { if (e.type === 'host.step' && e.result.status === 'failed') alert(e.host); });
 *
 * Reporters switch over `type` with an exhaustive check, so adding an event kind fails the
 * build until every reporter handles it.
 */
import type { FileDiff } from './define/plan.ts';
import type { StepStatus } from './define/step.ts';

export const EVENT_SCHEMA_VERSION = 1;

/** A step's outcome on one host, as reported (secrets masked, no functions). */
export interface ReportedResult {
  status: StepStatus;
  changed: boolean;
  summaries: string[];
  reason?: string;
  uncertain?: string;
  msg?: string;
  rc?: number;
  stdout?: string;
  stderr?: string;
  ignored?: boolean;
  durationMs: number;
  items?: ReportedResult[];
}

export interface HostTally {
  ok: number;
  changed: number;
  /** Under --check: steps whose outcome cannot be predicted (neither in `ok`, `changed` nor `skipped`). */
  uncertain: number;
  failed: number;
  skipped: number;
  unreachable: number;
  ignored: number;
}

/** The recap is data first: tests assert on it, reporters render it. */
export interface Recap {
  hosts: Record<string, HostTally>;
  check: boolean;
  durationMs: number;
  exitCode: number;
  interrupted: boolean;
  /** Round trips and connections per host, from the connectors' counters. */
  transport: Record<string, { roundTrips: number; connections: number; channels?: number }>;
  /** Hosts left alone because another run held their lock (absent when none). */
  locked?: Record<string, LockedHost>;
  /** The slice this run was (`--slice K/N`); absent for an unsliced run and a merged recap. */
  slice?: { index: number; count: number };
}

/** A sliced run's place: the K-th of N, and how many hosts the playbook selects in all slices. */
export interface SliceInfo {
  index: number;
  count: number;
  selected: number;
}

/** Another run's lock on a host: who holds it, and how long until it counts as dead. */
export interface LockedHost {
  lockPath: string;
  holder: string;
  /** Seconds until the lock is taken over if its holder's heartbeat stays silent. */
  staleInS: number;
}

/**
 * Whether a result is "cannot predict": under --check, a step that would run (or be skipped)
 * but whose outcome depends on something only known after apply. A read-only step whose data
 * is unknown still predicts its outcome (`ok`), so it is not counted here.
 *
 *   cannotPredict({ status: 'changed', uncertain: '"01 packages" would change it first' })   // true
 */
export function cannotPredict(r: { status: string; uncertain?: string | undefined }): boolean {
  return r.uncertain !== undefined && (r.status === 'changed' || r.status === 'skipped');
}

export type RunEvent =
  | { type: 'run.start'; runId: string; playbook: string; check: boolean; diff: boolean; forks: number; hosts: string[]; time: string; slice?: SliceInfo }
  | { type: 'play.start'; play: string; hosts: string[]; batch: { index: number; count: number } }
  | { type: 'step.start'; play: string; step: string; stepId: string; index: number; hosts: string[]; handler: boolean }
  | { type: 'host.step'; play: string; step: string; stepId?: string; index: number; host: string; handler: boolean; result: ReportedResult; diffs: FileDiff[]; delegatedTo?: string }
  | { type: 'host.unreachable'; host: string; message: string }
  | ({ type: 'host.locked'; host: string; message: string } & LockedHost)
  | { type: 'play.end'; play: string }
  | { type: 'progress'; done: number; total: number; running: string[]; elapsedMs: number }
  | { type: 'warning'; message: string; host?: string }
  | { type: 'run.end'; recap: Recap };

export type RunEventType = RunEvent['type'];

export type EventListener = (event: RunEvent) => void;

/** Exit codes, one meaning each (documented in docs/exit-codes.md). */
export const ExitCode = {
  ok: 0,
  internal: 1,
  failed: 2,
  locked: 3,
  unreachable: 4,
  invalidInput: 5,
  failedAndUnreachable: 6,
  interrupted: 130,
} as const;

/** Interrupted wins, then failed/unreachable; LOCKED (3) only when nothing else went wrong. */
export function exitCodeFor(tallies: Iterable<HostTally>, interrupted: boolean, locked = false): number {
  if (interrupted) return ExitCode.interrupted;
  let failed = false;
  let unreachable = false;
  for (const t of tallies) {
    failed ||= t.failed > 0;
    unreachable ||= t.unreachable > 0;
  }
  if (failed && unreachable) return ExitCode.failedAndUnreachable;
  if (failed) return ExitCode.failed;
  if (unreachable) return ExitCode.unreachable;
  if (locked) return ExitCode.locked;
  return ExitCode.ok;
}
