/**
 * Modules: arguments and facts in, a plan out. A module never runs anything itself.
 *
 *   export const directory = defineModule({
 *     name: 'directory',
 *     args: z.object({ path: z.string(), mode: octalMode.optional() }).strict(),
 *     facts: (a) => ({ st: fileStat(a.path) }),
 *     plan: (a, { st }) =>
 *       !st ? changes(change(`create ${a.path}`, exec(sh`mkdir -p -- ${a.path}`)))
 *           : noop(`${a.path} is already a directory`),
 *     // the host afterwards, so that later steps in a --check run see the predicted state
 *     predicts: (a) => [predict(fileStat(a.path), { type: 'directory', mode: a.mode ?? '0755' })],
 *   });
 *
 *   directory({ path: '/opt/app' }, { name: 'app directory' })   // a Step
 */
import type { z } from 'zod';
import type { ExecResult } from '../connectors/connector.ts';
import type { FactMap, FactRef, FactValues } from './fact.ts';
import type { Plan } from './plan.ts';
import { callSite, type ModuleStep, type StepOptions } from './step.ts';

/** A fact value the host will have once this module's changes are applied. */
export interface Prediction<T = unknown> {
  fact: FactRef<T>;
  value: T;
  /** The fact will change in a way that cannot be known before apply. */
  unknown?: boolean;
}

export function predict<T>(fact: FactRef<T>, value: T): Prediction<T> {
  return { fact, value: value as T };
}

/** The fact will change, but its value cannot be known before apply (a path a command creates). */
export function predictUnknown<T>(fact: FactRef<T>): Prediction<T> {
  return { fact, value: undefined as T, unknown: true };
}

/**
 * What a change may alter that its predictions do not say, so that under --check later steps
 * reading it are "cannot predict" instead of planned against the old state.
 *
 *   { facts: ['systemd', 'sysctl.live'], paths: (p) => p.startsWith('/etc/') }
 */
export interface Effects {
  /** Fact families (`systemd`), single facts (`sysctl.live`), or `*` for every fact. */
  facts: readonly string[];
  /** Facts that read a path (of any family) are affected when this accepts their path. */
  paths?: (path: string) => boolean;
  /** Single facts (a user by name) are affected when this accepts them. */
  refs?: (ref: FactRef<unknown>) => boolean;
}

export interface ModuleDefinition<A, F extends FactMap, D> {
  name: string;
  args: z.ZodType<A>;
  /** A short description of one call, e.g. `file /etc/motd`. */
  describe?: (args: A) => string;
  facts?: (args: A) => F;
  plan: (args: A, facts: FactValues<F>) => Plan;
  /** Fact values after apply, for later steps under --check. */
  predicts?: (args: A, facts: FactValues<F>) => Prediction[];
  /**
   * Fact families (`systemd`, `file`, or `*`) whose cached values no longer hold after this
   * module changes something and that `predicts` does not cover, or an `Effects` that also
   * scopes them by path: under --check, later steps that need them are reported as "depends
   * on an earlier change" instead of guessed.
   */
  affects?: readonly string[] | ((args: A, facts: FactValues<F>) => readonly string[] | Effects);
  /**
   * What apply must read again after this module changed something, besides the facts the
   * step read, those `predicts` names and those `affects` reaches: the engine drops exactly
   * these from the host's cache and keeps the rest. `['*']` is everything but the host's own
   * facts (a change that runs code the module does not describe: a service started). A module
   * without it is opaque: after its change every fact but the host's is read again.
   *
   *   invalidates: (a) => writesPaths(a.dest)   // the file, its directories, what lies below it
   */
  invalidates?: (args: A, facts: FactValues<F>) => readonly string[] | Effects;
  /**
   * Facts read only under --check, once the plan has changes, for `affects` (which receives
   * them along with the others, each missing when it is unknown): a preview that costs more
   * than a plan needs, such as what a package install would bring.
   */
  checkFacts?: (args: A, facts: FactValues<F>) => FactMap;
  /**
   * The module only reads (a probe: `stat`, `slurp`, `waitFor`): its result is never a
   * change, under --check or apply. When what it reads depends on an earlier change, check
   * reports it `ok` with the reason its data is known only after apply.
   */
  readOnly?: boolean;
  /** The typed data a later step can read with `ctx.result(step).data`. */
  data?: (args: A, facts: FactValues<F>, outputs: readonly ExecResult[]) => D;
}

/** A module definition with its type parameters erased, as the engine handles it. */
export type AnyModule = ModuleDefinition<never, never, unknown>;

export type ModuleFn<In, D> = ((args: In, options?: StepOptions<D>) => ModuleStep<D>) & {
  readonly definition: AnyModule;
};

export function defineModule<S extends z.ZodType, F extends FactMap = Record<never, never>, D = undefined>(
  def: ModuleDefinition<z.output<S>, F, D> & { args: S },
): ModuleFn<z.input<S>, D> {
  const definition = def as unknown as AnyModule;
  const fn = (args: z.input<S>, options: StepOptions<D> = {}): ModuleStep<D> => ({
    kind: 'module',
    module: definition as ModuleStep<D>['module'],
    args,
    options,
    origin: callSite(),
  });
  return Object.assign(fn, { definition });
}
