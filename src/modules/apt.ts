/**
 * `apt`: Debian packages installed, upgraded to the newest version, or removed, all in one
 * apt-get call, non-interactively (old configuration files are kept on upgrade).
 *
 *   apt({ name: ['haproxy', 'curl'], updateCache: true, cacheValidTime: 3600 })
 *   apt({ name: 'openssh-server', state: 'latest' })
 *   apt({ name: 'telnet', state: 'absent', purge: true })
 *
 * `updateCache` runs `apt-get update` first; with `cacheValidTime` (seconds) only when the
 * lists are older than that (see facts/apt.ts for how their age is read), otherwise every run
 * (reported as a change). Empty package lists count as stale, and installing from empty lists
 * without `updateCache` fails with that reason. `cacheValidTime` implies `updateCache`.
 *
 * apt waits for the dpkg/apt locks up to `lockTimeout` seconds: first for every process that
 * has one of the lock files open to let go, then through apt's own `DPkg::Lock::Timeout`. A
 * holder is never killed; after the timeout the step fails naming it. When dpkg was
 * interrupted (a run lost mid-install), `dpkg --configure -a` settles it first, as a change of
 * its own. Under --check, later steps that read what packages may bring (units, programs,
 * users, listening ports, kernel modules and parameters, files outside the trees Debian's
 * packages never write) are reported as "depends on an earlier change"; package-effects.ts
 * states the rule and why it holds. A plain install is narrower: check mode previews it in one
 * more round trip (facts/apt-preview.ts: which packages, their files and maintainer scripts,
 * read in a throwaway directory) and only what those reach stays unknown (package-preview.ts).
 */
import { z } from 'zod';
import type { FactRef } from '../define/fact.ts';
import { defineModule, predict, predictUnknown, type Effects, type Prediction } from '../define/module.ts';
import { aptSources, aptTreeAliases, type AptSources } from '../facts/apt-sources.ts';
import { OUTSIDE_PACKAGES, PACKAGE_FACTS, packageEffects } from './package-effects.ts';
import { previewEffects } from './package-preview.ts';
import { aptPreview, type AptPreview, type PreviewArgs } from '../facts/apt-preview.ts';
import { change, changes, exec, fail, type Change, type Plan } from '../define/plan.ts';
import { cmd, type Command } from '../commands/command.ts';
import { sh } from '../commands/quote.ts';
import { aptCache, aptPackages, LISTS_DIR, UPDATE_STAMP, type AptCache, type AptPackages, type PackageState } from '../facts/apt.ts';

/** A Debian package name (policy: lowercase letters, digits, + - .; starts with a letter or digit). */
export const packageName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9+.-]+$/, 'must be a Debian package name: lowercase letters, digits, "+", "-", "." (at least 2, not starting with "-")');

/** Seconds to wait for the dpkg/apt locks. */
export const lockTimeout = z.number().int().positive().max(86_400).default(300);

export const aptArgs = z
  .object({
    name: z.union([packageName, z.array(packageName).min(1, 'give at least one package')]),
    state: z.enum(['present', 'absent', 'latest']).default('present'),
    updateCache: z.boolean().default(false),
    /** Seconds the package lists stay valid; older lists are updated first. */
    cacheValidTime: z.number().int().nonnegative().optional(),
    purge: z.boolean().default(false),
    installRecommends: z.boolean().default(false),
    lockTimeout,
  })
  .strict()
  .refine((a) => !a.purge || a.state === 'absent', { message: 'purge applies to state: absent only', path: ['purge'] })
  .transform((a) => ({ ...a, names: [...new Set([a.name].flat())].sort(), updateCache: a.updateCache || a.cacheValidTime !== undefined }));

export type AptArgs = z.output<typeof aptArgs>;

interface AptFacts {
  pkgs: AptPackages;
  cache: AptCache;
}

/** The lock files of dpkg (`lock`, `lock-frontend`) and apt (lists, archives), as find -lname globs. */
const LOCK_GLOBS = ['/var/lib/dpkg/lock*', '/var/*/apt/*/lock'];

