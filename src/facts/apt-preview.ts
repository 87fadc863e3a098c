/**
 * apt.preview: what an `apt-get install` would bring, read before anything is installed and
 * without changing the host, so that check mode can tell which later steps it cannot affect.
 *
 *   aptPreview({ names: ['curl', 'haproxy'], recommends: false, update: true })
 *   // → { ok: true, installs: [{ name: 'haproxy', version: '2.6.12-1+deb12u3', old: null }, ...],
 *   //     removes: [], debs: [{ name: 'haproxy', entries: [{ type: 'd', path: '/etc/haproxy' }, ...],
 *   //     control: ['postinst', ...], scripts: { postinst: '#!/bin/sh\n...' }, triggers: [], dynamicUser: [], tmpfiles: [...],
 *   //     existingEtcDirs: ['/etc/default'] }], host: { fileTriggers: [...], ldDirs: [...], links: [...], mounts: [...], adduserLocal: false } }
 *
 * One command, in a throwaway directory that is removed when it ends (trap on exit):
 * - apt reads a private configuration: its caches, logs (a simulation logs its plan in
 *   /var/log/apt/eipp.log.xz), lists and archives in the throwaway directory, and the update
 *   hooks of apt.conf.d cleared (a hook may delete the host's cached archives). With `update` (the step would update the lists first) the lists
 *   are fetched into the throwaway directory; otherwise the host's lists are read as they are.
 * - `apt-get install -s` names every package the transaction would install, dependencies
 *   included; `apt-get download` fetches exactly those versions into the throwaway directory;
 *   `dpkg-deb` lists each one's files and prints its maintainer scripts, triggers, the
 *   DynamicUser settings of its units and its tmpfiles.d lines.
 * - From the host: dpkg's file-trigger interests, ld.so.conf directories, symbolic links and
 *   mount points that could make a path an alias of another, paths owned by ids without a
 *   name (a new account could take the id), whether adduser would run a local hook
 *   (/usr/local/sbin/adduser.local), apt's own hooks around dpkg and updates, and the
 *   tmpfiles.d files in /etc and /run that replace a package's.
 * Any failure yields `{ ok: false, reason }`: the caller then assumes the widest effects.
 */
import { defineFact } from '../define/fact.ts';
import { sh } from '../commands/quote.ts';

export interface PreviewArgs {
  names: readonly string[];
  recommends: boolean;
  /** Fetch fresh lists into the throwaway directory first (the step would update them). */
  update: boolean;
}

export interface DebEntry {
  /** tar's type letter: `d` directory, `-` file, `l` symbolic link, `h` hard link. */
  type: string;
  path: string;
}

export interface DebPreview {
  name: string;
  entries: DebEntry[];
  /** Control members (`postinst`, `triggers`, `config`, ...). */
  control: string[];
  /** preinst, postinst and config text, by member name. */
  scripts: Record<string, string>;
  triggers: string[];
  /** `DynamicUser=` lines of the units it ships. */
  dynamicUser: string[];
  /** Lines of the tmpfiles.d files it ships. */
  tmpfiles: string[];
  /** Directories under /etc it ships that already exist on the host. */
  existingEtcDirs: string[];
}

export interface HostPreview {
  /** /var/lib/dpkg/triggers/File: `path package` lines. */
  fileTriggers: string[];
  /** Directories of /etc/ld.so.conf and ld.so.conf.d. */
  ldDirs: string[];
  /** Symbolic links under the trees a step may name (capped: `linksCapped`). */
  links: string[];
  linksCapped: boolean;
  /** Paths there owned by a user or group that has no name (a new account could take its id). */
  unowned: string[];
  /** Mount points with their filesystem type. */
  mounts: { path: string; type: string }[];
  adduserLocal: boolean;
  /** apt's hooks around dpkg and list updates: `DPkg::Post-Invoke <command>`. */
  hooks: string[];
  /** Names of tmpfiles.d files in /etc and /run, which take the place of a package's file of the same name. */
  tmpfilesOverrides: string[];
}

export type AptPreview =
  | {
      ok: true;
      installs: { name: string; version: string; old: string | null }[];
      removes: string[];
      debs: DebPreview[];
      host: HostPreview;
    }
  | { ok: false; reason: string };

/** Symbolic links beyond this many make the preview give up on telling aliases apart. */
export const LINK_CAP = 20_000;
const LINK_ROOTS = ['/etc', '/var', '/usr/local', '/opt', '/srv', '/root', '/home', '/mnt', '/tmp'];

const APT_CONF = [
  '#clear APT::Update::Pre-Invoke;',
  '#clear APT::Update::Post-Invoke;',
  '#clear APT::Update::Post-Invoke-Success;',
  'APT::Sandbox::User "root";',
  'Acquire::Languages "none";',
  'Dir::Cache "$t/cache/";',
  'Dir::Log "$t/log/";',
];

