/**
 * Runs a playbook in tests with fake connectors and collects the events.
 *
 *   const { recap, events, fakes } = await runWithFakes(pb, inv, { check: true });
 */
import type { Playbook } from '../../src/define/playbook.ts';
import type { InventoryView } from '../../src/engine/inventory-view.ts';
import { runPlaybook, type EngineOptions } from '../../src/engine/run.ts';
import type { Recap, RunEvent } from '../../src/events.ts';
import { FakeConnector, type FakeBehaviour } from './fake-connector.ts';

export interface TestRun {
  recap: Recap;
  events: RunEvent[];
  fakes: Map<string, FakeConnector>;
  stepEvents(host?: string): Extract<RunEvent, { type: 'host.step' }>[];
}

export async function runWithFakes(
  pb: Playbook,
  inv: InventoryView,
  opts: Partial<EngineOptions> & { behaviour?: Record<string, FakeBehaviour> } = {},
): Promise<TestRun> {
  const events: RunEvent[] = [];
  const fakes = new Map<string, FakeConnector>();
  const { behaviour = {}, ...rest } = opts;
  const recap = await runPlaybook(pb, inv, {
    check: false, diff: false, forks: 5, tags: [], skipTags: [], extraVars: {}, playbookId: 'test', noLock: true,
    connectorFactory: (h) => {
      const f = new FakeConnector(h.name, behaviour[h.name]);
      fakes.set(h.name, f);
      return f;
    },
    ...rest,
  }, (e) => events.push(e));
  return {
    recap, events, fakes,
    stepEvents: (host) => events.filter((e): e is Extract<RunEvent, { type: 'host.step' }> => e.type === 'host.step' && (!host || e.host === host)),
  };
}
