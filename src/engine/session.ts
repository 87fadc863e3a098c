/**
 * A host's session for one run: one connection, the remote lock, a private temp directory,
 * the fact store, and batched fact gathering.
 *
 *   const s = new HostSession('web1', connector, { runId });
 *   await s.gather([fileStat('/etc/motd'), osFacts()], undefined);   // the first call also connects and locks
 *   s.facts.lookup(fileStat('/etc/motd'));
 *   await s.close();                                                 // releases the lock, removes the temp dir
 *
 * The first batch on a host carries the lock and the temp directory with the facts, so a
 * warm run costs one round trip to read everything and one to clean up.
 */
import type { FactRef } from '../define/fact.ts';
import type { Become, Connector, ExecRequest, ExecResult } from '../connectors/connector.ts';
import { ConnectionError, CommandError } from '../errors.ts';
import { redact } from '../commands/secret.ts';
import { quote } from '../commands/quote.ts';
import { buildBatch, parseBatch, type BatchSection, type SectionOutput } from './batch.ts';
import { FactStore } from './fact-store.ts';
import { log } from '../log/logger.ts';

export const LOCK_PATH = '/tmp/capstan.lock';
const LOCK_BUSY = 75;

export interface SessionOptions {
  runId: string;
  /** A lock whose heartbeat is older than this is taken over. */
  lockStaleMs?: number;
  heartbeatMs?: number;
  /** Skip the remote lock (tests of other things). */
  noLock?: boolean;
}

export class HostSession {
  readonly facts = new FactStore();
  private opened = false;
  /** Counters of connectors replaced by `replaceConnector` (after a reboot). */
  private readonly previous = { roundTrips: 0, connections: 0, channels: 0 };
  private lockBecome: Become | undefined;
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

  /** Gathers the facts not yet known, plus `extra` sections, in one round trip. */
  async gather(refs: readonly FactRef<unknown>[], become: Become | undefined, extra: BatchSection[] = []): Promise<Map<string, SectionOutput>> {
    const missing = dedupe(refs.filter((r) => !this.facts.has(r)));
    const sections: BatchSection[] = [...this.openingSections(become), ...extra];
    const { singles, groups } = combinable(missing);
    for (const r of singles) sections.push({ id: `fact:${r.key}`, script: r.script });
    for (const [name, group] of groups) sections.push({ id: `facts:${name}`, script: group[0]!.combine!.with.script(group.map((r) => r.combine!.args)) });
    if (sections.length === 0) return new Map();
    if (!this.opened) await this.connector.connect();
    const { script, marker } = buildBatch(sections);
    const res = await this.connector.exec({ script, become, display: `gather ${missing.length} facts` });
    log().debug('gather', { host: this.host, facts: missing.length, sections: sections.length, exitCode: res.exitCode, durationMs: res.durationMs });
    const out = parseBatch(res.stdout, marker, sections);
    if (!this.opened) this.finishOpening(out, become, res);
    for (const [name, group] of groups) splitCombined(this.host, name, group, out.get(`facts:${name}`), out);
    for (const r of missing) {
      const o = out.get(`fact:${r.key}`);
      if (!o) throw new CommandError(this.host, `fact ${r.name}`, res.exitCode, res.stdout, res.stderr, res.durationMs, `${this.host}: fact ${r.name} returned no output`);
      this.facts.set(r, parseFact(this.host, r, o));
    }
    return out;
  }

  async exec(req: ExecRequest): Promise<ExecResult> {
    if (!this.opened) await this.gather([], req.become);
    const r = await this.connector.exec(req);
    log().debug('exec', { host: this.host, command: req.display ?? req.script.split('\n')[0], exitCode: r.exitCode, durationMs: r.durationMs, ...(r.exitCode !== 0 ? { stderr: r.stderr.slice(0, 2000) } : {}) });
    return r;
  }

  /** Releases the lock and removes the temp directory: one round trip. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    try {
      if (this.opened) {
        const parts = [];
        if (this.tmpDir) parts.push(`rm -rf -- ${quote(this.tmpDir)}`);
        if (!this.options.noLock) parts.push(`if grep -qs -- ${quote(this.options.runId)} ${LOCK_PATH}; then rm -f ${LOCK_PATH}; fi`);
        if (parts.length) await this.connector.exec({ script: parts.join('; '), become: this.lockBecome, timeoutMs: 15_000 });
      }
    } catch (e) {
      if (!(e instanceof ConnectionError)) throw e;
    } finally {
      await this.connector.close().catch(() => undefined);
    }
  }

  private openingSections(become: Become | undefined): BatchSection[] {
    if (this.opened) return [];
    this.lockBecome = become;
    const sections: BatchSection[] = [];
    if (!this.options.noLock) sections.push({ id: 'lock', script: lockScript(this.options.runId, this.options.lockStaleMs ?? 15 * 60_000), gate: true, keepStderr: true });
    sections.push({ id: 'tmp', script: `umask 077 && mktemp -d /tmp/capstan.run.XXXXXXXX` });
    return sections;
  }

  private finishOpening(out: Map<string, SectionOutput>, _become: Become | undefined, res: ExecResult): void {
    const lock = out.get('lock');
    if (!this.options.noLock && (!lock || lock.exitCode !== 0)) {
      const holder = lock?.stdout.trim() || res.stderr.trim();
      throw new CommandError(this.host, 'acquire run lock', lock?.exitCode ?? res.exitCode, lock?.stdout ?? '', res.stderr, res.durationMs,
        lock?.exitCode === LOCK_BUSY
          ? `${this.host}: another Capstan run holds the lock ${LOCK_PATH} (${holder}). Wait for it to finish; if it died, the lock is taken over after its heartbeat stops for the stale timeout, or remove the file by hand.`
          : `${this.host}: could not take the run lock ${LOCK_PATH}: ${redact(holder)}`);
    }
    this.opened = true;
    this.tmpDir = out.get('tmp')?.stdout.trim() || undefined;
    if (!this.options.noLock) {
      const every = this.options.heartbeatMs ?? 60_000;
      this.heartbeat = setInterval(() => {
        this.connector.exec({ script: `touch -c ${LOCK_PATH}`, become: this.lockBecome, timeoutMs: 10_000 }).catch(() => undefined);
      }, every);
      this.heartbeat.unref();
    }
  }
}

/** Creates the lock exclusively (noclobber); takes over a lock whose heartbeat is stale. */
export function lockScript(runId: string, staleMs: number): string {
  const info = quote(`run ${runId}`);
  const staleS = Math.ceil(staleMs / 1000);
  return [
    `L=${LOCK_PATH}`,
    `take() { ( set -C; umask 022; printf '%s by %s since %s\\n' ${info} "$(id -un)" "$(date -u +%FT%TZ)" > "$L" ) 2>/dev/null; }`,
    `if take; then exit 0; fi`,
    `age=$(( $(date +%s) - $(stat -c %Y "$L" 2>/dev/null || echo 0) ))`,
    `if [ "$age" -gt ${staleS} ] && rm -f "$L" && take; then echo "took over a stale lock (${'${age}'}s without heartbeat)" >&2; exit 0; fi`,
    `cat "$L" 2>/dev/null; exit ${LOCK_BUSY}`,
  ].join('\n');
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
