/**
 * apt.sources: whether every package apt can install on the host comes from the Debian
 * archive, told from the host's own apt configuration before anything is downloaded: the
 * sources (`/etc/apt/sources.list`, `sources.list.d/*.list` and `*.sources`), the keys that
 * sign them, and settings that let apt take unsigned packages.
 *
 *   aptSources()   // → { supported: true, foreign: null }
 *   aptTreeAliases(['/opt', '/srv'])   // → ['/srv']: /srv holds a symbolic link or a mount point
 *                  // → { supported: true, foreign: 'https://repo.example/ bookworm: signed by /usr/share/keyrings/example.gpg' }
 *
 * A source counts as Debian's when it is signed only by Debian's archive keys: `Signed-By`
 * naming a `debian-archive-*` keyring, or no `Signed-By` while apt's global keys are only
 * Debian's (`/etc/apt/trusted.gpg.d/debian-archive-*`, no `/etc/apt/trusted.gpg`). A mirror
 * serves the same signed archive, so it counts too. `trusted=yes`, an inline key, any other
 * keyring, or `AllowUnauthenticated`/`AllowInsecureRepositories` in apt.conf make a source
 * foreign. `deb-src` lines are ignored (source packages are not installed).
 */
import { defineFact } from '../define/fact.ts';
import { sh } from '../commands/quote.ts';

export interface AptSources {
  supported: boolean;
  /** Why a package could come from outside Debian's archive; null when every source is Debian's. */
  foreign: string | null;
}

const SOURCE_MARK = '--capstan-source--';
const KEYS_MARK = '--capstan-keys--';
const CONF_MARK = '--capstan-conf--';
const MOUNTS_MARK = '--capstan-mounts--';

export const aptSources = defineFact<void, AptSources>({
  name: 'apt.sources',
  command: () => [
    `if ! command -v apt-get >/dev/null 2>&1; then echo unsupported; exit 0; fi`,
    `for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do if [ -f "$f" ]; then printf '%s %s\\n' '${SOURCE_MARK}' "$f"; while IFS= read -r l || [ -n "$l" ]; do printf '%s\\n' "$l"; done < "$f"; echo; fi; done`,
    `echo '${KEYS_MARK}'`,
    `for k in /etc/apt/trusted.gpg /etc/apt/trusted.gpg.d/*; do if [ -e "$k" ]; then printf '%s\\n' "$k"; fi; done`,
    `echo '${CONF_MARK}'`,
    `for f in /etc/apt/apt.conf /etc/apt/apt.conf.d/*; do if [ -f "$f" ]; then while IFS= read -r l || [ -n "$l" ]; do case "$l" in *[Aa]llow[Uu]nauthenticated*|*[Aa]llow[Ii]nsecure[Rr]epositories*|*[Aa]llow[Dd]owngrade[Tt]o[Ii]nsecure[Rr]epositories*) printf '%s\\n' "$l";; esac; done < "$f"; fi; done`,
    'exit 0',
  ].join('\n'),
  parse: (out) => parseAptSources(out),
});

/** One binary source: where it is and what verifies it. */
export interface SourceEntry {
  file: string;
  uri: string;
  suite: string;
  signedBy: string | null;
  trusted: boolean;
}

const DEBIAN_KEYRING = /^\/usr\/share\/keyrings\/debian-archive-[a-z0-9-]+\.gpg$/;
const DEBIAN_GLOBAL_KEY = /^\/etc\/apt\/trusted\.gpg\.d\/debian-archive-[a-z0-9-]+\.(asc|gpg)$/;

export function parseAptSources(out: string): AptSources {
  if (out.trim() === 'unsupported') return { supported: false, foreign: 'the host has no apt-get' };
  const [sourcesPart = '', rest = ''] = out.split(`${KEYS_MARK}\n`);
  const [keysPart = '', confPart = ''] = rest.split(`${CONF_MARK}\n`);
  const keys = keysPart.split('\n').map((l) => l.trim()).filter(Boolean);
  const entries = parseSourceFiles(sourcesPart);
  return { supported: true, foreign: foreignReason(entries, keys, confPart.trim()) };
}

/** Why packages could come from outside Debian's archive, or null. */
export function foreignReason(entries: readonly SourceEntry[], globalKeys: readonly string[], insecureConf: string): string | null {
  if (insecureConf) return `apt.conf lets apt take unsigned packages: ${insecureConf.split('\n')[0]}`;
  const otherGlobal = globalKeys.filter((k) => !DEBIAN_GLOBAL_KEY.test(k));
  for (const e of entries) {
    const where = `${e.uri} ${e.suite} (${e.file})`;
    if (e.trusted) return `${where} is trusted without a signature`;
    if (e.signedBy !== null) {
      const keyrings = e.signedBy.split(/[\s,]+/).filter(Boolean);
      const other = keyrings.find((k) => !DEBIAN_KEYRING.test(k));
      if (other !== undefined) return `${where} is signed by ${other.startsWith('/') ? other : 'an inline key'}`;
    } else if (otherGlobal.length) {
      return `${where} may be signed by any of apt's global keys, among them ${otherGlobal[0]}`;
    }
  }
  return null;
}

