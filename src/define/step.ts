/**
 * Steps: a module call with its arguments and task options, as ordered data.
 *
 *   const st = stat({ path: '/etc/app/secret' });
 *   const steps = [
 *     st,
 *     file({ path: '/etc/app/secret', owner: 'app', mode: '0600' },
 *          { name: 'secret owned by app', when: (ctx) => ctx.result(st)?.data?.exists === true }),
 *     loop(['/opt/a', '/opt/b'], (path) => file({ path, state: 'directory' }), { name: 'dirs' }),
 *   ];
 *
 * A step is a value: `ctx.result(step)` gives its typed result on the current host
 * (Ansible's register), so later steps can depend on it.
 */
import { basename, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ModuleDefinition } from './module.ts';
import type { HostFacts } from '../facts/host.ts';

export type StepStatus = 'ok' | 'changed' | 'failed' | 'skipped' | 'unreachable';

/** What a step did on one host. `data` is the module's typed result (stat, slurp, command output). */
export interface StepResult<D = unknown> {
  status: StepStatus;
  changed: boolean;
  failed: boolean;
  skipped: boolean;
  /** One line per change made (or that would be made, under --check). */
  summaries: string[];
  /** Why nothing changed, or why it was skipped. */
  reason?: string;
  /** Set under --check when the outcome depends on something not known before apply. */
  uncertain?: string;
  msg?: string;
  rc?: number;
  stdout?: string;
  stderr?: string;
  data?: D;
  /** Per-item results of a loop step. */
  items?: StepResult<D>[];
  durationMs: number;
}

/** What `when`, `until`, `changedWhen` and deferred values can see. */
export interface StepContext {
  readonly host: string;
  readonly vars: Readonly<Record<string, unknown>>;
  readonly check: boolean;
  /** Hosts of the current play, in inventory order. */
  readonly playHosts: readonly string[];
  /** Result of an earlier step on this host (or another host of the run). */
  result<D>(step: Step<D>, host?: string): StepResult<D> | undefined;
  /** Variables of another host. */
  hostVars(host: string): Readonly<Record<string, unknown>>;
  /** Host facts (OS, CPUs, memory, address) when the play gathers them. */
  readonly facts: HostFacts | undefined;
}

/** Task options, as Ansible users know them. */
export interface StepOptions<D = unknown> {
  name?: string;
  when?: (ctx: StepContext) => boolean;
  /** true: escalate with the host's become settings; a string: become that user. */
  become?: boolean | string;
  /** 'run': execute even under --check (read-only commands); 'simulate': never execute, even without --check. */
  checkMode?: 'run' | 'simulate';
  /** false hides this step's diff (a file holding secrets). */
  diff?: boolean;
  retries?: number;
  delayMs?: number;
  until?: (result: StepResult<D>) => boolean;
  timeoutMs?: number;
  ignoreErrors?: boolean;
  changedWhen?: (result: StepResult<D>) => boolean;
  failedWhen?: (result: StepResult<D>) => boolean;
  /** Run on the first host of the batch only; the result is shared with every host. */
  runOnce?: boolean;
  /** Run on another inventory host, in this host's context. */
  delegateTo?: string;
  tags?: string[];
  /** Handler names or topics to notify when this step changes something. */
  notify?: string | string[];
}

export interface ModuleStep<D = unknown> {
  readonly kind: 'module';
  readonly module: ModuleDefinition<never, never, D>;
  readonly args: unknown;
  readonly options: StepOptions<D>;
  /** file:line of the call that built this step, for error messages. */
  readonly origin?: string;
}

export interface LoopStep<D = unknown> {
  readonly kind: 'loop';
  readonly items: readonly unknown[];
  readonly body: (item: never, index: number) => ModuleStep<D>;
  readonly options: StepOptions<D>;
  readonly label?: (item: never) => string;
  readonly origin?: string;
}

/** Runs the handlers notified so far, here instead of at the end of the play. */
export interface FlushStep {
  readonly kind: 'flush';
  readonly options: StepOptions<unknown>;
  readonly origin?: string;
}

export function flushHandlers(): FlushStep {
  return { kind: 'flush', options: { name: 'flush handlers' }, origin: callSite() };
}

/**
 * A step of any result type. The default is `any` on purpose: step options hold callbacks
 * over the result type, so lists of steps with different results need it.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Step<D = any> = ModuleStep<D> | LoopStep<D> | FlushStep;

/** Runs `body` once per item, reported as one step with per-item results. */
export function loop<T, D>(
  items: readonly T[],
  body: (item: T, index: number) => ModuleStep<D>,
  options: StepOptions<D> & { label?: (item: T) => string } = {},
): LoopStep<D> {
  const { label, ...rest } = options;
  return {
    kind: 'loop',
    items,
    body: body as LoopStep<D>['body'],
    options: rest,
    label: label as LoopStep<D>['label'],
    origin: callSite(),
  };
}

/** The display name of a step. */
export function stepName(step: Step): string {
  if (step.options.name) return step.options.name;
  if (step.kind === 'loop') return `loop over ${step.items.length} items`;
  if (step.kind === 'flush') return 'flush handlers';
  return step.module.describe ? step.module.describe(step.args as never) : step.module.name;
}

/**
 * Capstan's own code, `src/` and the precompiled `dist/` (whose frames source maps may show
 * as `src/`): frames inside them are not where the user built a step.
 */
const HERE = dirname(fileURLToPath(import.meta.url));
const PACKAGE_ROOT = basename(HERE) === 'define' ? dirname(dirname(HERE)) : dirname(HERE);
const OWN_CODE = [`${PACKAGE_ROOT}/src/`, `${PACKAGE_ROOT}/dist/`];

/** The first stack frame outside Capstan's own source: where the user built a step. */
export function callSite(): string | undefined {
  const stack = new Error().stack?.split('\n').slice(2) ?? [];
  for (const line of stack) {
    const m = /\(?((?:file:\/\/)?\/[^()]+?):(\d+):(\d+)\)?$/.exec(line.trim());
    if (!m || !m[1]) continue;
    const file = m[1].replace(/^file:\/\//, '');
    if (OWN_CODE.some((dir) => file.startsWith(dir))) continue;
    return `${file}:${m[2]}`;
  }
  return undefined;
}
