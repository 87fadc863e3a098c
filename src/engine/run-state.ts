/**
 * The state of one run: hosts, their sessions and tallies, and the event sink.
 *
 *   const state = new RunState(inventory, options, emit, new Set(prepared.allHosts));   // these hosts take the run lock
 *   const s = state.session('web1');     // lazily created; one connection per host per run
 *   state.markUnreachable('web1', err);
 */
import { randomUUID } from 'node:crypto';
import type { Become, Connector, ConnectorFactory, HostConnection } from '../connectors/connector.ts';
import type { Step, StepResult } from '../define/step.ts';
import { stepName } from '../define/step.ts';
import type { HostTally, LockedHost, RunEvent } from '../events.ts';
import { redactDeep } from '../commands/secret.ts';
import type { InventoryView } from './inventory-view.ts';
import { HostSession, type HostLockedError } from './session.ts';
import { declarationOf } from './step-identity.ts';
import type { Slice } from './slice.ts';

export interface EngineOptions {
  check: boolean;
  diff: boolean;
  forks: number;
  limit?: string;
  tags: string[];
  skipTags: string[];
  extraVars: Record<string, unknown>;
  connectorFactory: ConnectorFactory;
  /** Playbook path or name, for the journal key and messages. */
  playbookId: string;
  runId?: string;
  /** Default per-command timeout. */
  commandTimeoutMs?: number;
  /** Abort scheduling new steps and pending connections (first SIGINT). */
  signal?: AbortSignal;
  /** Also kill the commands in flight on every host (second SIGINT). */
  stopSignal?: AbortSignal;
  /** Remote lock settings: stale time (default 3 heartbeats), heartbeat, wait for another run. */
  lockStaleMs?: number;
  lockHeartbeatMs?: number;
  lockWaitMs?: number;
  noLock?: boolean;
  /** Run only this slice of the selected hosts (`--slice K/N`, slice.ts). */
  slice?: Slice;
}

export interface HostState {
  readonly name: string;
  status: 'active' | 'failed' | 'unreachable' | 'locked';
  tally: HostTally;
  /** Results by step id (see step-identity.ts); `ctx.result(step)` finds them through `ids`. */
  results: Map<string, StepResult>;
  /** The id of each step object this host has (set when its play starts, and when the step runs). */
  ids: Map<object, string>;
  /** The id of the step that last ran here for each declaration (declarationOf). */
  declared: Map<string, string>;
  session?: HostSession;
}

export function emptyTally(): HostTally {
  return { ok: 0, changed: 0, uncertain: 0, failed: 0, skipped: 0, unreachable: 0, ignored: 0 };
}

export class RunState {
  readonly runId: string;
  readonly hosts = new Map<string, HostState>();
  /** Hosts another run held locked, for the recap. */
  readonly locked = new Map<string, LockedHost>();
  private readonly connections = new Map<string, HostConnection>();
  /** Hosts the playbook selects that run in other slices: their results are not known here. */
  otherSlices: ReadonlySet<string> = new Set();
  /** Why the run stops before its last play (maxFailPercentage or anyErrorsFatal tripped). */
  halted: string | undefined;

  constructor(
    readonly inventory: InventoryView,
    readonly options: EngineOptions,
    private readonly sink: (e: RunEvent) => void,
    /**
     * The hosts the plays configure. Only they take the run lock: a host reached only by
     * delegation (the controller that receives a kubeconfig or a backup) serves the locked
     * host's steps, and several runs may delegate to it at once (their writes are atomic).
     */
    private readonly lockedHosts: ReadonlySet<string> = new Set(),
  ) {
    this.runId = options.runId ?? randomUUID();
  }

  emit(e: RunEvent): void {
    this.sink(redactDeep(e) as RunEvent);
  }

  host(name: string): HostState {
    let h = this.hosts.get(name);
    if (!h) {
      h = { name, status: 'active', tally: emptyTally(), results: new Map(), ids: new Map(), declared: new Map() };
      this.hosts.set(name, h);
    }
    return h;
  }

