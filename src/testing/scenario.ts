/**
 * The lifecycle every role is proven with, on throwaway nodes: check (reports changes and
 * touches nothing: filesystem snapshots before and after), apply, apply again (zero
 * changes), check again (zero changes), verify; and what check predicted is compared with
 * what apply did, step by step and host by host.
 *
 *   const set = await startNodes({ groups: { web: 2 } });
 *   const report = await runScenario({ playbook, nodes: set, verify: async () => {
 *     assert.equal((await set.exec('web1', ['systemctl', 'is-active', 'haproxy'])).stdout.trim(), 'active');
 *   } });
 *   await set.destroy();
 *
 * A "cannot predict" result ("depends on an earlier change", "known after apply") may
 * differ from what apply did; every other prediction may not.
 */
import { join } from 'node:path';
import type { Playbook } from '../define/playbook.ts';
import { cannotPredict, type Recap, type RunEvent } from '../events.ts';
import { runPlaybook, type EngineOptions } from '../engine/run.ts';
import { loadInventoryView } from '../inventory/view.ts';
import { connectorFactory } from '../cli/connectors.ts';
import type { NodeSet } from './nodes.ts';
import { diffSnapshots, formatDiff, isEmptyDiff } from './snapshot.ts';

export interface ScenarioOptions {
  playbook: Playbook;
  nodes: NodeSet;
  /** Inventory to use (default: the set's own, written to its work dir). */
  inventoryPath?: string;
  extraVars?: Record<string, unknown>;
  verify?: () => Promise<void>;
  engine?: Partial<EngineOptions>;
  /** Paths the nodes change by themselves (a running service's state files, logs), left out of check's "touches nothing" snapshots. */
  snapshotExclude?: string[];
}

export interface PhaseResult {
  recap: Recap;
  events: RunEvent[];
}

export interface ScenarioReport {
  check: PhaseResult;
  apply: PhaseResult;
  applyAgain: PhaseResult;
  checkAgain: PhaseResult;
}

export class ScenarioError extends Error {}

export async function runScenario(o: ScenarioOptions): Promise<ScenarioReport> {
  const inventory = o.inventoryPath ?? (await o.nodes.writeInventory(join(o.nodes.workDir, 'scenario-inventory.yml')));
  const phase = async (check: boolean): Promise<PhaseResult> => {
    const events: RunEvent[] = [];
    const recap = await runPlaybook(o.playbook, await loadInventoryView([inventory]), {
      check, diff: false, forks: 20, tags: [], skipTags: [], extraVars: o.extraVars ?? {}, playbookId: 'scenario',
      connectorFactory: connectorFactory({}), ...o.engine,
    }, (e) => events.push(e));
    if (recap.exitCode !== 0) throw new ScenarioError(`${check ? 'check' : 'apply'} exited ${recap.exitCode}:\n${failures(events)}`);
    return { recap, events };
  };
  const names = o.nodes.nodes.map((n) => n.name);
  const snapshot = (n: string) => o.nodes.snapshotFs(n, o.snapshotExclude ? { exclude: o.snapshotExclude } : undefined);
  const before = await Promise.all(names.map(snapshot));
  const check = await phase(true);
  const after = await Promise.all(names.map(snapshot));
  names.forEach((n, i) => {
    const d = diffSnapshots(before[i]!, after[i]!);
    if (!isEmptyDiff(d)) throw new ScenarioError(`check changed the filesystem of ${n}:\n${formatDiff(d)}`);
  });
  const apply = await phase(false);
  const mismatches = comparePredictions(check.events, apply.events);
  if (mismatches.length) throw new ScenarioError(`check predicted differently from what apply did:\n${mismatches.join('\n')}`);
  const applyAgain = await phase(false);
  assertNoChanges('apply again', applyAgain);
  const checkAgain = await phase(true);
  assertNoChanges('check after apply', checkAgain);
  await o.verify?.();
  return { check, apply, applyAgain, checkAgain };
}

/** Certain predictions whose changed/unchanged outcome differs from apply's, as messages. */
export function comparePredictions(check: RunEvent[], apply: RunEvent[]): string[] {
  const key = (e: Extract<RunEvent, { type: 'host.step' }>) => `${e.host} ${e.handler ? 'handler' : 'step'} ${e.index} ${e.step}`;
  const applied = new Map(apply.filter(isStep).map((e) => [key(e), e]));
  const out: string[] = [];
  for (const c of check.filter(isStep)) {
    if (cannotPredict(c.result)) continue;
    const a = applied.get(key(c));
    if (!a) {
      if (c.result.status === 'changed') out.push(`  ${key(c)}: check said it would change, apply did not run it`);
      continue;
    }
    if ((c.result.status === 'changed') !== (a.result.status === 'changed')) out.push(`  ${key(c)}: check said ${c.result.status}, apply did ${a.result.status}`);
  }
  return out;
}

function assertNoChanges(what: string, p: PhaseResult): void {
  const changed = p.events.filter(isStep).filter((e) => e.result.status === 'changed');
  if (changed.length) throw new ScenarioError(`${what} was not idempotent:\n${changed.map((e) => `  ${e.host}: ${e.step}: ${e.result.summaries.join('; ')}`).join('\n')}`);
}

function failures(events: RunEvent[]): string {
  return events.filter(isStep).filter((e) => e.result.status === 'failed' || e.result.status === 'unreachable').map((e) => `  ${e.host}: ${e.step}: ${e.result.msg ?? ''}`).join('\n');
}

function isStep(e: RunEvent): e is Extract<RunEvent, { type: 'host.step' }> {
  return e.type === 'host.step';
}
