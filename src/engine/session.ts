/**
 * A host's session for one run: one connection, the remote lock, a private temp directory,
 * the fact store, and batched fact gathering.
 *
 *   const s = new HostSession('web1', connector, { runId });
 *   await s.gather([fileStat('/etc/motd'), osFacts()], undefined);   // the first call also connects and locks
 *   s.facts.lookup(fileStat('/etc/motd'));
 *   await s.close();                                                 // releases the lock, removes the temp dir
 *
 * The first batch on a host carries the lock, the temp directory and the check of the
 * programs a target needs (requirements.ts) with the facts, so a warm run costs one round
 * trip to read everything and one to clean up, and a host that lacks a program fails at
 * once. The lock itself (where it lives, heartbeat, takeover) is described in run-lock.ts.
 */
import type { FactRef } from '../define/fact.ts';
import type { Become, Connector, ExecRequest, ExecResult } from '../connectors/connector.ts';
import { ConnectionError, CommandError, InterruptedError } from '../errors.ts';
import { redact } from '../commands/secret.ts';
import { quote } from '../commands/quote.ts';
import { buildBatch, parseBatch, type BatchSection, type SectionOutput } from './batch.ts';
import { FactStore } from './fact-store.ts';
import { missingPrograms, requirementsMessage, requirementsSection } from './requirements.ts';
import { log } from '../log/logger.ts';
import { DEFAULT_HEARTBEAT_MS, heartbeatScript, LOCK_BUSY, lockScript, parseLockOutput, releaseScript, STALE_HEARTBEATS, type LockOutcome } from './run-lock.ts';

export interface SessionOptions {
  runId: string;
  /** A lock whose heartbeat is older than this is taken over (default: 3 heartbeats). */
  lockStaleMs?: number | undefined;
  heartbeatMs?: number | undefined;
  /** How long to wait for another run's lock before reporting the host LOCKED (default 0). */
  lockWaitMs?: number | undefined;
  /** Skip the remote lock (tests of other things). */
  noLock?: boolean | undefined;
  /** Aborts a connection attempt and a wait for the lock at once (Ctrl-C). */
  signal?: AbortSignal | undefined;
  /** Things the user must hear about (a lock taken over, a wait for the lock). */
  onWarning?: ((message: string) => void) | undefined;
}

/** Another run holds the host's lock: the host is LOCKED, not failed. */
export class HostLockedError extends CommandError {
  constructor(
    host: string,
    readonly lockPath: string,
    readonly holder: string,
    /** Seconds until the holder's lock counts as dead if its heartbeat stays silent. */
    readonly staleInS: number,
  ) {
    super(host, 'acquire run lock', LOCK_BUSY, '', '', 0,
      `${host}: another Capstan run holds the lock ${lockPath} (${holder}); its lock is taken over if its heartbeat stays silent for ${staleInS} s more. ` +
      'Wait for it to finish, or run with --lock-wait SECONDS to wait for it.');
  }
}

/** Poll interval while waiting for another run's lock. */
const LOCK_POLL_MS = 1_000;