/**
 * Shell text that waits until no process has an apt/dpkg lock file open (fuser-style, read
 * from /proc, so it sees fcntl and flock holders alike) and fails naming them after `seconds`.
 */
export function waitForAptLocks(seconds: number): string {
  const s = Math.floor(seconds);
  const holders = `find /proc/[0-9]*/fd -maxdepth 1 \\( ${LOCK_GLOBS.map((g) => `-lname '${g}'`).join(' -o ')} \\) 2>/dev/null | cut -d/ -f3 | sort -u`;
  const names = `for p in $h; do printf ' %s(%s)' "$p" "$(cat /proc/$p/comm 2>/dev/null)"; done`;
  const giveUp = `echo "capstan: gave up after ${s} s waiting for the apt/dpkg lock, held by$(${names}); left running" >&2; exit 1`;
  return `( w=0; while h=$(${holders}); [ -n "$h" ]; do if [ $w -ge ${s} ]; then ${giveUp}; fi; sleep 1; w=$((w+1)); done )`;
}

function aptGetOptions(seconds: number): string {
  return `-y -q -o DPkg::Lock::Timeout=${Math.floor(seconds)} -o Dpkg::Use-Pty=0 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold`;
}

/** `apt-get install|remove|purge` of `names`, non-interactive, after the lock wait. */
export function aptGet(sub: 'install' | 'remove' | 'purge', names: readonly string[], o: { lockTimeout: number; installRecommends?: boolean }): Command {
  const recommends = sub === 'install' ? (o.installRecommends ? ' --install-recommends' : ' --no-install-recommends') : '';
  const script = `${waitForAptLocks(o.lockTimeout)} && apt-get ${aptGetOptions(o.lockTimeout)}${recommends} ${sub} ${sh`-- ${[...names]}`}`;
  return cmd(script, { env: { DEBIAN_FRONTEND: 'noninteractive' } });
}

/** `apt-get update` after the lock wait, then the success stamp that dates the lists. */
export function aptUpdate(seconds: number): Command {
  const script = `${waitForAptLocks(seconds)} && apt-get -q -o DPkg::Lock::Timeout=${Math.floor(seconds)} update && mkdir -p ${UPDATE_STAMP.replace(/\/[^/]+$/, '')} && touch ${UPDATE_STAMP}`;
  return cmd(script, { env: { DEBIAN_FRONTEND: 'noninteractive' } });
}

/** Why the lists need an update before this step, or null when they are fresh enough. */
export function cacheUpdateReason(cache: AptCache, validFor: number | undefined): string | null {
  if (!cache.hasLists) return `the package lists are empty (nothing in ${LISTS_DIR})`;
  if (validFor === undefined) return 'updateCache without cacheValidTime updates every run';
  if (cache.updatedAt === null) return 'the package lists were never updated';
  const age = cache.now - cache.updatedAt;
  return age > validFor ? `the package lists are ${age} s old (valid for ${validFor} s)` : null;
}

export function planApt(a: AptArgs, { pkgs, cache }: AptFacts): Plan {
  if (!pkgs.supported) return fail(`apt works on the Debian family only; this host has no apt-get/dpkg-query (os-release ID: ${pkgs.os})`);
  const stale = a.updateCache ? cacheUpdateReason(cache, a.cacheValidTime) : null;
  const update = stale ? change(`update the package lists: ${stale}`, exec(aptUpdate(a.lockTimeout))) : undefined;
  const state = (n: string): PackageState => pkgs.packages[n] ?? { status: 'absent', version: null };
  const repair = dpkgRepair(a, cache, a.names.filter((n) => state(n).status === 'partial'));
  const work = a.state === 'absent' ? planRemove(a, state) : planInstall(a, state, update !== undefined, cache);
  if (typeof work === 'string') return fail(work);
  if (!update && !repair && !work.change) return { changes: [], noop: work.noop + freshness(a, cache) };
  return changes(repair, update, work.change);
}

