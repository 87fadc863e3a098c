/**
 * Facts: one read-only shell command plus a pure parser with a typed result.
 *
 *   export const fileStat = defineFact({
 *     name: 'file.stat',
 *     command: (path: string) => sh`stat -c '%a %U %G' -- ${path} 2>/dev/null || echo absent`,
 *     parse: (out) => (out.trim() === 'absent' ? null : parseStat(out)),
 *   });
 *   fileStat('/etc/motd')   // a FactRef: the engine gathers it (batched with others) and caches it
 *
 * Facts are cached per host for one run; after a change on that host the ones it may have
 * altered are read again (what its module declares in `invalidates`, or all but the host's).
 * Parsers are pure: table tests feed them output and compare values.
 */
import type { ShellText } from '../commands/quote.ts';

export interface FactDefinition<A, T> {
  /** Dotted name; the part before the first dot is its family (`file`, `apt`, `systemd`). */
  name: string;
  /** The read-only command that produces the fact's raw output on stdout. */
  command: (args: A) => ShellText | string;
  /** Pure: raw stdout and exit code in, typed value out. Throw to report unparseable output. */
  parse: (stdout: string, exitCode: number, args: A) => T;
  /** Many calls of this fact as one command, so that the host starts fewer programs. */
  combine?: FactCombine<A>;
}

/**
 * How calls of one fact join into one command: a script for the arguments in order, and the
 * split of its output into exactly what `command` would have printed for each, so that
 * `parse` reads the same text either way.
 */
export interface FactCombine<A> {
  /** Whether this call may join others (default: always). */
  accepts?: (args: A) => boolean;
  script: (args: readonly A[]) => string;
  /** Throws when the output cannot be split (the gather then fails with that message). */
  split: (stdout: string, args: readonly A[]) => { stdout: string; exitCode: number }[];
}

/** One fact for one set of arguments: what a module asks for. */
export interface FactRef<T = unknown> {
  readonly name: string;
  /** Cache key: name plus arguments. */
  readonly key: string;
  readonly script: string;
  /** The arguments the fact was called with (a path, a unit name, ...). */
  readonly args: unknown;
  parse(stdout: string, exitCode: number): T;
  /** Present when this call can be gathered together with other calls of the same fact. */
  readonly combine?: { readonly args: unknown; readonly with: FactCombine<unknown> };
}

export type FactFn<A, T> = ((args: A) => FactRef<T>) & { readonly definition: FactDefinition<A, T> };

export function defineFact<A, T>(definition: FactDefinition<A, T>): FactFn<A, T> {
  const fn = (args: A): FactRef<T> => ({
    name: definition.name,
    key: `${definition.name}(${stableJson(args)})`,
    script: String(definition.command(args)),
    args,
    parse: (stdout, exitCode) => definition.parse(stdout, exitCode, args),
    ...(definition.combine && (definition.combine.accepts?.(args) ?? true)
      ? { combine: { args, with: definition.combine as FactCombine<unknown> } }
      : {}),
  });
  return Object.assign(fn, { definition });
}

/**
 * The absolute paths a fact reads, as far as its arguments name them: `fileStat('/etc/motd')`,
 * `fileBytes({ path })`, `commandGuards({ creates, removes })` (every string argument, at any
 * depth, that starts with `/`). Empty for facts about other things (units, users).
 */
export function factPaths(ref: FactRef<unknown>): string[] {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (typeof v === 'string') {
      if (v.startsWith('/')) out.push(v);
    } else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(ref.args);
  return out;
}

/** The family of a fact name: `file.stat` → `file`. */
export function factFamily(name: string): string {
  return name.split('.')[0] ?? name;
}

/** JSON with sorted object keys, so equal arguments give equal cache keys. */
export function stableJson(v: unknown): string {
  if (v === undefined) return '';
  return JSON.stringify(v, (_k, val: unknown) =>
    val && typeof val === 'object' && !Array.isArray(val)
      ? Object.fromEntries(Object.entries(val as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : val,
  );
}

/** A map of named fact refs, as a module declares them. */
export type FactMap = Record<string, FactRef<unknown>>;

/** The values of a FactMap, as the module's plan receives them. */
export type FactValues<F extends FactMap> = { [K in keyof F]: F[K] extends FactRef<infer T> ? T : never };
