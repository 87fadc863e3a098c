/**
 * Host facts: OS, architecture, CPUs, memory, init system, default address, login user,
 * all from one POSIX command (no python needed on the host).
 *
 *   const f = session.facts.lookup(hostFacts());   // { os: { family: 'debian', id: 'debian', versionId: '12' }, cpus: 2, ... }
 *   template({ ..., vars: deferred((ctx) => ({ workers: (ctx.facts?.cpus ?? 1) * 2 })) })
 */
import { defineFact } from '../define/fact.ts';

export interface HostFacts {
  hostname: string;
  kernel: string;
  arch: string;
  os: { id: string; family: OsFamily; versionId: string; codename: string; prettyName: string };
  cpus: number;
  memTotalMb: number;
  initSystem: 'systemd' | 'openrc' | 'other';
  defaultIpv4: string | null;
  user: string;
  uid: number;
}

export type OsFamily = 'debian' | 'redhat' | 'alpine' | 'arch' | 'suse' | 'unknown';

/**
 * Sets `$u` to the effective user id, read by the shell from /proc/self/status (its second
 * Uid field) where there is one, from `id -u` elsewhere: no program on Linux.
 */
export const READ_EUID = `u=; { while read -r k _ e _; do if [ "$k" = Uid: ]; then u=$e; break; fi; done < /proc/self/status; } 2>/dev/null; u=\${u:-$(id -u)}`;

/**
 * Sets `$P`, `$G` and `$S` to the sources of nsswitch.conf's passwd, group and shadow lines
 * (`files`, `files systemd`, `sss files`, ...), read by the shell.
 */
export const READ_NSS = `P=; G=; S=; { while read -r k r; do case $k in passwd:) P=$r;; group:) G=$r;; shadow:) S=$r;; esac; done < /etc/nsswitch.conf; } 2>/dev/null`;

/**
 * Sets `$n` to the name of user `$u`: from /etc/passwd read by the shell when the name service
 * looks there first (nsswitch.conf's passwd line starts with `files`, as on Debian and Red
 * Hat), so that the first entry of that id is what `id -un` would print; else `id -un`.
 */
export const READ_USER_NAME = [
  READ_NSS,
  `n=; case $P in files|files[[:blank:]]*) { while IFS=: read -r pn _ pu _; do if [ "$pu" = "$u" ]; then n=$pn; break; fi; done < /etc/passwd; } 2>/dev/null;; esac`,
  `[ -n "$n" ] || n=$(id -un)`,
].join('\n');

/**
 * Sets `$cpus` to the CPUs this process may run on, as `nproc` counts them: the shell reads
 * its Cpus_allowed_list (`0-3,8`) from /proc/self/status; `nproc` where there is none.
 */
const READ_CPUS = [
  `c=; { while read -r k v; do if [ "$k" = Cpus_allowed_list: ]; then c=$v; break; fi; done < /proc/self/status; } 2>/dev/null`,
  `cpus=0; o=$IFS; IFS=,; for r in $c; do case $r in *[!0-9-]*) cpus=0; break;; *-*) cpus=$((cpus + \${r#*-} - \${r%-*} + 1));; ?*) cpus=$((cpus + 1));; esac; done; IFS=$o`,
  `[ "$cpus" -gt 0 ] || cpus=$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN)`,
].join('\n');

/**
 * One program (ip) on Linux: the rest is read by the shell itself (the kernel's name and
 * architecture from /proc/sys/kernel/ostype and arch, which is what `uname -sm` prints), since
 * on a busy host every process started is time every host of the run waits for.
 */
const SCRIPT = [
  `h=; read -r h < /proc/sys/kernel/hostname 2>/dev/null || h=$(hostname 2>/dev/null || cat /etc/hostname)`,
  `printf 'hostname=%s\\n' "$h"`,
  `k=; m=; { read -r k < /proc/sys/kernel/ostype; read -r m < /proc/sys/kernel/arch; } 2>/dev/null`,
  `if [ -z "$k" ] || [ -z "$m" ]; then set -- $(uname -sm); k=$1; m=$2; fi`,
  `printf 'kernel=%s\\narch=%s\\n' "$k" "$m"`,
  `if [ -r /etc/os-release ]; then . /etc/os-release; fi`,
  `printf 'os_id=%s\\nos_like=%s\\nos_version=%s\\nos_codename=%s\\nos_pretty=%s\\n' "$ID" "$ID_LIKE" "$VERSION_ID" "$VERSION_CODENAME" "$PRETTY_NAME"`,
  READ_CPUS,
  `printf 'cpus=%s\\n' "$cpus"`,
  `while read -r k v _; do if [ "$k" = MemTotal: ]; then printf 'mem_kb=%s\\n' "$v"; break; fi; done < /proc/meminfo 2>/dev/null`,
  `i=; read -r i < /proc/1/comm 2>/dev/null; printf 'init=%s\\n' "$i"`,
  `a=; set -- $(ip -4 route get 1.1.1.1 2>/dev/null); while [ $# -gt 1 ]; do if [ "$1" = src ]; then a=$2; break; fi; shift; done; printf 'ipv4=%s\\n' "$a"`,
  READ_EUID,
  READ_USER_NAME,
  `printf 'user=%s\\nuid=%s\\n' "$n" "$u"`,
].join('\n');

export const hostFacts = defineFact<void, HostFacts>({
  name: 'host.info',
  command: () => SCRIPT,
  parse: (out): HostFacts => parseHostFacts(out),
});

export function parseHostFacts(out: string): HostFacts {
  const kv = new Map<string, string>();
  for (const line of out.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) kv.set(line.slice(0, i), line.slice(i + 1).trim());
  }
  const get = (k: string) => kv.get(k) ?? '';
  const init = get('init');
  return {
    hostname: get('hostname'),
    kernel: get('kernel'),
    arch: get('arch'),
    os: { id: get('os_id'), family: osFamily(get('os_id'), get('os_like')), versionId: get('os_version'), codename: get('os_codename'), prettyName: get('os_pretty') },
    cpus: Number(get('cpus')) || 1,
    memTotalMb: Math.round(Number(get('mem_kb') || 0) / 1024),
    initSystem: init === 'systemd' ? 'systemd' : /openrc|init/.test(init) && init !== 'systemd' ? (init === 'openrc-init' ? 'openrc' : 'other') : 'other',
    defaultIpv4: get('ipv4') || null,
    user: get('user'),
    uid: Number(get('uid')),
  };
}

export function osFamily(id: string, like: string): OsFamily {
  const words = `${id} ${like}`.toLowerCase().split(/\s+/);
  if (words.some((w) => ['debian', 'ubuntu'].includes(w))) return 'debian';
  if (words.some((w) => ['rhel', 'fedora', 'centos', 'rocky', 'almalinux'].includes(w))) return 'redhat';
  if (words.includes('alpine')) return 'alpine';
  if (words.includes('arch')) return 'arch';
  if (words.some((w) => w.startsWith('suse') || w === 'opensuse')) return 'suse';
  return 'unknown';
}
