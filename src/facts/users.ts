/**
 * Account facts: a user (passwd entry, primary and supplementary groups, a digest of the
 * password hash) and a group, each read with one command: by the shell from /etc/passwd,
 * /etc/group and /etc/shadow when nsswitch.conf names files alone, else with getent and id.
 *
 *   userInfo('deploy')    // → { name: 'deploy', uid: 1001, group: 'deploy', groups: ['docker'], comment: '', home: '/home/deploy', shell: '/bin/bash', passwordDigest: '…' } | null
 *   groupInfo('docker')   // → { name: 'docker', gid: 998 } | null
 *
 * The password hash itself never leaves the host: the fact carries the sha256 of the
 * shadow field, or null when /etc/shadow cannot be read (without become).
 */
import { createHash } from 'node:crypto';
import { defineFact } from '../define/fact.ts';
import { quote, sh } from '../commands/quote.ts';
import { READ_NSS } from './host.ts';

export interface UserInfo {
  name: string;
  uid: number;
  /** Primary group name. */
  group: string;
  /** Supplementary group names, sorted, without the primary group. */
  groups: string[];
  /** The GECOS field. */
  comment: string;
  home: string;
  shell: string;
  /** sha256 of the password field of /etc/shadow; null when it cannot be read. */
  passwordDigest: string | null;
}

export interface GroupInfo {
  name: string;
  gid: number;
}

/**
 * With files as the only source of accounts (Debian's default), the shell reads /etc/passwd,
 * /etc/group and /etc/shadow itself, printing what getent and `id -Gn` would: no program
 * started unless the account has a real password (sha256sum). Any other source (sss, ldap,
 * systemd) is asked through getent and id.
 */
const USER_FROM_FILES = [
  `e=; { while IFS= read -r l || [ -n "$l" ]; do case $l in "$n":*) e=$l; break;; esac; done < /etc/passwd; } 2>/dev/null`,
  `if [ -z "$e" ]; then echo absent; exit 0; fi`,
  `printf 'passwd=%s\\n' "$e"`,
  `g=\${e#*:*:*:}; g=\${g%%:*}; gl=; gs=`,
  `{ while IFS=: read -r gn _ gi gm || [ -n "$gn" ]; do if [ "$gi" = "$g" ] && [ -z "$gl" ]; then gl=$gn; fi; case ",$gm," in *",$n,"*) gs="$gs $gn";; esac; done < /etc/group; } 2>/dev/null`,
  `printf 'group=%s\\ngroups=%s%s\\n' "$gl" "\${gl:-$g}" "$gs"`,
  `f=; h=; { while IFS=: read -r sn sf _ || [ -n "$sn" ]; do if [ "$sn" = "$n" ]; then f=$sf; h=1; break; fi; done < /etc/shadow; } 2>/dev/null`,
].join('\n');

const USER_FROM_NSS = [
  `if ! e=$(getent passwd -- "$n"); then echo absent; exit 0; fi`,
  `printf 'passwd=%s\\n' "$e"`,
  `g=\${e#*:*:*:}; g=\${g%%:*}; gl=$(getent group -- "$g"); printf 'group=%s\\n' "\${gl%%:*}"`,
  `printf 'groups=%s\\n' "$(id -Gn -- "$n" 2>/dev/null)"`,
  `h=; if s=$(getent shadow -- "$n" 2>/dev/null); then f=\${s#*:}; f=\${f%%:*}; h=1; fi`,
].join('\n');

const USER_SCRIPT = [
  READ_NSS,
  `if [ "$P" = files ] && [ "$G" = files ] && [ "$S" = files ]; then`,
  USER_FROM_FILES,
  `else`,
  USER_FROM_NSS,
  `fi`,
  `if [ -n "$h" ]; then case $f in ${knownDigests()} *) d=$(printf '%s' "$f" | sha256sum);; esac; printf 'shadow=%s\\n' "\${d%% *}"; else echo 'shadow=?'; fi`,
].join('\n');

/**
 * The digests of the password fields of accounts without a password (locked, disabled, empty),
 * as `case` branches: most system accounts need no sha256sum started.
 */
function knownDigests(): string {
  return ['', '!', '*', '!*', '!!'].map((f) => `${quote(f)}) d=${createHash('sha256').update(f).digest('hex')};;`).join(' ');
}

export const userInfo = defineFact<string, UserInfo | null>({
  name: 'user.info',
  command: (name) => `${sh`n=${name}`}\n${USER_SCRIPT}`,
  parse: (out) => parseUserInfo(out),
});

/** Parses the output of the `user.info` command. */
export function parseUserInfo(out: string): UserInfo | null {
  if (out.trim() === 'absent') return null;
  const kv = keyValues(out);
  const passwd = kv.get('passwd');
  if (passwd === undefined) throw new Error(`no passwd entry in ${JSON.stringify(out.slice(0, 200))}`);
  const [name = '', , uid = '', , comment = '', home = '', shell = ''] = passwd.split(':');
  if (!name || !/^\d+$/.test(uid)) throw new Error(`unexpected passwd entry ${JSON.stringify(passwd.slice(0, 200))}`);
  const group = kv.get('group') ?? '';
  const all = (kv.get('groups') ?? '').split(/\s+/).filter(Boolean);
  const shadow = kv.get('shadow');
  return {
    name, uid: Number(uid), group, comment, home, shell,
    groups: [...new Set(all.filter((g) => g !== group))].sort(),
    passwordDigest: shadow && /^[0-9a-f]{64}$/.test(shadow) ? shadow : null,
  };
}

/** A group's line: read from /etc/group by the shell when files is the only source, else from getent. */
const GROUP_SCRIPT = [
  READ_NSS,
  `if [ "$G" = files ]; then`,
  `  e=; { while IFS= read -r l || [ -n "$l" ]; do case $l in "$n":*) e=$l; break;; esac; done < /etc/group; } 2>/dev/null`,
  `  if [ -n "$e" ]; then printf '%s\\n' "$e"; else echo absent; fi`,
  `elif e=$(getent group -- "$n"); then printf '%s\\n' "$e"; else echo absent; fi`,
].join('\n');

export const groupInfo = defineFact<string, GroupInfo | null>({
  name: 'group.info',
  command: (name) => `${sh`n=${name}`}\n${GROUP_SCRIPT}`,
  parse: (out) => parseGroupInfo(out),
});

/** Parses a `getent group` line (or `absent`). */
export function parseGroupInfo(out: string): GroupInfo | null {
  const line = out.trim();
  if (line === 'absent') return null;
  const [name = '', , gid = ''] = line.split(':');
  if (!name || !/^\d+$/.test(gid)) throw new Error(`unexpected group entry ${JSON.stringify(line.slice(0, 200))}`);
  return { name, gid: Number(gid) };
}

/** `key=value` lines; the value keeps everything after the first `=` (a GECOS may hold `=`). */
function keyValues(out: string): Map<string, string> {
  const kv = new Map<string, string>();
  for (const line of out.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) kv.set(line.slice(0, i), line.slice(i + 1));
  }
  return kv;
}
