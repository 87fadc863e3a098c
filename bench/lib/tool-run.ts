/**
 * What one run of a tool produced: the timed process, the tool's own report, and whether it
 * counts as a success.
 *
 *   const r: ToolRun = { timed, changed: 0, roundTripsPerHost: 2 };
 *   toolRunError(r);   // undefined when the command exited 0 in time; else a short reason
 */
import type { TimedRun } from './proc.ts';

export interface ToolRun {
  timed: TimedRun;
  /** Changes over all hosts, as the tool reported them. */
  changed?: number;
  roundTripsPerHost?: number;
  /** What went wrong, from the tool's output. */
  error?: string;
}

/** A one-paragraph reason when the run failed, else undefined. */
export function toolRunError(r: ToolRun): string | undefined {
  if (r.timed.timedOut) return `timed out after ${r.timed.wallS.toFixed(0)} s${r.error ? `: ${r.error}` : ''}`;
  if (r.timed.exitCode !== 0) return `exit code ${r.timed.exitCode}${r.error ? `: ${r.error}` : ''}`;
  return r.error;
}

/** The last `count` non-empty lines of a text, for error messages. */
export function tail(text: string, count: number): string {
  return text.split('\n').filter((l) => l.trim()).slice(-count).join('\n');
}