export class HostSession {
  readonly facts = new FactStore();
  private opened = false;
  /** Counters of connectors replaced by `replaceConnector` (after a reboot). */
  private readonly previous = { roundTrips: 0, connections: 0, channels: 0 };
  private lockBecome: Become | undefined;
  private lockPath: string | undefined;
  private tmpDir: string | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    readonly host: string,
    private current: Connector,
    private readonly options: SessionOptions,
    /** Makes a new connector for this host (to reconnect after a reboot). */
    readonly newConnector?: () => Connector,
  ) {}

  get connector(): Connector {
    return this.current;
  }

  /** Transport counters for the whole run, across reconnections. */
  get stats(): { roundTrips: number; connections: number; channels?: number } {
    const s = this.current.stats;
    const channels = (s.channels ?? 0) + this.previous.channels;
    return { roundTrips: s.roundTrips + this.previous.roundTrips, connections: s.connections + this.previous.connections, ...(channels ? { channels } : {}) };
  }

  /** Swaps in a new, connected connector (the host rebooted); the lock went with the old boot. */
  replaceConnector(next: Connector): void {
    const s = this.current.stats;
    this.previous.roundTrips += s.roundTrips;
    this.previous.connections += s.connections;
    this.previous.channels += s.channels ?? 0;
    this.current = next;
    this.facts.invalidate();
  }

  /** Whether this session takes the host's run lock. */
  get takesLock(): boolean {
    return !this.options.noLock;
  }

  /** The private 0700 temp directory of this run on the host (after the first batch). */
  get tempDir(): string | undefined {
    return this.tmpDir;
  }

  private get heartbeatMs(): number {
    return this.options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  }

  private get staleMs(): number {
    return this.options.lockStaleMs ?? STALE_HEARTBEATS * this.heartbeatMs;
  }

  /** Gathers the facts not yet known, plus `extra` sections, in one round trip. */
  async gather(refs: readonly FactRef<unknown>[], become: Become | undefined, extra: BatchSection[] = []): Promise<Map<string, SectionOutput>> {
    const missing = dedupe(refs.filter((r) => !this.facts.has(r)));
    const { singles, groups } = combinable(missing);
    const factSections: BatchSection[] = [...extra];
    for (const r of singles) factSections.push({ id: `fact:${r.key}`, script: r.script });
    for (const [name, group] of groups) factSections.push({ id: `facts:${name}`, script: group[0]!.combine!.with.script(group.map((r) => r.combine!.args)) });
    if (factSections.length === 0 && this.opened) return new Map();
    if (!this.opened) await this.connector.connect(this.options.signal);
    const { out, res } = await this.runBatch(factSections, become, missing.length);
    for (const [name, group] of groups) splitCombined(this.host, name, group, out.get(`facts:${name}`), out);
    for (const r of missing) {
      const o = out.get(`fact:${r.key}`);
      if (!o) throw new CommandError(this.host, `fact ${r.name}`, res.exitCode, res.stdout, res.stderr, res.durationMs, `${this.host}: fact ${r.name} returned no output`);
      this.facts.set(r, parseFact(this.host, r, o));
    }
    return out;
  }

  /** Runs the batch; the first one also takes the lock, waiting for it up to `lockWaitMs`. */
  private async runBatch(factSections: BatchSection[], become: Become | undefined, facts: number): Promise<{ out: Map<string, SectionOutput>; res: ExecResult }> {
    const deadline = Date.now() + (this.options.lockWaitMs ?? 0);
    let waiting = false;
    for (;;) {
      const sections = [...this.openingSections(become), ...factSections];
      const { script, marker } = buildBatch(sections);
      const res = await this.connector.exec({ script, become, display: `gather ${facts} facts` });
      log().debug('gather', { host: this.host, facts, sections: sections.length, exitCode: res.exitCode, durationMs: res.durationMs });
      const out = parseBatch(res.stdout, marker, sections);
      if (this.opened) return { out, res };
      const lock = this.finishOpening(out, become, res);
      if (lock?.kind !== 'busy') return { out, res };
      const left = deadline - Date.now();
      if (left <= 0) throw new HostLockedError(this.host, lock.path, lock.holder, Math.max(0, Math.ceil(this.staleMs / 1000) - lock.ageS));
      if (!waiting) this.options.onWarning?.(`waiting up to ${Math.ceil(left / 1000)} s for the run lock ${lock.path}, held by ${lock.holder}`);
      waiting = true;
      await pause(Math.min(LOCK_POLL_MS, left), this.options.signal, this.host);
    }
  }

  async exec(req: ExecRequest): Promise<ExecResult> {
    if (!this.opened) await this.gather([], req.become);
    const r = await this.connector.exec(req);
    log().debug('exec', { host: this.host, command: req.display ?? req.script.split('\n')[0], exitCode: r.exitCode, durationMs: r.durationMs, ...(r.exitCode !== 0 ? { stderr: r.stderr.slice(0, 2000) } : {}) });
    return r;
  }

  /**
   * Kills the commands in flight on the host (second Ctrl-C) and, at the same time, on a
   * channel of its own, releases the lock and removes the temp directory.
   */
  async interrupt(): Promise<void> {
    await Promise.all([this.current.interrupt?.(), this.cleanUp(true).catch(() => undefined)]);
  }

  /** Releases the lock and removes the temp directory (unless done already): one round trip. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.cleanUp(false);
    } catch (e) {
      if (!(e instanceof ConnectionError)) throw e;
    } finally {
      await this.connector.close().catch(() => undefined);
    }
  }

  private cleaned = false;

  private async cleanUp(beside: boolean): Promise<void> {
    this.stopHeartbeat();
    if (!this.opened || this.cleaned) return;
    this.cleaned = true;
    const script = this.lockPath ? releaseScript(this.lockPath, this.options.runId, this.tmpDir)
      : this.tmpDir ? `rm -rf -- ${quote(this.tmpDir)}` : undefined;
    if (script) await this.connector.exec({ script, become: this.lockBecome, timeoutMs: 15_000, beside });
  }

  private openingSections(become: Become | undefined): BatchSection[] {
    if (this.opened) return [];
    this.lockBecome = become;
    if (this.options.noLock) return [{ id: 'tmp', script: `umask 077 && mktemp -d /tmp/capstan.run.XXXXXXXX` }, requirementsSection()];
    return [{ id: 'lock', script: lockScript(this.options.runId, this.staleMs), gate: true, keepStderr: true }, requirementsSection()];
  }

  /** Reads the lock's outcome; returns it when busy (the caller waits or reports LOCKED). */
  private finishOpening(out: Map<string, SectionOutput>, _become: Become | undefined, res: ExecResult): LockOutcome | undefined {
    if (this.options.noLock) {
      this.opened = true;
      this.tmpDir = out.get('tmp')?.stdout.trim() || undefined;
      this.checkRequirements(out, res);
      return undefined;
    }
    const section = out.get('lock');
    const lock = section ? parseLockOutput(section.stdout, section.exitCode) : { kind: 'error' as const, message: res.stderr.trim() || `exit ${res.exitCode}` };
    if (lock.kind === 'busy') return lock;
    if (lock.kind !== 'acquired') {
      throw new CommandError(this.host, 'acquire run lock', section?.exitCode ?? res.exitCode, section?.stdout ?? '', res.stderr, res.durationMs,
        `${this.host}: could not take the run lock: ${redact(lock.message)}`);
    }
    this.opened = true;
    this.lockPath = lock.path;
    this.tmpDir = lock.tmpDir;
    if (lock.takeover) {
      const t = lock.takeover;
      this.options.onWarning?.(`took over the run lock ${lock.path} of a dead run (${t.holder}): no heartbeat for ${t.ageS} s${t.removed ? `; removed its temp directory ${t.removed}` : ''}`);
    }
    this.startHeartbeat();
    this.checkRequirements(out, res);
    return lock;
  }

  /** Fails the host, once it is open (so that close releases the lock), when it lacks a program a target needs. */
  private checkRequirements(out: Map<string, SectionOutput>, res: ExecResult): void {
    const missing = missingPrograms(out.get(requirementsSection().id)?.stdout);
    if (missing.length) throw new CommandError(this.host, 'check the programs a target needs', 127, '', '', res.durationMs, requirementsMessage(this.host, missing));
  }

  /**
   * Touches the lock every heartbeat, on a channel of its own (never queued behind a long
   * command), over this run's connection: when the connection is lost the beats stop reaching
   * the host, which is what lets another run take over.
   */
  private startHeartbeat(): void {
    const path = this.lockPath as string;
    const beat = async () => {
      try {
        const r = await this.connector.exec({ script: heartbeatScript(path, this.options.runId), become: this.lockBecome, timeoutMs: this.heartbeatMs, beside: true });
        if (r.exitCode === 3) {
          this.stopHeartbeat();
          this.options.onWarning?.(`the run lock ${path} is no longer this run's: another run took it over`);
        }
      } catch {
        // the connection is lost: no beat reaches the lock (another run may take it over);
        // after a reboot the beats resume on the new connection
      }
    };
    this.heartbeat = setInterval(() => void beat(), this.heartbeatMs);
    this.heartbeat.unref();
  }

  private stopHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }
}