/**
 * `dpkg --configure -a` first, when dpkg was interrupted (its journal holds entries: apt-get
 * refuses to work until it is settled) or a package this step installs is half-configured.
 */
function dpkgRepair(a: AptArgs, cache: AptCache, partial: string[]): Change | undefined {
  const half = a.state !== 'absent' ? partial : [];
  if (!cache.dpkgInterrupted && !half.length) return undefined;
  const why = cache.dpkgInterrupted ? 'dpkg was interrupted' : `${half.join(', ')} half-installed or half-configured`;
  return change(`repair dpkg (${why}): dpkg --configure -a`, exec(dpkgConfigureAll(a.lockTimeout)));
}

/** `dpkg --configure -a` after the lock wait, keeping the old configuration files. */
export function dpkgConfigureAll(seconds: number): Command {
  const script = `${waitForAptLocks(seconds)} && dpkg --force-confdef --force-confold --configure -a`;
  return cmd(script, { env: { DEBIAN_FRONTEND: 'noninteractive' } });
}

type Work = { change?: Change; noop: string } | string;

function planInstall(a: AptArgs, state: (n: string) => PackageState, updating: boolean, cache: AptCache): Work {
  const outdated = (n: string) => a.state === 'latest' && !updating && state(n).candidate != null && state(n).candidate !== state(n).version;
  const missing = a.names.filter((n) => state(n).status !== 'installed');
  const upgrades = a.names.filter((n) => state(n).status === 'installed' && outdated(n));
  const refresh = a.state === 'latest' && updating ? a.names.filter((n) => !missing.includes(n)) : [];
  if (a.state === 'latest' && !updating) {
    const unknown = a.names.filter((n) => state(n).candidate == null);
    if (unknown.length) return `no installation candidate for ${unknown.join(', ')}: no configured source offers it (add its repository, or set updateCache)`;
  }
  if ((missing.length || upgrades.length) && !updating && !cache.hasLists) {
    return `the package lists are empty, so apt cannot install ${[...missing, ...upgrades].join(', ')}: set updateCache: true`;
  }
  const targets = [...missing, ...upgrades, ...refresh];
  if (!targets.length) {
    const versions = a.names.map((n) => `${n} ${state(n).version ?? ''}`.trim()).join(', ');
    return { noop: a.state === 'latest' ? `newest versions installed: ${versions}` : `installed: ${versions}` };
  }
  const parts = [
    missing.length && `install ${missing.join(', ')}`,
    upgrades.length && `upgrade ${upgrades.map((n) => `${n} ${state(n).version} -> ${state(n).candidate}`).join(', ')}`,
    refresh.length && `upgrade if newer after the update: ${refresh.join(', ')}`,
  ].filter(Boolean);
  return { change: change(parts.join('; '), exec(aptGet('install', targets, a))), noop: '' };
}

function planRemove(a: AptArgs, state: (n: string) => PackageState): Work {
  const wanted = (s: PackageState) => s.status === 'installed' || s.status === 'partial' || (a.purge && s.status === 'config-files');
  const targets = a.names.filter((n) => wanted(state(n)));
  if (!targets.length) return { noop: `not installed: ${a.names.join(', ')}${a.purge ? ' (no configuration files left)' : ''}` };
  const verb = a.purge ? 'purge' : 'remove';
  return { change: change(`${verb} ${targets.join(', ')}`, exec(aptGet(verb, targets, a))), noop: '' };
}

function freshness(a: AptArgs, cache: AptCache): string {
  if (!a.updateCache || a.cacheValidTime === undefined || cache.updatedAt === null) return '';
  return `; package lists updated ${cache.now - cache.updatedAt} s ago (valid for ${a.cacheValidTime} s)`;
}

function factArgs(a: AptArgs) {
  return { names: a.names, ...(a.state === 'latest' ? { candidates: true } : {}) };
}