/** The binary sources of the files printed by the probe (one-line and deb822 formats). */
export function parseSourceFiles(text: string): SourceEntry[] {
  const out: SourceEntry[] = [];
  for (const chunk of text.split(`${SOURCE_MARK} `).slice(1)) {
    const newline = chunk.indexOf('\n');
    const file = chunk.slice(0, newline < 0 ? undefined : newline).trim();
    const body = newline < 0 ? '' : chunk.slice(newline + 1);
    out.push(...(file.endsWith('.sources') ? deb822Entries(file, body) : oneLineEntries(file, body)));
  }
  return out;
}

function oneLineEntries(file: string, body: string): SourceEntry[] {
  const out: SourceEntry[] = [];
  for (const raw of body.split('\n')) {
    const line = raw.replace(/#.*$/, '').trim();
    const m = /^deb(?:\s+\[([^\]]*)\])?\s+(\S+)\s+(\S+)/.exec(line);
    if (!m) continue;
    const options = new Map((m[1] ?? '').trim().split(/\s+/).filter(Boolean).map((o) => {
      const [k = '', v = ''] = o.split('=');
      return [k.toLowerCase(), v] as [string, string];
    }));
    out.push({ file, uri: m[2] ?? '', suite: m[3] ?? '', signedBy: options.get('signed-by') ?? null, trusted: options.get('trusted') === 'yes' });
  }
  return out;
}

function deb822Entries(file: string, body: string): SourceEntry[] {
  const out: SourceEntry[] = [];
  for (const stanza of body.split(/\n\s*\n/)) {
    const fields = deb822Fields(stanza);
    if (!fields.has('types') || (fields.get('enabled') ?? 'yes').toLowerCase() === 'no') continue;
    if (!fields.get('types')!.split(/\s+/).includes('deb')) continue;
    const signed = fields.get('signed-by') ?? null;
    const inline = signed !== null && signed.includes('\n');
    for (const uri of (fields.get('uris') ?? '').split(/\s+/).filter(Boolean)) {
      out.push({ file, uri, suite: (fields.get('suites') ?? '').trim(), signedBy: inline ? 'inline' : signed, trusted: (fields.get('trusted') ?? '').toLowerCase() === 'yes' });
    }
  }
  return out;
}

/** `Key: value` fields, continuation lines (starting with a space) joined with newlines; comments dropped. */
function deb822Fields(stanza: string): Map<string, string> {
  const fields = new Map<string, string>();
  let last: string | undefined;
  for (const line of stanza.split('\n')) {
    if (line.startsWith('#')) continue;
    if (/^\s/.test(line) && last !== undefined && line.trim()) {
      fields.set(last, `${fields.get(last)}\n${line.trim()}`);
      continue;
    }
    const m = /^([A-Za-z0-9-]+):\s*(.*)$/.exec(line);
    if (!m) continue;
    last = m[1]!.toLowerCase();
    fields.set(last, m[2]!.trim());
  }
  return fields;
}

/**
 * Which of `trees` are, or hold, a symbolic link or a mount point: a path below them may then
 * be another path in disguise (`/opt/app` → `/etc/app`), so they are no shelter from packages.
 */
export const aptTreeAliases = defineFact<readonly string[], string[]>({
  name: 'apt.trees',
  command: (trees) => [
    // One find for all the trees: it walks them in order and stops at the first link, so the
    // trees before that link's have none; it goes on from the next tree until none is found.
    `A=; set --`,
    String(sh`for t in ${[...trees]}; do`) + ` if [ -L "$t" ]; then A="$A/$t/"; elif [ -d "$t" ]; then set -- "$@" "$t"; fi; done`,
    `while [ $# -gt 0 ]; do`,
    `  l=$(find "$@" -type l -print -quit 2>/dev/null); [ -n "$l" ] || break`,
    `  while [ $# -gt 0 ]; do t=$1; shift; case $l in "$t"/*) A="$A/$t/"; break;; esac; done`,
    `done`,
    String(sh`for t in ${[...trees]}; do`) + ` case $A in *"/$t/"*) echo "$t";; esac; done`,
    `echo '${MOUNTS_MARK}'`,
    // One cat costs less than the shell's own loop, which reads the file a byte at a time.
    `cat /proc/self/mountinfo 2>/dev/null`,
    `exit 0`,
  ].join('\n'),
  parse: (out, _code, trees) => parseTreeAliases(out, trees),
});

/** Trees the probe named, and trees that are or hold a mount point (field 5 of /proc/self/mountinfo's lines). */
export function parseTreeAliases(out: string, trees: readonly string[]): string[] {
  const [linked = '', mounts = ''] = out.split(`${MOUNTS_MARK}\n`);
  const points = mounts.split('\n').map((line) => line.split(' ')[4] ?? '').filter(Boolean);
  const named = new Set(linked.split('\n').map((l) => l.trim()).filter(Boolean));
  return trees.filter((t) => named.has(t) || points.some((m) => m === t || m.startsWith(`${t}/`)));
}
