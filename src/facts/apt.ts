/**
 * apt facts: the dpkg state of some packages (with their candidate versions when asked), and
 * the age of the package lists (and whether dpkg was interrupted). Both say when the host has
 * no apt at all.
 *
 *   aptPackages({ names: ['curl', 'haproxy'] })
 *   // → { supported: true, packages: { curl: { status: 'installed', version: '7.88.1-10+deb12u5' },
 *   //                                  haproxy: { status: 'absent', version: null } } }
 *   aptPackages({ names: ['haproxy'], candidates: true })   // adds `candidate` from `apt-cache policy`
 *   aptCache()   // → { supported: true, now: 1718000000, updatedAt: 1717990000, hasLists: true, dpkgInterrupted: false }
 *
 * The lists' age is the newer of the mtimes of /var/lib/apt/periodic/update-success-stamp
 * (touched after every successful update Capstan runs, and by Ubuntu's update hook) and of the
 * /var/lib/apt/lists directory (Ansible's source). Lists without any Packages index count as
 * never updated, whatever their mtime. `apt-cache policy` runs with its binary caches switched
 * off so that reading a fact never writes to the host. Package facts gathered together cost one
 * dpkg-query (and at most one apt-cache policy) for all of them.
 */
import { defineFact } from '../define/fact.ts';
import { sh } from '../commands/quote.ts';

export type PackageStatus = 'installed' | 'config-files' | 'partial' | 'absent';

export interface PackageState {
  status: PackageStatus;
  /** Installed (or half-installed) version; null when absent. */
  version: string | null;
  /** Version apt would install, when asked for; null when no source offers the package. */
  candidate?: string | null;
}

export type AptPackages =
  | { supported: true; packages: Record<string, PackageState> }
  | { supported: false; os: string };

export interface AptCache {
  supported: boolean;
  os: string;
  /** The host's clock, seconds since the epoch. */
  now: number;
  /** When the package lists were last updated (seconds since the epoch); null: never. */
  updatedAt: number | null;
  /** Whether any Packages index exists under /var/lib/apt/lists. */
  hasLists: boolean;
  /**
   * dpkg was interrupted: its update journal (/var/lib/dpkg/updates) holds entries that only
   * `dpkg --configure -a` settles; until then apt-get refuses to work.
   */
  dpkgInterrupted?: boolean;
}

export const UPDATE_STAMP = '/var/lib/apt/periodic/update-success-stamp';
export const LISTS_DIR = '/var/lib/apt/lists';
export const DPKG_UPDATES_DIR = '/var/lib/dpkg/updates';

const NO_APT = `if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg-query >/dev/null 2>&1; then ID=unknown; if [ -r /etc/os-release ]; then . /etc/os-release; fi; printf 'unsupported\\t%s\\n' "$ID"; exit 0; fi`;
const POLICY_MARK = '--capstan-apt-policy--';

type PackagesArgs = { names: string[]; candidates?: boolean };

const packagesScript = (names: readonly string[], policyNames: readonly string[]) => [
  NO_APT,
  String(sh`dpkg-query -W -f '\${Package}\\t\${Status}\\t\${Version}\\n' -- ${names} 2>/dev/null`),
  ...(policyNames.length ? [`echo ${POLICY_MARK}`, String(sh`apt-cache -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= policy -- ${policyNames} 2>/dev/null`)] : []),
  'exit 0',
].join('\n');

/** Names that dpkg-query and apt-cache read as one package each (no pattern, no architecture). */
const PLAIN_PACKAGE = /^[a-z0-9][a-z0-9+.-]*$/;

export const aptPackages = defineFact<PackagesArgs, AptPackages>({
  name: 'apt.packages',
  command: ({ names, candidates }) => packagesScript(names, candidates ? names : []),
  parse: (out, _code, { names, candidates }) => parseAptPackages(out, names, candidates === true),
  combine: {
    accepts: ({ names }) => names.length > 0 && names.every((n) => PLAIN_PACKAGE.test(n)),
    script: (calls) => packagesScript(union(calls.map((c) => c.names)), union(calls.filter((c) => c.candidates).map((c) => c.names))),
    split: (out, calls) => splitCombinedPackages(out, calls),
  },
});

const union = (lists: readonly string[][]) => [...new Set(lists.flat())];

/**
 * One dpkg-query (and one apt-cache policy) for the packages of several facts, split into
 * what each fact's own probe prints: its packages' rows and policy blocks.
 */
export function splitCombinedPackages(out: string, calls: readonly PackagesArgs[]): { stdout: string; exitCode: number }[] {
  if (/^unsupported\t/m.test(out)) return calls.map(() => ({ stdout: out, exitCode: 0 }));
  const [dpkgPart = '', policyPart = ''] = out.split(`${POLICY_MARK}\n`);
  return calls.map(({ names, candidates }) => {
    const rows = dpkgPart.split('\n').filter((l) => names.includes(l.split('\t')[0] ?? ''));
    let keep = false;
    const blocks = policyPart.split('\n').filter((l) => {
      const head = /^([a-z0-9][a-z0-9+.-]*)(?::[a-z0-9-]+)?:$/.exec(l);
      if (head) keep = names.includes(head[1] ?? '');
      return keep && l !== '';
    });
    const text = rows.map((r) => `${r}\n`).join('') + (candidates ? `${POLICY_MARK}\n${blocks.map((b) => `${b}\n`).join('')}` : '');
    return { stdout: text, exitCode: 0 };
  });
}