function predictApt(a: AptArgs, { pkgs, cache }: AptFacts): Prediction[] {
  if (!pkgs.supported) return [];
  const updating = a.updateCache && cacheUpdateReason(cache, a.cacheValidTime) !== null;
  const settled = { ...cache, ...(cache.dpkgInterrupted ? { dpkgInterrupted: false } : {}) };
  const out: Prediction[] = updating ? [predict(aptCache(), { ...settled, updatedAt: cache.now, hasLists: true })] : cache.dpkgInterrupted ? [predict(aptCache(), settled)] : [];
  const ref = aptPackages(factArgs(a));
  if ((a.state === 'latest' && updating) || (a.state === 'absent' && !a.purge)) return [...out, predictUnknown(ref)];
  const after = Object.fromEntries(a.names.map((n): [string, PackageState] => {
    const s = pkgs.packages[n] ?? { status: 'absent', version: null };
    if (a.state === 'absent') return [n, { status: 'absent', version: null }];
    const version = a.state === 'latest' ? (s.candidate ?? s.version) : s.status === 'installed' ? s.version : (s.candidate ?? null);
    return [n, { ...s, status: 'installed', version }];
  }));
  return [...out, predict(ref, { supported: true, packages: after })];
}

export const apt = defineModule({
  name: 'apt',
  args: aptArgs,
  describe: (a) => `apt ${a.state === 'absent' ? (a.purge ? 'purge' : 'remove') : a.state === 'latest' ? 'upgrade' : 'install'} ${[a.name].flat().join(', ')}`,
  facts: (a) => ({ pkgs: aptPackages(factArgs(a)), cache: aptCache(), sources: aptSources(), aliased: aptTreeAliases(OUTSIDE_PACKAGES) }),
  plan: (a, f) => planApt(a, f),
  predicts: (a, f) => predictApt(a, f),
  checkFacts: (a, f): Record<string, FactRef<unknown>> => {
    const args = previewArgs(a, f);
    return args ? { preview: aptPreview(args) } : {};
  },
  affects: (a, f) => aptEffects(a, f),
});

type EffectFacts = AptFacts & { sources: AptSources; aliased: string[]; preview?: AptPreview };

/**
 * What to preview under --check: a plain install (no upgrade, no removal, no dpkg repair)
 * from Debian's archive, read from fresh lists in a throwaway directory when the step would
 * update them first. Null when the step would not install or its effects are not narrowed.
 */
export function previewArgs(a: AptArgs, f: AptFacts & { sources: AptSources }): PreviewArgs | null {
  if (a.state !== 'present' || !f.pkgs.supported || f.cache.dpkgInterrupted || !f.sources.supported || f.sources.foreign !== null) return null;
  const missing = a.names.filter((n) => (f.pkgs.supported ? f.pkgs.packages[n]?.status : undefined) !== 'installed');
  if (!missing.length || missing.some((n) => f.pkgs.supported && f.pkgs.packages[n]?.status === 'partial')) return null;
  const update = a.updateCache && cacheUpdateReason(f.cache, a.cacheValidTime) !== null;
  return { names: missing, recommends: a.installRecommends, update };
}

/**
 * A list update changes only apt's own facts; a package transaction what the preview of its
 * packages tells (package-preview.ts) or, when it tells nothing, what package-effects.ts says.
 */
export function aptEffects(a: AptArgs, f: Partial<EffectFacts>): readonly string[] | Effects {
  if (!f.pkgs || !f.cache || !f.sources || !f.aliased) return { facts: [...PACKAGE_FACTS], paths: () => true };
  const full = f as EffectFacts;
  const updating = a.updateCache && cacheUpdateReason(full.cache, a.cacheValidTime) !== null;
  const transaction = planApt(a, full).changes.length > (updating ? 1 : 0);
  if (!transaction) return ['apt'];
  const told = full.preview && previewArgs(a, full) ? previewEffects(full.preview) : undefined;
  return told?.ok ? told.effects : packageEffects(full.sources, full.aliased);
}
