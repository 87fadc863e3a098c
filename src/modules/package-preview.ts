/**
 * The effects of one apt install, told from what would be installed (facts/apt-preview.ts):
 * narrower than package-effects.ts's rule, which holds for any package, and used only when
 * every package can be read. Check mode then predicts with certainty every later step that
 * reads nothing these effects reach.
 *
 *   const told = previewEffects(preview);
 *   told.ok ? told.effects : told.reason   // e.g. 'libfoo: its postinst line 7 is not one Capstan can read: ...'
 *
 * What an install may change, and the premises:
 * - dpkg unpacks exactly the paths the packages list (with `.dpkg-*` siblings next to them),
 *   and writes its own state (/var/lib/dpkg, apt's and debconf's caches and logs).
 * - Their preinst and postinst run; they are read by maintainer-scripts.ts (users, groups,
 *   units, services, the paths they name). A package with a debconf `config` script, one that
 *   is upgraded (the old version's scripts run too) and a transaction that removes packages
 *   are not read.
 * - apt's own hooks run too: any but debconf's preconfiguration makes the install unreadable.
 * - Triggers: `ldconfig` rewrites /etc/ld.so.cache and links in the library directories;
 *   any other trigger the packages activate, and any file trigger of an installed package
 *   their paths reach (/var/lib/dpkg/triggers/File), makes the install unreadable.
 * - A service their scripts start runs code no listing tells. Debian Policy 9.1.1 requires
 *   the FHS, under which /usr is read-only and /etc holds static configuration, so a running
 *   service writes below neither, except in the /etc directories its own package creates
 *   (some daemons keep state next to their configuration); the trees package-effects.ts
 *   shelters stay out of reach too. Everything else a service may write, and listening
 *   ports, kernel parameters and modules and units may change. A unit with DynamicUser may
 *   create users of any name.
 * - A path can be reached by another name: merged /usr (/lib is /usr/lib), /var/run, and any
 *   symbolic link or mount point the host has under the trees it lists, or any path outside
 *   them, is taken to be affected.
 * - The premises are Debian's, so foreign apt sources keep the wide rule.
 */
import type { Effects } from '../define/module.ts';
import type { FactRef } from '../define/fact.ts';
import type { AptPreview, DebPreview, HostPreview } from '../facts/apt-preview.ts';
import { normalise, OUTSIDE_PACKAGES } from './package-effects.ts';
import { noScriptEffects, readMaintainerScript, type ScriptEffects } from './maintainer-scripts.ts';

export type Told = { ok: true; effects: Effects } | { ok: false; reason: string };

/** apt hooks whose writes are known: debconf reads the packages' questions before dpkg runs (into /var/cache/debconf). */
const KNOWN_HOOKS = ['DPkg::Pre-Install-Pkgs /usr/sbin/dpkg-preconfigure --apt || true'];
/** Where apt and dpkg keep their own state. */
const PACKAGE_STATE = ['/var/lib/dpkg', '/var/lib/apt', '/var/cache/apt', '/var/cache/debconf', '/var/log/apt', '/var/log/dpkg.log', '/var/log/alternatives.log'];
/** Trees a running service never writes below (FHS via Debian Policy 9.1.1, and package-effects.ts). */
const STATIC_TREES = ['/etc', '/usr', ...OUTSIDE_PACKAGES];
/** The account files, their backups (`passwd-`) and locks, which adduser's tools write. */
const ACCOUNT_FILES = ['passwd', 'group', 'shadow', 'gshadow', 'subuid', 'subgid'].flatMap((f) => [`/etc/${f}`, `/etc/${f}-`, `/etc/${f}+`, `/etc/${f}.lock`]).concat('/etc/.pwd.lock');
const LIBRARY_TREES = ['/usr/lib', '/usr/lib32', '/usr/lib64', '/usr/libx32', '/etc/ld.so.cache'];
/** Where the preview looked for symbolic links (LINK_ROOTS of apt-preview.ts); any other path may be an alias. */
const SCANNED = ['/etc', '/var', '/usr/local', '/opt', '/srv', '/root', '/home', '/mnt', '/tmp'];
const VIRTUAL_FS = new Set(['proc', 'sysfs', 'tmpfs', 'devtmpfs', 'devpts', 'cgroup', 'cgroup2', 'mqueue', 'securityfs', 'debugfs', 'tracefs', 'pstore', 'bpf', 'hugetlbfs', 'fusectl', 'configfs', 'binfmt_misc', 'autofs', 'ramfs', 'nsfs', 'efivarfs']);
const SYSTEMD_TREES = ['/usr/lib/systemd', '/etc/systemd', '/run/systemd'];

