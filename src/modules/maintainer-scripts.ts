/**
 * What a Debian maintainer script (preinst, postinst) may change, read from its text without
 * running it, or why it cannot be told. Only scripts made wholly of known lines are read: the
 * snippets debhelper generates (units, init scripts, tmpfiles, conffile moves) and
 * `adduser --system` or `addgroup --system` with literal arguments; control flow and `[ ... ]` tests have no effect of
 * their own, so every command is taken to run, whatever the conditions say.
 *
 *   readMaintainerScript('#!/bin/sh\nset -e\nadduser --system --group haproxy\n')
 *   // → { ok: true, effects: { users: ['haproxy'], groups: ['haproxy'], accounts: true, paths: [], ... } }
 *   readMaintainerScript('#!/bin/sh\nrm -rf /var/cache/foo\n')
 *   // → { ok: false, reason: 'line 2 is not one Capstan can read: rm -rf /var/cache/foo' }
 *
 * Anything else (a variable in an argument, a redirection to a file, a function, any other
 * program) makes the whole script unreadable, and the caller assumes the widest effects.
 */

export interface ScriptEffects {
  users: string[];
  groups: string[];
  /** The script creates users or groups (the account files change). */
  accounts: boolean;
  /** Homes adduser may create. */
  homes: string[];
  /** Paths (and what lies below them) it may write. */
  paths: string[];
  /** It changes systemd's state (enables, masks, reloads units). */
  units: boolean;
  /** Services it may start, restart or reload. */
  services: string[];
  /** It runs `systemd-tmpfiles --create` on tmpfiles.d files of its package. */
  tmpfiles: boolean;
}

export type ScriptReading = { ok: true; effects: ScriptEffects } | { ok: false; reason: string };

export function noScriptEffects(): ScriptEffects {
  return { users: [], groups: [], accounts: false, homes: [], paths: [], units: false, services: [], tmpfiles: false };
}

const STRUCTURE = /^(set -e|set -eu|set -e -u|exit 0|exit 1|fi|else|then|esac|;;|case "\$1" in|[a-z*|-]+\))$/;
const SUFFIX = /\s*(>\s*\/dev\/null|2>\s*\/dev\/null|2>&1|\|\|\s*true|\|\|\s*exit 1|\|\|\s*:)\s*$/;
const WORD = /^[A-Za-z0-9_@%+=:,./~-]+$/;
const RC_PATHS = ['/etc/rc0.d', '/etc/rc1.d', '/etc/rc2.d', '/etc/rc3.d', '/etc/rc4.d', '/etc/rc5.d', '/etc/rc6.d', '/etc/rcS.d', '/etc/init.d/.depend.boot', '/etc/init.d/.depend.start', '/etc/init.d/.depend.stop'];
const UNIT_STATE = ['/etc/systemd/system', '/var/lib/systemd/deb-systemd-helper-enabled', '/var/lib/systemd/deb-systemd-helper-masked', '/var/lib/systemd/deb-systemd-user-helper-enabled'];

/** Reads one maintainer script. */
export function readMaintainerScript(text: string): ScriptReading {
  const effects = noScriptEffects();
  const lines = text.replace(/\\\n/g, ' ').split('\n');
  for (const [i, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || STRUCTURE.test(line)) continue;
    const ok = /^(if|elif) /.test(line) ? readCondition(line) : readCommand(line, effects);
    if (!ok) return { ok: false, reason: `line ${i + 1} is not one Capstan can read: ${line.slice(0, 120)}` };
  }
  return { ok: true, effects };
}

/** `if COND; then` where every part of COND is a test or a command that only reads. */
function readCondition(line: string): boolean {
  const m = /^(?:if|elif) (.*?)\s*;?\s*then$/.exec(line);
  if (!m?.[1]) return false;
  return m[1].split(/\s*(?:&&|\|\|)\s*/).every((atom) => {
    const words = tokens(atom.replace(/^!\s*/, ''));
    if (!words) return false;
    if (words[0] === '[' && words.at(-1) === ']') return true;
    if (words[0] === 'dpkg' && words[1] === '--compare-versions') return true;
    if (words[0] === 'deb-systemd-helper' && words[1] === '--quiet' && words[2] === 'was-enabled') return true;
    return false;
  });
}

/** One command line: its effects are added to `e`; false when it is not a known one. */
function readCommand(line: string, e: ScriptEffects): boolean {
  let command = line;
  for (let prev = ''; prev !== command; ) {
    prev = command;
    command = command.replace(SUFFIX, '');
  }
  const words = tokens(command);
  if (!words?.length) return false;
  const [program, ...args] = words;
  switch (program) {
    case 'adduser':
      return readAdduser(args, e);
    case 'addgroup':
      return readAddgroup(args, e);
    case 'systemd-tmpfiles':
      e.tmpfiles = true;
      return args.filter((a) => a !== '$DPKG_ROOT_OPT').every((a, i) => (i === 0 ? a === '--create' : /^[\w.@-]+\.conf$/.test(a)));
    case 'dpkg-maintscript-helper':
      return readMaintscriptHelper(args, e);
    case 'chmod':
      return args.length === 2 && /^[+-]x$/.test(args[0] ?? '') && literalPath(args[1]) && pushed(e.paths, args[1]);
    case 'update-rc.d':
      e.units = true;
      e.paths.push(...RC_PATHS, ...UNIT_STATE);
      return args.length === 2 && WORD.test(args[0] ?? '') && ['defaults', 'remove', 'enable', 'disable', 'defaults-disabled'].includes(args[1] ?? '');
    case 'invoke-rc.d':
      return readInvokeRcd(args, e);
    case 'deb-systemd-helper':
      e.units = true;
      e.paths.push(...UNIT_STATE);
      return ['unmask', 'enable', 'disable', 'mask', 'update-state', 'purge', 'reenable', 'debian-installed'].includes(args[0] ?? '') && args.slice(1).every((a) => WORD.test(a));
    case 'systemctl':
      e.units = true;
      return args.filter((a) => a !== '--system').join(' ') === 'daemon-reload';
    case 'deb-systemd-invoke':
      return readSystemdInvoke(args, e);
    default:
      return false;
  }
}

