/**
 * `--json`: one event per line (NDJSON), each `{ "v": 1, "type": ..., ... }`, as it happens.
 * The schema is the RunEvent union in src/events.ts, documented in docs/json-events.md.
 *
 *   const r = new JsonReporter((line) => process.stdout.write(line));
 *   engine.run(..., (e) => r.handle(e));
 */
import { EVENT_SCHEMA_VERSION, type RunEvent } from '../events.ts';

export class JsonReporter {
  constructor(private readonly write: (line: string) => void) {}

  handle(e: RunEvent): void {
    if (e.type === 'progress') return;
    this.write(`${JSON.stringify({ v: EVENT_SCHEMA_VERSION, ...e })}\n`);
  }
}