export const aptCache = defineFact<void, AptCache>({
  name: 'apt.cache',
  command: () => [
    NO_APT,
    // two programs (date, one stat for both times) on a settled host; the rest by the shell itself
    `n=$(date +%s); s=-; l=-`,
    `while read -r t p; do case $p in ${UPDATE_STAMP}) s=$t;; ${LISTS_DIR}) l=$t;; esac; done <<CAPSTAN_EOF`,
    `$(stat -c '%Y %n' -- ${UPDATE_STAMP} ${LISTS_DIR} 2>/dev/null)`,
    `CAPSTAN_EOF`,
    `set -- ${LISTS_DIR}/*_Packages*; if [ -f "$1" ]; then h=1; else h=0; fi`,
    // dpkg's journal is empty but for an interrupted run: count its numbered entries only then
    `j=0; set -- ${DPKG_UPDATES_DIR}/*; if [ -e "$1" ] || [ -L "$1" ]; then j=$(ls -A ${DPKG_UPDATES_DIR} 2>/dev/null | grep -c '^[0-9][0-9]*$'); fi`,
    `printf '%s %s %s %s %s\\n' "$n" "$s" "$l" "$h" "$j"`,
  ].join('\n'),
  parse: (out) => parseAptCache(out),
});

/** Parses the apt.packages output: dpkg-query rows, then `apt-cache policy` when asked. */
export function parseAptPackages(out: string, names: readonly string[], candidates: boolean): AptPackages {
  const unsupported = /^unsupported\t(.*)$/m.exec(out);
  if (unsupported) return { supported: false, os: unsupported[1]?.trim() || 'unknown' };
  const [dpkgPart = '', policyPart] = out.split(`${POLICY_MARK}\n`);
  const rows = parseDpkgRows(dpkgPart);
  const policy = candidates ? parseAptPolicy(policyPart ?? '') : undefined;
  const packages: Record<string, PackageState> = {};
  for (const name of names) {
    const state = rows.get(name) ?? { status: 'absent', version: null };
    packages[name] = policy ? { ...state, candidate: policy.get(name)?.candidate ?? null } : state;
  }
  return { supported: true, packages };
}

const RANK: Record<PackageStatus, number> = { absent: 0, 'config-files': 1, partial: 2, installed: 3 };

/** dpkg-query rows `name\twant flag status\tversion`; several rows of one name (multi-arch) merge to the most installed. */
export function parseDpkgRows(text: string): Map<string, PackageState> {
  const out = new Map<string, PackageState>();
  for (const line of text.split('\n')) {
    const [name, status, version = ''] = line.split('\t');
    if (!name || status === undefined) continue;
    const state = toState(status, version);
    const seen = out.get(name);
    if (!seen || RANK[state.status] > RANK[seen.status]) out.set(name, state);
  }
  return out;
}

/** The dpkg status triple (`install ok installed`, `deinstall ok config-files`, ...) as a state. */
export function toState(status: string, version: string): PackageState {
  const [, flag = 'ok', word = 'not-installed'] = status.trim().split(/\s+/);
  const installedWords = ['installed', 'triggers-awaiting', 'triggers-pending'];
  if (flag !== 'ok' && word !== 'not-installed') return { status: 'partial', version: version || null };
  if (installedWords.includes(word)) return { status: 'installed', version: version || null };
  if (word === 'config-files') return { status: 'config-files', version: null };
  if (word === 'not-installed') return { status: 'absent', version: null };
  return { status: 'partial', version: version || null };
}

/** `apt-cache policy` output: package name -> installed and candidate versions (null for `(none)`). */
export function parseAptPolicy(text: string): Map<string, { installed: string | null; candidate: string | null }> {
  const out = new Map<string, { installed: string | null; candidate: string | null }>();
  let current: { installed: string | null; candidate: string | null } | undefined;
  for (const line of text.split('\n')) {
    const head = /^([a-z0-9][a-z0-9+.-]*)(?::[a-z0-9-]+)?:$/.exec(line);
    if (head?.[1]) {
      current = out.get(head[1]) ? undefined : { installed: null, candidate: null };
      if (current) out.set(head[1], current);
      continue;
    }
    const field = /^\s+(Installed|Candidate):\s*(\S+)\s*$/.exec(line);
    if (!current || !field) continue;
    const value = field[2] === '(none)' ? null : (field[2] ?? null);
    if (field[1] === 'Installed') current.installed = value;
    else current.candidate = value;
  }
  return out;
}

/** Parses the apt.cache output: `unsupported\tID`, or `now stamp lists hasLists [journalEntries]`. */
export function parseAptCache(out: string): AptCache {
  const unsupported = /^unsupported\t(.*)$/m.exec(out);
  if (unsupported) return { supported: false, os: unsupported[1]?.trim() || 'unknown', now: 0, updatedAt: null, hasLists: false };
  const line = out.split('\n').find((l) => /^\d+ \S+ \S+ \d+( \d+)?$/.test(l.trim()));
  if (!line) throw new Error('expected "now stamp lists count" from the apt.cache probe');
  const [now = '0', stamp = '-', lists = '-', count = '0', journal] = line.trim().split(' ');
  const times = [stamp, lists].filter((t) => /^\d+$/.test(t)).map(Number);
  const cache: AptCache = { supported: true, os: '', now: Number(now), updatedAt: times.length ? Math.max(...times) : null, hasLists: Number(count) > 0 };
  if (journal !== undefined) cache.dpkgInterrupted = Number(journal) > 0;
  return cache;
}
