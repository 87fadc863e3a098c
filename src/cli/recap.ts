/**
 * `capstan recap merge FILE...`: one recap and one exit code from the `--json` event streams
 * of a sliced run's slices, as the unsliced run would have reported them (recap-merge.ts).
 *
 *   capstan run site.ts -i hosts.yml --slice 1/2 --json > s1.ndjson &
 *   capstan run site.ts -i hosts.yml --slice 2/2 --json > s2.ndjson; wait
 *   capstan recap merge s1.ndjson s2.ndjson          # PLAY RECAP, exit code as one run
 *   capstan recap merge s*.ndjson --json             # one run.end event line
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors.ts';
import { EVENT_SCHEMA_VERSION } from '../events.ts';
import { unreadable } from '../inventory/fs-errors.ts';
import { mergeSliceStreams } from '../engine/recap-merge.ts';
import { palette } from '../output/palette.ts';
import { renderRecap } from '../output/recap.ts';

export interface RecapMergeArgs {
  files: string[];
  json: boolean;
}

export function recapMergeCommand(a: RecapMergeArgs, out: (s: string) => void, err: (s: string) => void): number {
  const streams = a.files.map((name) => {
    try {
      return { name, text: readFileSync(name, 'utf8') };
    } catch (e) {
      throw new ConfigError(unreadable(name, e));
    }
  });
  const merged = mergeSliceStreams(streams);
  for (const p of merged.problems) err(`error: ${p}\n`);
  if (a.json) out(`${JSON.stringify({ v: EVENT_SCHEMA_VERSION, type: 'run.end', recap: merged.recap })}\n`);
  else {
    const c = palette(Boolean(process.stdout.isTTY) && !process.env.NO_COLOR);
    out(`${merged.playbook}: ${merged.slices} slices merged\n${renderRecap(merged.recap, c)}\n`);
  }
  return merged.recap.exitCode;
}
