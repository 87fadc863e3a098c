/**
 * Per-host fact cache for one run, with the check-mode overlay.
 *
 *   store.lookup(ref)            // { value } | { unknown: 'step 3 would install haproxy' } | undefined (gather it)
 *   store.invalidate()           // after anything ran on the host: cached values may be stale
 *   store.invalidateReached({ facts: ['systemd'], paths: (p) => p === '/etc/motd' })   // after a change that says what it reaches
 *   store.predict(ref, value)    // check mode: the value the host would have after a change
 *   store.markUnknown({ facts: ['systemd'] }, 'step 3 ...')
 *   store.markUnknown({ facts: ['apt'], paths: (p) => !p.startsWith('/opt/') }, 'step 1 ...')
 *   store.markUnknown({ facts: [], refs: (r) => r.name === 'user.info' && r.args === 'haproxy' }, 'step 1 ...')
 *
 * Lookup order: predicted value, then "unknown" families, fact names, paths and single facts, then real
 * gathered values.
 * Real values are only ever what the host answered; predictions never leak into them.
 */
import { factFamily, factPaths, type FactRef } from '../define/fact.ts';
import type { Effects } from '../define/module.ts';

export type Lookup = { value: unknown } | { unknown: string } | undefined;

export class FactStore {
  private readonly real = new Map<string, { ref: FactRef<unknown>; value: unknown }>();
  private readonly predicted = new Map<string, unknown>();
  private readonly unknownFamilies = new Map<string, string>();
  private readonly unknownKeys = new Map<string, string>();
  private readonly unknownPaths: { accepts: (path: string) => boolean; cause: string }[] = [];
  private readonly unknownRefs: { accepts: (ref: FactRef<unknown>) => boolean; cause: string }[] = [];

  lookup(ref: FactRef<unknown>): Lookup {
    const unknownKey = this.unknownKeys.get(ref.key);
    if (unknownKey !== undefined) return { unknown: unknownKey };
    if (this.predicted.has(ref.key)) return { value: this.predicted.get(ref.key) };
    const cause = this.unknownFamilies.get(factFamily(ref.name)) ?? this.unknownFamilies.get(ref.name) ?? this.unknownFamilies.get('*') ?? this.pathCause(ref) ?? this.unknownRefs.find((u) => u.accepts(ref))?.cause;
    if (cause !== undefined) return { unknown: cause };
    const real = this.real.get(ref.key);
    if (real) return { value: real.value };
    return undefined;
  }

  has(ref: FactRef<unknown>): boolean {
    return this.lookup(ref) !== undefined;
  }

  set(ref: FactRef<unknown>, value: unknown): void {
    this.real.set(ref.key, { ref, value });
  }

  /**
   * After something ran on the host: cached values may be stale. Host facts (CPUs, OS,
   * address) survive ordinary changes; `everything` drops them too (hostname, reboot).
   */
  invalidate(everything = false): void {
    for (const key of [...this.real.keys()]) if (everything || !key.startsWith('host.')) this.real.delete(key);
  }

  /**
   * After a change that declares what it may alter: drop the cached facts `effects` reaches
   * (`*` reaches all but the host's own) and keep the rest. A change that may add or remove
   * accounts (`user`, `group`) reaches every fact about a path too: the owner names a file
   * fact shows follow the accounts.
   */
  invalidateReached(effects: Effects): void {
    const accounts = effects.facts.some((f) => f === 'user' || f === 'group');
    for (const [key, { ref }] of [...this.real]) {
      if (key.startsWith('host.')) continue;
      if (reaches(effects, ref) || (accounts && (factPaths(ref).length > 0 || factFamily(ref.name) === 'file'))) this.real.delete(key);
    }
  }

  predict(ref: FactRef<unknown>, value: unknown): void {
    this.unknownKeys.delete(ref.key);
    this.predicted.set(ref.key, value);
  }

  /** Check mode: this fact will change in a way only known after apply. */
  predictUnknown(ref: FactRef<unknown>, cause: string): void {
    this.predicted.delete(ref.key);
    this.unknownKeys.set(ref.key, cause);
  }

  /** Check mode: these facts (families, fact names, facts about the paths `paths` accepts) may change in ways only known after apply. */
  markUnknown(effects: Effects, cause: string): void {
    for (const f of effects.facts) if (!this.unknownFamilies.has(f)) this.unknownFamilies.set(f, cause);
    if (effects.paths) this.unknownPaths.push({ accepts: effects.paths, cause });
    if (effects.refs) this.unknownRefs.push({ accepts: effects.refs, cause });
  }

  private pathCause(ref: FactRef<unknown>): string | undefined {
    return this.unknownPaths.find((u) => pathsReach(u.accepts, ref))?.cause;
  }

  /** Forget the simulation (a new check run on the same store). */
  resetPredictions(): void {
    this.predicted.clear();
    this.unknownFamilies.clear();
    this.unknownKeys.clear();
    this.unknownPaths.length = 0;
    this.unknownRefs.length = 0;
  }
}

/** Whether a change with these effects may alter the fact: by family, name, `*`, path or single fact. */
export function reaches(effects: Effects, ref: FactRef<unknown>): boolean {
  const f = effects.facts;
  if (f.includes('*') || f.includes(ref.name) || f.includes(factFamily(ref.name))) return true;
  return Boolean((effects.paths && pathsReach(effects.paths, ref)) || effects.refs?.(ref));
}

/** A fact about paths is reached when `accepts` takes one of them; a file fact that names none, always. */
function pathsReach(accepts: (path: string) => boolean, ref: FactRef<unknown>): boolean {
  const paths = factPaths(ref);
  return paths.length === 0 ? factFamily(ref.name) === 'file' : paths.some((p) => accepts(p));
}