/** The effects of installing what `preview` lists, or why they cannot be told. */
export function previewEffects(preview: AptPreview): Told {
  if (!preview.ok) return { ok: false, reason: preview.reason };
  if (preview.removes.length) return { ok: false, reason: `the install would remove ${preview.removes.join(', ')}` };
  const upgraded = preview.installs.filter((i) => i.old !== null);
  if (upgraded.length) return { ok: false, reason: `the install would upgrade ${upgraded.map((i) => i.name).join(', ')}` };
  if (preview.host.linksCapped) return { ok: false, reason: 'the host has too many symbolic links to tell aliases apart' };
  const scripts = noScriptEffects();
  const touched = new Trees();
  let ldconfig = false;
  let dynamicUser = false;
  for (const deb of preview.debs) {
    const read = readDeb(deb, scripts, touched, preview.host.tmpfilesOverrides);
    if (typeof read === 'string') return { ok: false, reason: `${deb.name}: ${read}` };
    ldconfig ||= read.ldconfig;
    dynamicUser ||= deb.dynamicUser.some((l) => !/=\s*(no|false|0|off)\s*$/i.test(l));
  }
  const triggered = fileTrigger(preview.host, touched);
  if (triggered) return { ok: false, reason: triggered };
  const hook = preview.host.hooks.find((h) => !KNOWN_HOOKS.includes(h));
  if (hook) return { ok: false, reason: `apt would run the hook ${hook}` };
  if (scripts.accounts && preview.host.adduserLocal) return { ok: false, reason: 'adduser would run /usr/local/sbin/adduser.local' };
  if (scripts.accounts && preview.host.unowned.length) return { ok: false, reason: `a new account could take the id that owns ${preview.host.unowned[0]}` };
  for (const p of [...PACKAGE_STATE, ...scripts.paths, ...scripts.homes]) touched.add(p, true);
  if (scripts.accounts) ACCOUNT_FILES.forEach((p) => touched.add(p, true));
  if (ldconfig) [...LIBRARY_TREES, ...preview.host.ldDirs].forEach((p) => touched.add(p, true));
  return { ok: true, effects: toEffects(preview, scripts, touched, dynamicUser) };
}

/** Adds one package's paths and script effects; returns whether it activates ldconfig, or why it cannot be read. */
function readDeb(deb: DebPreview, scripts: ScriptEffects, touched: Trees, overrides: readonly string[]): { ldconfig: boolean } | string {
  if (deb.control.includes('config')) return 'it asks debconf questions (a config script)';
  for (const member of ['preinst', 'postinst']) {
    const text = deb.scripts[member];
    if (text === undefined) continue;
    const read = readMaintainerScript(text);
    if (!read.ok) return `its ${member} ${read.reason}`;
    merge(scripts, read.effects);
    if (read.effects.tmpfiles) {
      const replaced = deb.entries.map((e) => canonical(e.path)).find((p) => under(p, '/usr/lib/tmpfiles.d') && overrides.includes(p.slice('/usr/lib/tmpfiles.d/'.length)));
      if (replaced) return `the host has its own ${replaced.slice('/usr/lib/tmpfiles.d/'.length)} in /etc/tmpfiles.d or /run/tmpfiles.d`;
      const paths = tmpfilesPaths(deb.tmpfiles);
      if (paths === null) return 'its tmpfiles.d lines use specifiers or globs';
      paths.forEach((p) => touched.add(p, true));
    }
  }
  for (const e of deb.entries) touched.add(e.path, e.type !== 'd');
  let ldconfig = false;
  for (const line of deb.triggers.map((l) => l.trim()).filter((l) => l && !l.startsWith('#'))) {
    if (/^activate(-noawait|-await)?\s+ldconfig$/.test(line)) ldconfig = true;
    else return `it declares the trigger "${line}"`;
  }
  return { ldconfig };
}

function merge(into: ScriptEffects, from: ScriptEffects): void {
  into.users.push(...from.users);
  into.groups.push(...from.groups);
  into.accounts ||= from.accounts;
  into.homes.push(...from.homes);
  into.paths.push(...from.paths);
  into.units ||= from.units;
  into.services.push(...from.services);
  into.tmpfiles ||= from.tmpfiles;
}

