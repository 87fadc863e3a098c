/**
 * Per-host fact cache for one run, with the check-mode overlay.
 *
 *   store.lookup(ref)            // { value } | { unknown: 'step 3 would install haproxy' } | undefined (gather it)
 *   store.invalidate()           // after anything ran on the host: cached values may be stale
 *   store.predict(ref, value)    // check mode: the value the host would have after a change
 *   store.markUnknown(['systemd'], 'step 3 ...')
 *
 * Lookup order: predicted value, then "unknown" families, then real gathered values.
 * Real values are only ever what the host answered; predictions never leak into them.
 */
import { factFamily, type FactRef } from '../define/fact.ts';

export type Lookup = { value: unknown } | { unknown: string } | undefined;

export class FactStore {
  private readonly real = new Map<string, unknown>();
  private readonly predicted = new Map<string, unknown>();
  private readonly unknownFamilies = new Map<string, string>();
  private readonly unknownKeys = new Map<string, string>();

  lookup(ref: FactRef<unknown>): Lookup {
    const unknownKey = this.unknownKeys.get(ref.key);
    if (unknownKey !== undefined) return { unknown: unknownKey };
    if (this.predicted.has(ref.key)) return { value: this.predicted.get(ref.key) };
    const cause = this.unknownFamilies.get(factFamily(ref.name)) ?? this.unknownFamilies.get('*');
    if (cause !== undefined) return { unknown: cause };
    if (this.real.has(ref.key)) return { value: this.real.get(ref.key) };
    return undefined;
  }

  has(ref: FactRef<unknown>): boolean {
    return this.lookup(ref) !== undefined;
  }

  set(ref: FactRef<unknown>, value: unknown): void {
    this.real.set(ref.key, value);
  }

  /**
   * After something ran on the host: cached values may be stale. Host facts (CPUs, OS,
   * address) survive ordinary changes; `everything` drops them too (hostname, reboot).
   */
  invalidate(everything = false): void {
    for (const key of [...this.real.keys()]) if (everything || !key.startsWith('host.')) this.real.delete(key);
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

  markUnknown(families: readonly string[], cause: string): void {
    for (const f of families) if (!this.unknownFamilies.has(f)) this.unknownFamilies.set(f, cause);
  }

  /** Forget the simulation (a new check run on the same store). */
  resetPredictions(): void {
    this.predicted.clear();
    this.unknownFamilies.clear();
    this.unknownKeys.clear();
  }
}
