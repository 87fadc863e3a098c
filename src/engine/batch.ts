/**
 * Batches: many read-only probes in one command, one round trip.
 *
 *   const b = buildBatch([{ id: 'f1', script: 'uname -s' }, { id: 'f2', script: 'id -u' }]);
 *   const r = await connector.exec({ script: b.script });
 *   parseBatch(r.stdout, b.marker)   // Map { 'f1' => { stdout: 'Linux\n', exitCode: 0 }, ... }
 *
 * Each section runs in its own subshell with stdin from /dev/null and stderr discarded; its
 * output is framed by a random marker so that any text a probe prints is kept as is. A
 * section marked `gate` stops the batch when it fails (the remote lock, for instance).
 */
import { randomBytes } from 'node:crypto';
import { InternalError } from '../errors.ts';

export interface BatchSection {
  id: string;
  script: string;
  /** When this section fails, the rest of the batch is not run. */
  gate?: boolean;
  /** Keep the section's stderr in its output (for error messages). */
  keepStderr?: boolean;
}

export interface SectionOutput {
  stdout: string;
  exitCode: number;
}

export function buildBatch(sections: readonly BatchSection[]): { script: string; marker: string } {
  const marker = `__CAPSTAN_${randomBytes(8).toString('hex')}`;
  const lines = sections.map((s, i) => {
    const body = `( ${s.script}\n) </dev/null${s.keepStderr ? ' 2>&1' : ' 2>/dev/null'}`;
    const end = `__rc=$?; printf '\\n${marker}:${i}:E:%s\\n' "$__rc"`;
    const gate = s.gate ? `; [ "$__rc" -eq 0 ] || exit 0` : '';
    return `printf '${marker}:${i}:B\\n'; ${body}; ${end}${gate}`;
  });
  return { script: lines.join('\n'), marker };
}

/** Splits a batch's output back into its sections; sections not run are absent. */
export function parseBatch(stdout: string, marker: string, sections: readonly BatchSection[]): Map<string, SectionOutput> {
  const out = new Map<string, SectionOutput>();
  let pos = 0;
  sections.forEach((s, i) => {
    const begin = `${marker}:${i}:B\n`;
    const start = stdout.indexOf(begin, pos);
    if (start < 0) return;
    const endTag = `\n${marker}:${i}:E:`;
    const end = stdout.indexOf(endTag, start + begin.length - 1);
    if (end < 0) throw new InternalError(`batch output for section ${s.id} is truncated`);
    const codeEnd = stdout.indexOf('\n', end + endTag.length);
    const exitCode = Number(stdout.slice(end + endTag.length, codeEnd < 0 ? undefined : codeEnd));
    out.set(s.id, { stdout: stdout.slice(start + begin.length, end), exitCode });
    pos = codeEnd < 0 ? stdout.length : codeEnd;
  });
  return out;
}