/** Waits `ms`, or rejects with InterruptedError as soon as `signal` aborts. */
function pause(ms: number, signal: AbortSignal | undefined, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const stop = () => {
      clearTimeout(timer);
      reject(new InterruptedError(`${host}: stopped waiting for the run lock (interrupted)`));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', stop);
      resolve();
    }, ms);
    if (signal?.aborted) return stop();
    signal?.addEventListener('abort', stop, { once: true });
  });
}

function parseFact(host: string, ref: FactRef<unknown>, o: SectionOutput): unknown {
  try {
    return ref.parse(o.stdout, o.exitCode);
  } catch (e) {
    throw new CommandError(host, `fact ${ref.name}`, o.exitCode, o.stdout, '', 0,
      `${host}: could not read fact ${ref.name}: ${(e as Error).message}\n  output: ${redact(o.stdout.slice(0, 400))}`);
  }
}

/** Facts that can join others of the same name (two or more of them) go in one section. */
function combinable(refs: FactRef<unknown>[]): { singles: FactRef<unknown>[]; groups: Map<string, FactRef<unknown>[]> } {
  const byName = new Map<string, FactRef<unknown>[]>();
  for (const r of refs) if (r.combine) byName.set(r.name, [...(byName.get(r.name) ?? []), r]);
  const groups = new Map([...byName].filter(([, g]) => g.length > 1));
  return { singles: refs.filter((r) => !groups.get(r.name)?.includes(r)), groups };
}

/** Splits a combined section into the outputs each fact would have printed on its own. */
function splitCombined(host: string, name: string, group: FactRef<unknown>[], o: SectionOutput | undefined, out: Map<string, SectionOutput>): void {
  if (!o) throw new CommandError(host, `facts ${name}`, 1, '', '', 0, `${host}: facts ${name} returned no output`);
  let parts: { stdout: string; exitCode: number }[];
  try {
    parts = group[0]!.combine!.with.split(o.stdout, group.map((r) => r.combine!.args));
  } catch (e) {
    throw new CommandError(host, `facts ${name}`, o.exitCode, o.stdout, '', 0, `${host}: could not read facts ${name}: ${(e as Error).message}\n  output: ${redact(o.stdout.slice(0, 400))}`);
  }
  group.forEach((r, i) => out.set(`fact:${r.key}`, parts[i] ?? { stdout: '', exitCode: 1 }));
}

function dedupe(refs: FactRef<unknown>[]): FactRef<unknown>[] {
  const seen = new Map<string, FactRef<unknown>>();
  for (const r of refs) if (!seen.has(r.key)) seen.set(r.key, r);
  return [...seen.values()];
}