function script({ names, recommends, update }: PreviewArgs): string {
  const conf = [...APT_CONF, ...(update ? ['Dir::State::Lists "$t/lists/";'] : [])];
  const rec = recommends ? '--install-recommends' : '--no-install-recommends';
  return [
    `if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg-deb >/dev/null 2>&1; then echo 'E the host has no apt-get or dpkg-deb'; exit 0; fi`,
    `t=$(mktemp -d) || { echo 'E no temporary directory'; exit 0; }`,
    `trap 'rm -rf -- "$t"' EXIT`,
    `mkdir -p "$t/cache/archives/partial" "$t/lists/partial" "$t/debs" "$t/log"`,
    `printf '%s\\n' ${conf.map((l) => `"${l.replace(/"/g, '\\"')}"`).join(' ')} > "$t/apt.conf"`,
    `a() { apt-get -q -c "$t/apt.conf" "$@" </dev/null; }`,
    ...(update ? [`a update >"$t/update.log" 2>&1 || { printf 'E apt-get update failed: %s\\n' "$(tail -n 1 "$t/update.log")"; exit 0; }`] : []),
    `a -s ${rec} install ${sh`-- ${[...names]}`} >"$t/sim" 2>&1 || { printf 'E apt-get -s install failed: %s\\n' "$(grep '^E:' "$t/sim" | head -n 1)"; exit 0; }`,
    `sed -n 's/^Inst \\([^ ]*\\) \\[\\([^]]*\\)\\] (\\([^ ]*\\) .*/I \\1 \\3 \\2/p; s/^Inst \\([^ ]*\\) (\\([^ ]*\\) .*/I \\1 \\2/p; s/^Remv \\([^ ]*\\).*/R \\1/p' "$t/sim"`,
    `w=$(sed -n 's/^Inst \\([^ ]*\\) \\(\\[[^]]*\\] \\)\\{0,1\\}(\\([^ ]*\\) .*/\\1=\\3/p' "$t/sim")`,
    `if [ -n "$w" ]; then (cd "$t/debs" && a download $w) >"$t/download.log" 2>&1 || { printf 'E apt-get download failed: %s\\n' "$(grep '^E:' "$t/download.log" | head -n 1)"; exit 0; }; fi`,
    `for d in "$t"/debs/*.deb; do [ -f "$d" ] || continue`,
    `  rm -rf "$t/c" "$t/f.tar" && dpkg-deb -e "$d" "$t/c" && dpkg-deb --fsys-tarfile "$d" >"$t/f.tar" || { echo "E cannot read $d"; exit 0; }`,
    `  printf 'D %s\\n' "$(dpkg-deb -f "$d" Package)"`,
    `  tar -tvf "$t/f.tar" | sed 's/^/P /'`,
    `  tar -tvf "$t/f.tar" | sed -n 's/^d[^ ]* [^ ]* *[0-9]* [0-9-]* [0-9:]* \\.\\(\\/etc\\/.*\\)\\/$/\\1/p' | while IFS= read -r p; do if [ -d "$p" ]; then printf 'H %s\\n' "$p"; fi; done`,
    `  for f in "$t"/c/*; do m=\${f##*/}; printf 'C %s\\n' "$m"; case "$m" in preinst|postinst|config) sed "s/^/S $m /" "$f";; triggers) sed 's/^/T /' "$f";; esac; done`,
    `  tar -xOf "$t/f.tar" --wildcards './lib/systemd/system/*' './usr/lib/systemd/system/*' 2>/dev/null | grep -i '^[[:space:]]*DynamicUser[[:space:]]*=' | sed 's/^/U /'`,
    `  tar -xOf "$t/f.tar" --wildcards './lib/tmpfiles.d/*' './usr/lib/tmpfiles.d/*' 2>/dev/null | sed 's/^/M /'`,
    `done`,
    `sed 's/^/F /' /var/lib/dpkg/triggers/File 2>/dev/null`,
    `cat /etc/ld.so.conf /etc/ld.so.conf.d/*.conf 2>/dev/null | sed -n 's/^[[:space:]]*\\(\\/[^[:space:]#]*\\).*/L \\1/p'`,
    `find ${LINK_ROOTS.join(' ')} -xdev \\( -type l -printf 'K %p\\n' -o \\( -nouser -o -nogroup \\) -printf 'O %p\\n' \\) 2>/dev/null | head -n ${LINK_CAP + 1}`,
    `sed 's/^/N /' /proc/self/mountinfo 2>/dev/null`,
    `if [ -e /usr/local/sbin/adduser.local ]; then echo A; fi`,
    `apt-config dump 2>/dev/null | sed -n 's/^\\(DPkg::\\(Pre-Invoke\\|Post-Invoke\\|Pre-Install-Pkgs\\)\\|APT::Update::\\(Pre-Invoke\\|Post-Invoke\\|Post-Invoke-Success\\)\\)::* "\\(..*\\)";$/J \\1 \\4/p'`,
    `for f in /etc/tmpfiles.d/* /run/tmpfiles.d/*; do if [ -e "$f" ]; then printf 'Q %s\\n' "\${f##*/}"; fi; done`,
    'echo Z',
    'exit 0',
  ].join('\n');
}

