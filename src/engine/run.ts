/**
 * Runs a playbook: prepare (validate everything, no connection), then plays in order,
 * then the recap. The one entry point the CLI and tests use. A ConfigError leaves here only
 * before the first connection: exit code 5 always means no host was touched.
 *
 *   const recap = await runPlaybook(playbook, inventory, {
 *     check: true, diff: true, forks: 10, tags: [], skipTags: [], extraVars: {},
 *     connectorFactory: defaultConnectorFactory, playbookId: 'site.ts',
 *   }, (event) => reporter.handle(event));
 *   recap.exitCode   // 0 ok, 2 failed, 3 locked by another run, 4 unreachable, 6 both, 130 interrupted
 */
import { setMaxListeners } from 'node:events';
import PQueue from 'p-queue';
import type { Playbook } from '../define/playbook.ts';
import type { EventListener, Recap } from '../events.ts';
import { exitCodeFor } from '../events.ts';
import { ConfigError } from '../errors.ts';
import type { InventoryView } from './inventory-view.ts';
import { preparePlaybook, type PreparedPlaybook } from './prepare.ts';
import { RunState, type EngineOptions } from './run-state.ts';
import { runPlay } from './scheduler.ts';

export type { EngineOptions } from './run-state.ts';

/** Validates a playbook against an inventory without connecting; throws ConfigError. */
export function validatePlaybook(pb: Playbook, inv: InventoryView, o: Pick<EngineOptions, 'extraVars' | 'limit' | 'tags' | 'skipTags'> & Partial<Pick<EngineOptions, 'connectorFactory' | 'slice'>>): PreparedPlaybook {
  return preparePlaybook(pb, inv, o);
}

export async function runPlaybook(pb: Playbook, inv: InventoryView, given: EngineOptions, listener: EventListener): Promise<Recap> {
  const options: EngineOptions = { ...given, ...(given.signal ? { signal: hostsSignal(given.signal) } : {}) };
  const prepared = preparePlaybook(pb, inv, options);
  const state = new RunState(inv, options, listener, new Set(prepared.allHosts));
  state.otherSlices = prepared.otherSlices;
  const started = Date.now();
  for (const w of [...inv.warnings, ...prepared.warnings]) state.emit({ type: 'warning', message: w });
  state.emit({
    type: 'run.start', runId: state.runId, playbook: pb.name ?? options.playbookId, check: options.check, diff: options.diff,
    forks: options.forks, hosts: prepared.allHosts, time: new Date(started).toISOString(),
    ...(options.slice ? { slice: { ...options.slice, selected: prepared.allHosts.length + prepared.otherSlices.size } } : {}),
  });
  const queue = new PQueue({ concurrency: Math.max(1, options.forks) });
  const stop = () => void state.interruptAll();
  options.stopSignal?.addEventListener('abort', stop, { once: true });
  const progress = startProgress(state, prepared, started);
  try {
    for (const play of prepared.plays) {
      if (state.aborted || state.halted) break;
      await runPlay(state, play, queue);
    }
  } catch (e) {
    // Input problems are all found before run.start; one found now is a failure of the
    // hosts still running, reported in the recap, never "invalid input, nothing was run".
    if (!(e instanceof ConfigError)) throw e;
    failActiveHosts(state, prepared.allHosts, e);
  } finally {
    clearInterval(progress);
    options.stopSignal?.removeEventListener('abort', stop);
    await state.closeAll();
  }
  for (const h of prepared.allHosts) state.host(h);
  const hosts = Object.fromEntries([...state.hosts].map(([n, h]) => [n, h.tally]));
  const transport = Object.fromEntries([...state.hosts].filter(([, h]) => h.session).map(([n, h]) => [n, h.session!.stats]));
  const recap: Recap = {
    hosts, check: options.check, durationMs: Date.now() - started, interrupted: state.aborted,
    exitCode: exitCodeFor(Object.values(hosts), state.aborted, state.locked.size > 0), transport,
    ...(state.locked.size ? { locked: Object.fromEntries(state.locked) } : {}),
    ...(options.slice ? { slice: options.slice } : {}),
  };
  state.emit({ type: 'run.end', recap });
  return recap;
}

/**
 * The run's own copy of the caller's interrupt signal. Every host in flight listens to it
 * while it connects or waits for a lock, hundreds at once with many forks: that is not a
 * leak, so this copy has no listener cap (a plain AbortSignal warns past 10).
 */
function hostsSignal(outer: AbortSignal): AbortSignal {
  const signal = AbortSignal.any([outer]);
  setMaxListeners(0, signal);
  return signal;
}

function failActiveHosts(state: RunState, hosts: readonly string[], e: ConfigError): void {
  for (const name of state.activeHosts(hosts)) {
    const h = state.host(name);
    h.status = 'failed';
    h.tally.failed++;
    state.emit({ type: 'host.step', play: '', step: 'prepare the host', index: -1, host: name, handler: false, result: { status: 'failed', changed: false, summaries: [], msg: e.message, durationMs: 0 }, diffs: [] });
  }
}

function startProgress(state: RunState, prepared: PreparedPlaybook, started: number): NodeJS.Timeout {
  const total = prepared.plays.reduce((a, p) => a + [...p.perHost.values()].reduce((b, h) => b + h.steps.length, 0), 0);
  const t = setInterval(() => {
    const done = [...state.hosts.values()].reduce((a, h) => a + h.results.size, 0);
    const running = [...state.hosts.values()].filter((h) => h.status === 'active').map((h) => h.name);
    state.emit({ type: 'progress', done, total, running, elapsedMs: Date.now() - started });
  }, 1000);
  t.unref();
  return t;
}