/** The path column of tmpfiles.d lines; null when one uses a specifier or a glob. */
export function tmpfilesPaths(lines: readonly string[]): string[] | null {
  const paths: string[] = [];
  for (const line of lines.map((l) => l.trim()).filter((l) => l && !l.startsWith('#'))) {
    const path = line.split(/\s+/)[1] ?? '';
    if (!path.startsWith('/') || /[%*?[]/.test(path)) return null;
    paths.push(path);
  }
  return paths;
}

/** Why an installed package's file trigger would run, or undefined. */
function fileTrigger(host: HostPreview, touched: Trees): string | undefined {
  for (const line of host.fileTriggers) {
    const [path = '', pkg = ''] = line.split(/\s+/);
    if (path && touched.reachesBelow(canonical(path))) return `the install reaches ${path}, a file trigger of ${pkg.replace(/\/.*$/, '')}`;
  }
  return undefined;
}

function toEffects(preview: Extract<AptPreview, { ok: true }>, scripts: ScriptEffects, touched: Trees, dynamicUser: boolean): Effects {
  const started = scripts.services.length > 0;
  const shipsUnits = SYSTEMD_TREES.some((t) => touched.reachesBelow(t));
  const ownEtc = started ? newEtcDirs(preview.debs) : [];
  const facts = [
    'apt', 'tools',
    ...(scripts.units || started || shipsUnits ? ['systemd'] : []),
    ...(started ? ['net', 'sysctl.live', 'kernel'] : []),
    ...(touched.reachesBelow('/usr/lib/sysctl.d') || touched.reachesBelow('/etc/sysctl.d') ? ['sysctl'] : []),
    ...(touched.reachesBelow('/usr/lib/modules') || touched.reachesBelow('/usr/lib/modules-load.d') || touched.reachesBelow('/etc/modprobe.d') ? ['kernel'] : []),
    ...(dynamicUser ? ['user', 'group'] : []),
  ];
  const users = new Set(scripts.users);
  const groups = new Set(scripts.groups);
  const aliases = aliasTrees(preview.host);
  const paths = (raw: string): boolean => {
    const p = canonical(raw);
    if (!SCANNED.some((t) => under(p, t)) || aliases.some((a) => under(p, a))) return true;
    if (touched.affects(p)) return true;
    return started && (!STATIC_TREES.some((t) => under(p, t)) || ownEtc.some((d) => under(p, d)));
  };
  const refs = (ref: FactRef<unknown>): boolean =>
    (ref.name === 'user.info' && users.has(String(ref.args))) || (ref.name === 'group.info' && groups.has(String(ref.args)));
  return { facts: [...new Set(facts)], paths, refs };
}

/** /etc directories the install creates (shipped, not on the host yet): a service started may write below them. */
function newEtcDirs(debs: readonly DebPreview[]): string[] {
  return debs.flatMap((d) => d.entries.filter((e) => e.type === 'd' && under(e.path, '/etc') && e.path !== '/etc' && !d.existingEtcDirs.includes(e.path)).map((e) => e.path));
}

/** Symbolic links and non-virtual mount points other than /: what lies at or below them may be another path's alias. */
function aliasTrees(host: HostPreview): string[] {
  const mounts = host.mounts.filter((m) => m.path !== '/' && !VIRTUAL_FS.has(m.type)).map((m) => m.path);
  return [...host.links, ...mounts].map(canonical);
}

/** Paths the install writes: exact ones (directories it may create) and trees (files, links, and what scripts name). */
class Trees {
  private readonly exact = new Set<string>();
  private readonly trees = new Set<string>();

  add(path: string, tree: boolean): void {
    (tree ? this.trees : this.exact).add(canonical(path));
  }

  /** A fact about `p` is affected: the install writes `p`, something below it, or something it lies below. */
  affects(p: string): boolean {
    if (this.exact.has(p) || this.reachesBelow(p)) return true;
    for (const t of this.trees) if (under(p, t) || p.startsWith(`${t}.dpkg-`)) return true;
    return false;
  }

  /** The install writes `p` or something below it. */
  reachesBelow(p: string): boolean {
    for (const set of [this.exact, this.trees]) for (const t of set) if (under(t, p)) return true;
    return false;
  }
}

/** `p` is `tree` or lies below it. */
function under(p: string, tree: string): boolean {
  return p === tree || p.startsWith(tree.endsWith('/') ? tree : `${tree}/`);
}

const MERGED = /^\/(bin|sbin|lib|lib32|lib64|libx32)(\/|$)/;

/** One name for paths merged /usr and /run give two: `/lib/x` → `/usr/lib/x`, `/var/run/x` → `/run/x`; `.` and `..` resolved. */
export function canonical(path: string): string {
  const p = normalise(path);
  if (MERGED.test(p)) return `/usr${p}`;
  if (under(p, '/var/run')) return p.replace(/^\/var\/run/, '/run');
  if (under(p, '/var/lock')) return p.replace(/^\/var\/lock/, '/run/lock');
  return p;
}