export const aptPreview = defineFact<PreviewArgs, AptPreview>({
  name: 'apt.preview',
  command: (args) => script(args),
  parse: (out) => parseAptPreview(out),
});

const ENTRY = /^(\S)\S* \S+\s+\d+ \d{4}-\d\d-\d\d \d\d:\d\d \.(\/.*)$/;

/** Parses the apt.preview output (see the command for the line kinds). */
export function parseAptPreview(out: string): AptPreview {
  const error = /^E (.*)$/m.exec(out);
  if (error) return { ok: false, reason: error[1] ?? 'the preview failed' };
  if (!/^Z$/m.test(out)) return { ok: false, reason: 'the preview output is incomplete' };
  const installs: { name: string; version: string; old: string | null }[] = [];
  const removes: string[] = [];
  const debs: DebPreview[] = [];
  const host: HostPreview = { fileTriggers: [], ldDirs: [], links: [], linksCapped: false, unowned: [], mounts: [], adduserLocal: false, hooks: [], tmpfilesOverrides: [] };
  let deb: DebPreview | undefined;
  for (const line of out.split('\n')) {
    const kind = line.slice(0, 2);
    const rest = line.slice(2);
    if (kind === 'I ') {
      const [name = '', version = '', old] = rest.split(' ');
      installs.push({ name, version, old: old ?? null });
    } else if (kind === 'R ') removes.push(rest);
    else if (kind === 'D ') debs.push((deb = { name: rest, entries: [], control: [], scripts: {}, triggers: [], dynamicUser: [], tmpfiles: [], existingEtcDirs: [] }));
    else if (deb && kind === 'P ') pushEntry(deb, rest);
    else if (deb && kind === 'H ') deb.existingEtcDirs.push(rest);
    else if (deb && kind === 'C ') deb.control.push(rest);
    else if (deb && kind === 'S ') pushScriptLine(deb, rest);
    else if (deb && kind === 'T ') deb.triggers.push(rest);
    else if (deb && kind === 'U ') deb.dynamicUser.push(rest.trim());
    else if (deb && kind === 'M ') deb.tmpfiles.push(rest);
    else if (kind === 'F ') host.fileTriggers.push(rest);
    else if (kind === 'L ') host.ldDirs.push(rest);
    else if (kind === 'K ') host.links.push(rest);
    else if (kind === 'O ') host.unowned.push(rest);
    else if (kind === 'N ') pushMount(host, rest);
    else if (line === 'A') host.adduserLocal = true;
    else if (kind === 'J ') host.hooks.push(rest);
    else if (kind === 'Q ') host.tmpfilesOverrides.push(rest);
  }
  host.linksCapped = host.links.length + host.unowned.length > LINK_CAP;
  if (installs.length !== debs.length) return { ok: false, reason: `apt would install ${installs.length} packages but ${debs.length} were read` };
  return { ok: true, installs, removes, debs, host };
}

function pushEntry(deb: DebPreview, listing: string): void {
  const m = ENTRY.exec(listing);
  if (!m) return;
  const type = m[1] ?? '-';
  let path = m[2] ?? '';
  if (type === 'l') path = path.replace(/ -> .*$/, '');
  if (type === 'h') path = path.replace(/ link to .*$/, '');
  path = path.replace(/\/$/, '');
  if (path) deb.entries.push({ type, path });
}

function pushScriptLine(deb: DebPreview, rest: string): void {
  const space = rest.indexOf(' ');
  const member = space < 0 ? rest : rest.slice(0, space);
  const text = space < 0 ? '' : rest.slice(space + 1);
  deb.scripts[member] = deb.scripts[member] === undefined ? text : `${deb.scripts[member]}\n${text}`;
}

/** A /proc/self/mountinfo line: field 5 is the mount point, the type follows the ` - ` separator. */
function pushMount(host: HostPreview, line: string): void {
  const [left = '', right = ''] = line.split(' - ');
  const path = left.split(' ')[4];
  const type = right.split(' ')[0];
  if (path && type) host.mounts.push({ path: path.replace(/\\([0-7]{3})/g, (_s, o: string) => String.fromCharCode(parseInt(o, 8))), type });
}
