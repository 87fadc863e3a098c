/**
 * sysctl facts: a kernel parameter's live value, and the text of a sysctl.d file.
 *
 *   sysctlLive('net.core.somaxconn')               // → '4096', or null when the kernel has no such key
 *   sysctlFile('/etc/sysctl.d/99-capstan.conf')    // → { dirExists: true, content: 'net.core.somaxconn = 1024\n' } (content null: no file)
 *
 * The live value is read from /proc/sys (no procps needed); both values travel base64-encoded,
 * so any byte survives. Keys are written `net.ipv4.tcp_fin_timeout` or `net/ipv4/tcp_fin_timeout`,
 * as sysctl(8) accepts them; `procSysPath` maps either form to its file.
 */
import { defineFact } from '../define/fact.ts';
import { sh } from '../commands/quote.ts';

export interface SysctlFile {
  dirExists: boolean;
  content: string | null;
}

/** The /proc/sys path of a key: `a.b.c` and `a/b/c` both give /proc/sys/a/b/c; in the dotted form a `/` stands for a `.` (VLAN `eth0.10`). */
export function procSysPath(name: string): string {
  const firstSlash = name.indexOf('/');
  const firstDot = name.indexOf('.');
  const pathForm = firstSlash >= 0 && (firstDot < 0 || firstSlash < firstDot);
  const rel = pathForm ? name : name.replace(/[./]/g, (c) => (c === '.' ? '/' : '.'));
  return `/proc/sys/${rel}`;
}

/** The dotted form of a key, for comparing keys written either way. */
export function canonicalKey(name: string): string {
  return procSysPath(name.trim()).slice('/proc/sys/'.length).replace(/[./]/g, (c) => (c === '/' ? '.' : '/'));
}

export const sysctlLive = defineFact<string, string | null>({
  name: 'sysctl.live',
  command: (name) => String(sh`f=${procSysPath(name)}; if [ -f "$f" ] && v=$(base64 -w0 < "$f"); then printf 'value %s\\n' "$v"; else echo missing; fi`),
  parse: (out) => parseLive(out),
});

/** The directory of `/a/b/c` (`/a/b`), as `dirname` prints it, without starting it; null for other forms (relative, `//`, trailing `/`). */
export function plainDir(path: string): string | null {
  return /^\/(?:[^/]+\/)*[^/]+$/.test(path) ? path.slice(0, path.lastIndexOf('/')) || '/' : null;
}

export const sysctlFile = defineFact<string, SysctlFile>({
  name: 'sysctl.file',
  command: (path) => {
    const dir = plainDir(path);
    return String(sh`f=${path}; `) + (dir === null ? `if [ -d "$(dirname -- "$f")" ]; ` : String(sh`if [ -d ${dir} ]; `)) + `then d=yes; else d=no; fi; ` +
      `if [ -f "$f" ]; then printf '%s %s\\n' "$d" "$(base64 -w0 < "$f")"; else printf '%s -\\n' "$d"; fi`;
  },
  parse: (out) => parseSysctlFile(out),
});

export function parseLive(out: string): string | null {
  const line = out.trim();
  if (line === 'missing') return null;
  const m = /^value ?([A-Za-z0-9+/=]*)$/.exec(line);
  if (!m) throw new Error('expected "value <base64>" or "missing"');
  return Buffer.from(m[1] ?? '', 'base64').toString('utf8').replace(/\n$/, '');
}

export function parseSysctlFile(out: string): SysctlFile {
  const m = /^(yes|no)(?: (-|[A-Za-z0-9+/=]*))?$/.exec(out.trim());
  if (!m) throw new Error('expected "<yes|no> <base64|->"');
  return { dirExists: m[1] === 'yes', content: m[2] === '-' ? null : Buffer.from(m[2] ?? '', 'base64').toString('utf8') };
}

/** A value as sysctl compares it: trimmed, runs of blanks (tabs in `ip_local_port_range`) as one space. */
export function normalizeValue(v: string): string {
  return v.trim().split(/\s+/).join(' ');
}
