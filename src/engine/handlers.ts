/**
 * Handlers and their durable journal. A notification is written to a journal on the host
 * as soon as the notifying change is made, and removed only after the handler ran there, so
 * a run that fails between the change and the handler still fires it on the next run.
 *
 *   journalReadSection(key)            // a batch section listing pending handler names
 *   journalAppendScript(key, ['restart app'])
 *   journalClearScript(key)
 */
import { createHash } from 'node:crypto';
import { quote } from '../commands/quote.ts';
import type { BatchSection } from './batch.ts';
import type { PreparedHandler } from './prepare.ts';
import { SET_STATE_DIR } from './run-lock.ts';

/** Sets `$j` to the handler journals' directory on the host. */
const SET_JOURNAL_DIR = `${SET_STATE_DIR}; j=$d/handlers`;

/** A stable key for one play of one playbook. */
export function journalKey(playbookId: string, playName: string): string {
  return createHash('sha256').update(`${playbookId}\0${playName}`).digest('hex').slice(0, 20);
}

export function journalReadSection(key: string): BatchSection {
  // read by the shell itself: the journal is a few short lines
  return { id: 'journal', script: `${SET_JOURNAL_DIR}; f=$j/${key}; { while IFS= read -r l || [ -n "$l" ]; do printf '%s\\n' "$l"; done < "$f"; } 2>/dev/null; true` };
}

export function parseJournal(stdout: string | undefined): string[] {
  return (stdout ?? '').split('\n').map((l) => l.trim()).filter(Boolean);
}

export function journalAppendScript(key: string, names: readonly string[]): string {
  const lines = names.map((n) => quote(n)).join(' ');
  return `${SET_JOURNAL_DIR}; mkdir -p -m 0700 "$j" && (umask 077 && printf '%s\\n' ${lines} >> "$j/${key}")`;
}

export function journalClearScript(key: string): string {
  return `${SET_JOURNAL_DIR}; rm -f -- "$j/${key}"`;
}

/** The handlers to run, in definition order, for a set of notified names or topics. */
export function handlersToRun(handlers: readonly PreparedHandler[], notified: ReadonlySet<string>): PreparedHandler[] {
  return handlers.filter((h) => notified.has(h.name) || h.listen.some((t) => notified.has(t)));
}
