/**
 * A run over many hosts at once: every host in flight listens to the run's interrupt signal
 * while it connects, and that is not a leak. A caller's AbortSignal warns past 10 listeners
 * ("MaxListenersExceededWarning ... 11 abort listeners"); the run must not print that.
 *
 *   runPlaybook(pb, inv, { forks: 30, signal: new AbortController().signal, ... })   // no warning
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { definePlaybook } from '../../src/define/playbook.ts';
import { shell } from '../../src/modules/command.ts';
import { testInventory } from '../support/inventory.ts';
import { FakeConnector } from '../support/fake-connector.ts';
import { runWithFakes } from '../support/run.ts';

/** A connector that listens to the interrupt signal until every host is connecting, as SSH connects do. */
class ListeningConnector extends FakeConnector {
  static waiting: Array<() => void> = [];
  static hosts = 0;
  override async connect(signal?: AbortSignal): Promise<void> {
    const onAbort = () => undefined;
    signal?.addEventListener('abort', onAbort, { once: true });
    await new Promise<void>((resolve) => {
      ListeningConnector.waiting.push(resolve);
      if (ListeningConnector.waiting.length === ListeningConnector.hosts) for (const r of ListeningConnector.waiting.splice(0)) r();
    });
    signal?.removeEventListener('abort', onAbort);
    return super.connect();
  }
}

describe('many hosts in flight', () => {
  it('30 hosts connecting at once with the caller\'s signal print no listener warning', async () => {
    const names = Array.from({ length: 30 }, (_, i) => `h${i + 1}`);
    ListeningConnector.hosts = names.length;
    const warnings: string[] = [];
    const onWarning = (w: Error) => void warnings.push(`${w.name}: ${w.message}`);
    process.on('warning', onWarning);
    try {
      const pb = definePlaybook({ name: 'many', plays: [{ name: 'p', hosts: 'all', steps: () => [shell({ script: 'true' }, { name: 'noop' })] }] });
      const r = await runWithFakes(pb, testInventory({ all: names }), {
        forks: names.length, signal: new AbortController().signal, connectorFactory: (h) => new ListeningConnector(h.name),
      });
      assert.equal(r.recap.exitCode, 0);
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(warnings.filter((w) => w.startsWith('MaxListenersExceededWarning')), []);
    } finally {
      process.off('warning', onWarning);
    }
  });
});
