/**
 * Per-section cost of a batch on the host that runs it: before each section, and when the
 * shell exits, the batch writes a mark on its stderr with the clock, the last process id the
 * kernel handed out in the shell's pid namespace (the last field of /proc/loadavg), and the shell's `times` (its own and its
 * children's user and system time). Every mark is builtins only: it starts no program.
 *
 *   const { script, sections } = instrumentBatch(buildBatch([{ id: 'a', script: 'id -u' }]).script);
 *   const r = await connector.exec({ script });                 // the batch's stdout is unchanged
 *   sectionCosts(parseMarks(r.stderr), sections.length)          // → [{ index: 0, processes: 2, cpuMs: 1.2, wallMs: 1.9 }]
 */

/** What one section cost on the host. */
export interface SectionCost {
  index: number;
  /** Processes started (forks, subshells and programs) in the pid namespace, the section's own subshell included. */
  processes: number;
  /** User + system time of the shell and its children. */
  cpuMs: number;
  wallMs: number;
}

/** One mark the instrumented batch wrote. */
export interface Mark {
  /** Section index, or 'end'. */
  at: number | 'end';
  clockMs: number;
  lastPid: number;
  /** Shell user + system, plus children user + system, in ms. */
  cpuMs: number;
}

const TAG = '@@capstan-profile';

/**
 * The clock: the scheduler's `se.exec_start` of the shell itself (ms, µs precision) where
 * the kernel shows it, else /proc/uptime (10 ms steps).
 */
const PRELUDE = [
  `__cp() { __w=; { read __a; read __a; read __a __b __w; } </proc/self/sched 2>/dev/null && __u=ms || { read __w __a </proc/uptime; __u=s; }`,
  `  read __a __a __a __a __n </proc/loadavg; printf '${TAG} %s %s%s %s\\n' "$1" "$__w" "$__u" "$__n" >&2; times >&2; }`,
  `trap '__cp end' EXIT`,
].join('\n');

const BEGIN = /printf '(__CAPSTAN_[0-9a-f]+):(\d+):B\\n'; /g;

/**
 * The batch with a mark before every section and one at exit, and each section's own script
 * (to label the rows). Throws when the text is not a batch of buildBatch.
 */
export function instrumentBatch(batch: string): { script: string; sections: string[] } {
  const sections: string[] = [];
  const script = batch.replace(BEGIN, (whole: string, marker: string, index: string, offset: number) => {
    const bodyStart = offset + whole.length;
    const end = batch.indexOf(`; __rc=$?; printf '\\n${marker}:${index}:E:`, bodyStart);
    sections[Number(index)] = batch.slice(bodyStart, end).replace(/^\( /, '').replace(/\n\) <\/dev\/null( 2>&1| 2>\/dev\/null)$/, '');
    return `__cp ${index}; ${whole}`;
  });
  if (sections.length === 0) throw new Error('not a batch: no section markers found');
  return { script: `${PRELUDE}\n${script}`, sections };
}

/** `0m0.012000s` → 12; dash and bash print it so. */
function minutesSeconds(word: string): number {
  const m = /^(\d+)m([\d.]+)s$/.exec(word);
  if (!m) throw new Error(`unexpected times output: ${word}`);
  return (Number(m[1]) * 60 + Number(m[2])) * 1000;
}

/** The marks in an instrumented batch's stderr (other stderr lines are skipped). */
export function parseMarks(stderr: string): Mark[] {
  const lines = stderr.split('\n');
  const marks: Mark[] = [];
  lines.forEach((line, i) => {
    const m = new RegExp(`^${TAG} (\\d+|end) ([\\d.]+)(ms|s) (\\d+)$`).exec(line);
    if (!m) return;
    const times = `${lines[i + 1] ?? ''} ${lines[i + 2] ?? ''}`.trim().split(/\s+/);
    if (times.length !== 4) throw new Error(`no times after the mark "${line}"`);
    marks.push({
      at: m[1] === 'end' ? 'end' : Number(m[1]),
      clockMs: Number(m[2]) * (m[3] === 's' ? 1000 : 1),
      lastPid: Number(m[4]),
      cpuMs: times.reduce((sum, w) => sum + minutesSeconds(w), 0),
    });
  });
  return marks;
}

/** Differences between consecutive marks: one row per section that ran. */
export function sectionCosts(marks: readonly Mark[]): SectionCost[] {
  const rows: SectionCost[] = [];
  for (let i = 0; i + 1 < marks.length; i++) {
    const a = marks[i]!;
    const b = marks[i + 1]!;
    if (a.at === 'end') break;
    rows.push({ index: a.at, processes: b.lastPid - a.lastPid, cpuMs: b.cpuMs - a.cpuMs, wallMs: b.clockMs - a.clockMs });
  }
  return rows;
}

/** A short label for a section's script: its first line, without quoting noise, cut at `width`. */
export function sectionLabel(script: string, width = 60): string {
  const line = script.split('\n').map((l) => l.trim()).find((l) => l && !/^(if ! command -v|E=; F=; L=)/.test(l)) ?? '';
  const flat = line.replace(/\s+/g, ' ');
  return flat.length > width ? `${flat.slice(0, width - 1)}…` : flat;
}