  /** Makes a host's steps known by identity before they run (`ctx.result` from other hosts). */
  registerSteps(host: string, steps: readonly { step: Step; id: string }[]): void {
    const h = this.host(host);
    for (const { step, id } of steps) if (!h.ids.has(step)) h.ids.set(step, id);
  }

  recordResult(host: string, ps: { step: Step; id: string }, result: StepResult): void {
    const h = this.host(host);
    h.results.set(ps.id, result);
    h.ids.set(ps.step, ps.id);
    h.declared.set(declarationOf(ps.step), ps.id);
  }

  /**
   * A step's result on `host` as `asking` sees it (`ctx.result(step, host)`), by identity: the
   * id `host` knows the step object by, else the id `asking` knows it by (the same declared
   * step, built for each host), else the last step that ran on `host` from the same declaration.
   */
  resultOf(step: Step, host: string, asking: string): StepResult | undefined {
    if (this.otherSlices.has(host)) {
      const slice = this.options.slice ? ` ${this.options.slice.index}/${this.options.slice.count}` : '';
      throw new Error(`${asking} reads the result of step "${stepName(step)}" on ${host}, which runs in another slice than this one${slice}: run this playbook unsliced, or without steps that read other hosts' results`);
    }
    const target = this.host(host);
    const id = target.ids.get(step) ?? this.host(asking).ids.get(step) ?? target.declared.get(declarationOf(step));
    return id === undefined ? undefined : target.results.get(id);
  }

  connection(name: string): HostConnection {
    let c = this.connections.get(name);
    if (!c) {
      c = this.inventory.connection(name);
      this.connections.set(name, c);
    }
    return c;
  }

  session(name: string): HostSession {
    const h = this.host(name);
    if (!h.session) {
      const make = (): Connector => this.options.connectorFactory(this.connection(name));
      const noLock = this.options.noLock === true || !this.lockedHosts.has(name);
      const o = this.options;
      h.session = new HostSession(name, make(), {
        runId: this.runId, lockStaleMs: o.lockStaleMs, heartbeatMs: o.lockHeartbeatMs, lockWaitMs: o.lockWaitMs, noLock, signal: o.signal,
        onWarning: (message) => this.emit({ type: 'warning', host: name, message }),
      }, make);
    }
    return h.session;
  }

  /** The escalation a step needs on a host: step, then play, then inventory settings. */
  become(host: string, stepBecome: boolean | string | undefined, playBecome: boolean | string | undefined): Become | undefined {
    const conn = this.connection(host);
    const want = stepBecome ?? playBecome ?? conn.become?.enabled ?? false;
    if (want === false) return undefined;
    const user = typeof want === 'string' ? want : (conn.become?.user ?? 'root');
    if ((conn.user ?? '') === user) return undefined;
    return { user, method: 'sudo', ...(conn.become?.password ? { password: conn.become.password } : {}) };
  }

  get aborted(): boolean {
    return this.options.signal?.aborted ?? false;
  }

  activeHosts(names: readonly string[]): string[] {
    return names.filter((n) => this.host(n).status === 'active');
  }

  /** The host is left alone: another run holds its lock (not a failure). */
  markLocked(name: string, e: HostLockedError): void {
    this.host(name).status = 'locked';
    const info: LockedHost = { lockPath: e.lockPath, holder: e.holder, staleInS: e.staleInS };
    this.locked.set(name, info);
    this.emit({ type: 'host.locked', host: name, message: e.message, ...info });
  }

  /** Kills the commands in flight on every host, waiting at most `boundMs`. */
  async interruptAll(boundMs = 1_500): Promise<void> {
    const kills = Promise.all([...this.hosts.values()].map((h) => h.session?.interrupt().catch(() => undefined)));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([kills, new Promise((r) => (timer = setTimeout(r, boundMs)))]);
    clearTimeout(timer);
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.hosts.values()].map((h) => h.session?.close().catch(() => undefined)));
  }
}
