/**
 * Read-only probes of things outside Capstan's control: is a TCP port accepting connections,
 * does a file contain a match for a regular expression. The shell functions are shared with
 * `waitFor`, whose loop runs the same probe on the host.
 *
 *   portOpen({ host: '127.0.0.1', port: 22 })            // → 'open' | 'closed' | 'no-probe'
 *   fileMatches({ path: '/var/log/app.log', search: 'ready' })   // → true | false
 */
import { defineFact } from '../define/fact.ts';
import { sh } from '../commands/quote.ts';

export type PortState = 'open' | 'closed' | 'no-probe';

/**
 * Defines `probe` (exit 0 when $h:$p accepts a TCP connection) with bash's /dev/tcp or
 * `nc -z`, each bounded to 2 seconds; exits 3 when the host has neither.
 */
export function portProbeFunction(host: string, port: number): string {
  return [
    sh`h=${host}; p=${port}; t=''`,
    `if command -v timeout >/dev/null 2>&1; then t='timeout 2'; fi`,
    `if command -v bash >/dev/null 2>&1; then probe() { $t bash -c ': <"/dev/tcp/$1/$2"' capstan-probe "$h" "$p" >/dev/null 2>&1; }`,
    `elif command -v nc >/dev/null 2>&1; then probe() { nc -z -w 2 "$h" "$p" >/dev/null 2>&1; }`,
    `else echo 'no-probe: neither bash nor nc is installed on the host' >&2; exit 3; fi`,
  ].join('\n');
}

/** Defines `probe` (exit 0 when the file exists and a line matches the extended regex). */
export function matchProbeFunction(path: string, search: string): string {
  return `${sh`f=${path}; re=${search}`}\nprobe() { grep -Eq -e "$re" -- "$f" 2>/dev/null; }`;
}

export const portOpen = defineFact<{ host: string; port: number }, PortState>({
  name: 'net.port',
  command: (a) => `${portProbeFunction(a.host, a.port)}\nif probe; then echo open; else echo closed; fi`,
  parse: (out, exitCode) => parsePortState(out, exitCode),
});

/** `open` or `closed`; exit status 3 means the host has no way to probe. */
export function parsePortState(out: string, exitCode: number): PortState {
  if (exitCode === 3) return 'no-probe';
  const v = out.trim();
  if (v === 'open' || v === 'closed') return v;
  throw new Error(`unexpected port probe output ${JSON.stringify(out.slice(0, 200))}`);
}

export const fileMatches = defineFact<{ path: string; search: string }, boolean>({
  name: 'file.matches',
  command: (a) => `${matchProbeFunction(a.path, a.search)}\nif probe; then echo yes; else echo no; fi`,
  parse: (out) => out.trim() === 'yes',
});
