/**
 * GNU time (`/usr/bin/time`): the argv that wraps a command, and the parser of its report.
 * Its user and system times cover every process of the tree that was waited for; its
 * maximum resident set size is that of the largest single process.
 *
 *   timeArgv('/tmp/t.txt', ['ansible-playbook', 'site.yml']);
 *   // ['/usr/bin/time', '-f', 'capstan-bench-time wall=%e user=%U sys=%S maxrss_kb=%M exit=%x', '-o', '/tmp/t.txt', 'ansible-playbook', 'site.yml']
 *   parseGnuTime('capstan-bench-time wall=1.52 user=0.91 sys=0.20 maxrss_kb=98304 exit=0\n');
 *   // { wallS: 1.52, userS: 0.91, sysS: 0.2, maxRssKb: 98304, exitCode: 0 }
 */

export const GNU_TIME = '/usr/bin/time';
const TAG = 'capstan-bench-time';
export const GNU_TIME_FORMAT = `${TAG} wall=%e user=%U sys=%S maxrss_kb=%M exit=%x`;

export interface GnuTimeReport {
  wallS: number;
  userS: number;
  sysS: number;
  maxRssKb: number;
  exitCode: number;
  /** Set when the command was ended by a signal ("Command terminated by signal 9"). */
  signal?: number;
}

/** The command wrapped in GNU time, its report written to `reportPath` (not mixed into stderr). */
export function timeArgv(reportPath: string, argv: string[]): string[] {
  return [GNU_TIME, '-f', GNU_TIME_FORMAT, '-o', reportPath, ...argv];
}

/** Parses the report; undefined when it holds no complete line in our format. */
export function parseGnuTime(text: string): GnuTimeReport | undefined {
  const line = text.split('\n').reverse().find((l) => l.startsWith(`${TAG} `));
  if (!line) return undefined;
  const fields = new Map(line.slice(TAG.length + 1).trim().split(/\s+/).map((kv) => {
    const i = kv.indexOf('=');
    return [kv.slice(0, i), kv.slice(i + 1)] as const;
  }));
  const num = (k: string) => {
    const v = fields.get(k);
    return v === undefined || v === '' ? Number.NaN : Number(v);
  };
  const report: GnuTimeReport = { wallS: num('wall'), userS: num('user'), sysS: num('sys'), maxRssKb: num('maxrss_kb'), exitCode: num('exit') };
  if (Object.values(report).some((v) => !Number.isFinite(v))) return undefined;
  const signal = /Command terminated by signal (\d+)/.exec(text);
  if (signal?.[1]) report.signal = Number(signal[1]);
  return report;
}
