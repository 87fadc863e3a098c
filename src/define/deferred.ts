/**
 * Values known only while the run goes on: a join token read on the server, an address
 * from another host. In check mode a value that an earlier step would produce is shown as
 * "known after apply", never faked.
 *
 *   const token = readToken();                       // a step whose data is the token
 *   k3sAgent({ token: deferred((ctx) => ctx.result(token, 'server1')?.data ?? knownAfterApply('server token')) })
 */
import type { StepContext } from './step.ts';

export class KnownAfterApply {
  constructor(readonly what: string) {}
  toString(): string {
    return `(known after apply: ${this.what})`;
  }
  toJSON(): string {
    return this.toString();
  }
}

export function knownAfterApply(what: string): KnownAfterApply {
  return new KnownAfterApply(what);
}

export class Deferred<T> {
  constructor(
    readonly compute: (ctx: StepContext) => T | KnownAfterApply,
    readonly label = 'deferred value',
  ) {}
}

export function deferred<T>(compute: (ctx: StepContext) => T | KnownAfterApply, label?: string): T {
  // Typed as T so that module argument types stay exact; the engine resolves it before use.
  return new Deferred(compute, label) as unknown as T;
}

/** True when a value contains a Deferred anywhere (arrays and plain objects are searched). */
export function hasDeferred(v: unknown): boolean {
  if (v instanceof Deferred) return true;
  if (Array.isArray(v)) return v.some(hasDeferred);
  if (isPlainObject(v)) return Object.values(v).some(hasDeferred);
  return false;
}

/** Replaces every Deferred by its value; reports the first value known only after apply. */
export function resolveDeferred(v: unknown, ctx: StepContext): { value: unknown; unknown?: KnownAfterApply } {
  let missing: KnownAfterApply | undefined;
  const walk = (x: unknown): unknown => {
    if (x instanceof Deferred) {
      const r = (x as Deferred<unknown>).compute(ctx);
      if (r instanceof KnownAfterApply) {
        missing ??= r;
        return r;
      }
      return walk(r);
    }
    if (x instanceof KnownAfterApply) {
      missing ??= x;
      return x;
    }
    if (Array.isArray(x)) return x.map(walk);
    if (isPlainObject(x)) return Object.fromEntries(Object.entries(x).map(([k, val]) => [k, walk(val)]));
    return x;
  };
  const value = walk(v);
  return missing ? { value, unknown: missing } : { value };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}