function readAdduser(args: string[], e: ScriptEffects): boolean {
  const flags = ['--system', '--disabled-password', '--disabled-login', '--quiet', '--force-badname', '--allow-bad-names', '--group', '--no-create-home'];
  const valued = ['--home', '--shell', '--ingroup', '--gecos', '--comment', '--uid', '--gid', '--firstuid', '--lastuid'];
  const names: string[] = [];
  let home: string | undefined;
  let group = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? '';
    if (flags.includes(a)) group ||= a === '--group';
    else if (valued.includes(a)) {
      const v = args[++i];
      if (v === undefined || v.includes('$')) return false;
      if (a === '--home') home = v;
      if (a === '--ingroup') e.groups.push(v);
    } else if (WORD.test(a) && !a.startsWith('-')) names.push(a);
    else return false;
  }
  const [user, joined] = names;
  if (!user || names.length > 2 || !args.includes('--system')) return false;
  e.accounts = true;
  e.users.push(user);
  if (group) e.groups.push(user);
  if (joined) e.groups.push(joined);
  if (!args.includes('--no-create-home') && !joined) e.homes.push(home ?? `/home/${user}`);
  return true;
}

function readAddgroup(args: string[], e: ScriptEffects): boolean {
  const names = args.filter((a) => !['--system', '--quiet', '--force-badname', '--allow-bad-names'].includes(a));
  if (!args.includes('--system') || names.length !== 1 || !WORD.test(names[0] ?? '') || names[0]?.startsWith('-')) return false;
  e.accounts = true;
  e.groups.push(names[0] ?? '');
  return true;
}

/** `dpkg-maintscript-helper mv_conffile OLD NEW [VERSION] -- "$@"` and its siblings: the paths it names. */
function readMaintscriptHelper(args: string[], e: ScriptEffects): boolean {
  const [command, ...rest] = args;
  if (!['mv_conffile', 'rm_conffile', 'symlink_to_dir', 'dir_to_symlink'].includes(command ?? '')) return false;
  const end = rest.indexOf('--');
  if (end < 0 || rest.slice(end + 1).join(' ') !== '$@') return false;
  const own = rest.slice(0, end);
  if (!own.every((a) => WORD.test(a))) return false;
  e.paths.push(...own.filter((a) => a.startsWith('/')));
  return true;
}

function readInvokeRcd(args: string[], e: ScriptEffects): boolean {
  const rest = args.filter((a) => a !== '--skip-systemd-native' && a !== '--quiet');
  const [name, action] = rest;
  if (rest.length !== 2 || !name || !WORD.test(name)) return false;
  if (['start', 'restart', 'reload', 'force-reload', 'try-restart'].includes(action ?? '')) e.services.push(name);
  else if (action !== 'stop' && action !== 'status') return false;
  e.units = true;
  return true;
}

function readSystemdInvoke(args: string[], e: ScriptEffects): boolean {
  const [action, ...units] = args;
  if (!units.length || !units.every((u) => WORD.test(u))) return false;
  if (['start', 'restart', 'reload', 'try-restart', 'reload-or-restart', 'try-reload-or-restart'].includes(action ?? '')) e.services.push(...units);
  else if (action !== 'stop') return false;
  e.units = true;
  return true;
}

function literalPath(p: string | undefined): p is string {
  return p !== undefined && p.startsWith('/') && WORD.test(p);
}

function pushed(list: string[], value: string): true {
  list.push(value);
  return true;
}

const SPECIAL: Record<string, string> = {
  '"$@"': '$@',
  '"$1"': '$1',
  '"$2"': '$2',
  '${DPKG_ROOT:+--root="$DPKG_ROOT"}': '$DPKG_ROOT_OPT',
  '"${DPKG_ROOT:-}"': '$DPKG_ROOT',
};

/**
 * The words of a command: literal words, single- or double-quoted literals, and the few
 * expansions a maintainer script passes along ("$@", "$1", "$2", the DPKG_ROOT forms,
 * "$(command -v NAME)"). Null for anything else (other expansions, operators, redirections).
 */
export function tokens(text: string): string[] | null {
  const out: string[] = [];
  const re = /\s*(\$\{DPKG_ROOT:\+--root="\$DPKG_ROOT"\}|"\$\(command -v [\w.-]+\)"|"[^"$`\\]*"|"\$[@12]"|"\$\{DPKG_ROOT:-\}"|'[^']*'|(?:[^\s'"$`;&|<>()\\]|\\[~.+-])+)(?=\s|$)/y;
  let m: RegExpExecArray | null;
  let at = 0;
  while (at < text.length && (m = re.exec(text)) !== null) {
    const w = m[1] ?? '';
    out.push(SPECIAL[w] ?? (/^["']/.test(w) ? w.slice(1, -1) : w.replace(/\\(.)/g, '$1')));
    at = re.lastIndex;
  }
  return text.slice(at).trim() === '' ? out : null;
}
