/**
 * The host's name: the static one in /etc/hostname, the live one the kernel reports, whether
 * systemd's hostnamectl can set both, and whether /etc/hostname is a bind mount (a container
 * runtime owns it, so it cannot be replaced from inside).
 *
 *   hostnameState()   // → { static: 'web1', live: 'web1', hostnamectl: true, bindMounted: false }
 */
import { defineFact } from '../define/fact.ts';

export interface HostnameState {
  /** First line of /etc/hostname; '' when the file is missing or empty. */
  static: string;
  live: string;
  /** hostnamectl is installed and systemd is the running init. */
  hostnamectl: boolean;
  bindMounted: boolean;
}

const SCRIPT = [
  `printf 'static=%s\\n' "$(head -n 1 /etc/hostname 2>/dev/null)"`,
  `printf 'live=%s\\n' "$(cat /proc/sys/kernel/hostname 2>/dev/null || hostname)"`,
  `if command -v hostnamectl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then echo hostnamectl=yes; else echo hostnamectl=no; fi`,
  `if awk '$5 == "/etc/hostname" { found = 1 } END { exit !found }' /proc/self/mountinfo 2>/dev/null; then echo bind=yes; else echo bind=no; fi`,
].join('\n');

export const hostnameState = defineFact<void, HostnameState>({
  name: 'hostname.state',
  command: () => SCRIPT,
  parse: (out) => parseHostnameState(out),
});

export function parseHostnameState(out: string): HostnameState {
  const kv = new Map<string, string>();
  for (const line of out.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) kv.set(line.slice(0, i), line.slice(i + 1).trim());
  }
  if (!kv.has('live')) throw new Error(`unexpected hostname output ${JSON.stringify(out.slice(0, 200))}`);
  return {
    static: kv.get('static') ?? '',
    live: kv.get('live') ?? '',
    hostnamectl: kv.get('hostnamectl') === 'yes',
    bindMounted: kv.get('bind') === 'yes',
  };
}
