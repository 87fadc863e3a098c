/**
 * What an apt transaction (install, upgrade, removal) may change on a host, as far as the
 * host can tell before anything is downloaded, so that under --check later steps that read
 * it are "cannot predict" and every other step keeps a certain prediction.
 *
 *   affects: (a, f) => packageEffects(f.sources, f.aliased)
 *   // → { facts: ['apt', 'systemd', ...], paths: (p) => !p.startsWith('/opt/') && ... }
 *
 * What the host knows beforehand is little: on a fresh node the package lists are empty, so
 * not even the set of packages that would be installed is known, and apt never has the file
 * lists of packages that are not installed (`apt-cache show` has none; Contents indices are
 * not downloaded by default), nor their maintainer scripts, which may write anywhere, start
 * services, create users and groups of any name and apply sysctl.d files. So the rule below
 * does not depend on which packages come; it depends on where Debian's packages may write:
 *
 * - Every fact family a package can change stays uncertain: `apt`, `systemd`, `tools`,
 *   `user`, `group`, `net`, `kernel`, and live kernel parameters (`sysctl.live`).
 * - Facts about a path (files, sysctl.d files, matches) stay uncertain unless the path lies
 *   strictly below a tree that Debian Policy keeps out of every package's reach. Policy 9.1.1
 *   requires all files and directories to follow the FHS 3.0, which reserves `/opt`,
 *   `/etc/opt` and `/var/opt` for add-on software (lintian: dir-or-file-in-opt), and leaves
 *   `/srv` (site data) and `/mnt` (temporary mounts) to the administrator. `/usr/local` is
 *   NOT among them: Policy 9.1.2 lets maintainer scripts create empty directories there
 *   (python3 creates /usr/local/lib/python3.x). `/home`, `/root`, `/tmp` and `/run` are not
 *   either: users' homes, scripts and the services an install starts write there.
 * - That premise holds only for packages from Debian's archive. When any apt source may
 *   serve other packages (see facts/apt-sources.ts), every path stays uncertain: add-on
 *   packages install into /opt by design.
 *
 * test/nodes/package-effects.test.ts installs real packages and checks that nothing they
 * changed lies where this rule says they cannot write.
 */
import type { Effects } from '../define/module.ts';
import type { AptSources } from '../facts/apt-sources.ts';

/** Fact families and facts a package transaction may change, whatever the packages. */
export const PACKAGE_FACTS = ['apt', 'systemd', 'tools', 'user', 'group', 'net', 'kernel', 'sysctl.live'] as const;

/** Trees no Debian package writes below (the trees themselves may be created by base-files). */
export const OUTSIDE_PACKAGES = ['/opt', '/etc/opt', '/var/opt', '/srv', '/mnt'] as const;

/**
 * Whether a Debian package transaction may change what is at `path`: anything but what lies
 * strictly below one of `sheltered` (by default every tree of OUTSIDE_PACKAGES).
 */
export function packageMayWrite(path: string, sheltered: readonly string[] = OUTSIDE_PACKAGES): boolean {
  const p = normalise(path);
  return !sheltered.some((tree) => p.startsWith(`${tree}/`) && p.length > tree.length + 1);
}

/**
 * The effects of a package transaction on a host with these apt sources, where `aliased`
 * trees hold a symbolic link or a mount point (facts/apt-sources.ts) and shelter nothing.
 */
export function packageEffects(sources: AptSources, aliased: readonly string[]): Effects {
  if (!sources.supported || sources.foreign !== null) return { facts: [...PACKAGE_FACTS], paths: () => true };
  const sheltered = OUTSIDE_PACKAGES.filter((t) => !aliased.includes(t));
  return { facts: [...PACKAGE_FACTS], paths: (p) => packageMayWrite(p, sheltered) };
}

/** `/opt//x/./y/../z` → `/opt/x/z`, so that `/opt/../etc/passwd` is not taken for a path under /opt. */
export function normalise(path: string): string {
  const parts: string[] = [];
  for (const seg of path.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') parts.pop();
    else parts.push(seg);
  }
  return `/${parts.join('/')}`;
}
