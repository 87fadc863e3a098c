/**
 * One run of a playbook against a node set, for K3s tests with the K3s TEST DOUBLE: the
 * recap plus every event, so tests assert on data (never on printed text).
 *
 *   const { recap, events } = await runOnce(set, playbook, { k3s_version: 'v1.32.12+k3s1' });
 *   await runOnce(set, reset, { confirm_reset: 'yes' }, false, 'server3')   // --check false, --limit server3
 */
import { join } from 'node:path';
import { connectorFactory } from '../../src/cli/connectors.ts';
import type { Playbook } from '../../src/define/playbook.ts';
import { runPlaybook } from '../../src/engine/run.ts';
import type { Recap, RunEvent } from '../../src/events.ts';
import { loadInventoryView } from '../../src/inventory/view.ts';
import type { NodeSet } from '../../src/testing/index.ts';

export type StepEvent = Extract<RunEvent, { type: 'host.step' }>;

export async function runOnce(set: NodeSet, playbook: Playbook, extraVars: Record<string, unknown>, check = false, limit?: string): Promise<{ recap: Recap; events: RunEvent[]; steps: StepEvent[] }> {
  const inventory = await set.writeInventory(join(set.workDir, 'k3s-test-double-inventory.yml'));
  const events: RunEvent[] = [];
  const recap = await runPlaybook(playbook, await loadInventoryView([inventory]), {
    check, diff: false, forks: 20, tags: [], skipTags: [], extraVars, playbookId: 'k3s-test-double',
    connectorFactory: connectorFactory({}), ...(limit ? { limit } : {}),
  }, (e) => events.push(e));
  return { recap, events, steps: events.filter((e): e is StepEvent => e.type === 'host.step') };
}
