/**
 * The public surface of src/inventory, and the engine's view of it.
 *
 *   node --import tsx --test test/inventory/index.test.ts
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as api from '../../src/inventory/index.ts';

const fx = (p: string) => fileURLToPath(new URL(`../fixtures/inventory/${p}`, import.meta.url));

describe('src/inventory/index.ts', () => {
  it('exports exactly the documented functions', () => {
    assert.deepEqual(Object.keys(api).sort(), [
      'IGNORED_CONNECTION_VARS',
      'connectionFor',
      'connectionFromVars',
      'connectionsFor',
      'defineInventory',
      'explainVar',
      'formatAnsibleListJson',
      'formatExplanation',
      'formatWarning',
      'groupHosts',
      'hostVars',
      'inventoryView',
      'isInventoryDefinition',
      'loadInventory',
      'loadInventoryView',
      'parseYamlStrict',
      'printable',
      'selectHosts',
      'sortedGroups',
      'splitPattern',
      'toAnsibleListJson',
      'toGraph',
      'withPlaybookDir',
    ]);
  });
});

describe('loadInventoryView (the engine interface)', async () => {
  const view = await api.loadInventoryView([fx('yaml/hosts.yml')]);

  it('selects hosts with a limit', () => {
    assert.deepEqual(view.select('web:!canary', 'web0*'), ['web01', 'web03']);
  });

  it('merges play layers above the inventory and names the source of each value', () => {
    const hv = view.hostVars('web01', [{ label: 'play "site" vars', vars: { tier: 'play' } }]);
    assert.equal(hv.values.tier, 'play');
    assert.equal(hv.sourceOf('tier'), 'play "site" vars');
    assert.match(hv.sourceOf('http_port') ?? '', /host_vars\/web01\.yml:1:1$/);
    assert.equal(hv.sourceOf('nope'), undefined);
  });

  it('lists group hosts (none for an unknown group) and connection settings', () => {
    assert.deepEqual(view.groupHosts('dc'), ['web01', 'web02', 'web03', 'web-extra', 'db-a', 'db-b', 'db-c', 'db9']);
    assert.deepEqual(view.groupHosts('nope'), []);
    assert.deepEqual([view.connection('bastion').address, view.connection('bastion').user], ['203.0.113.5', 'ops']);
  });

  it('formats warnings with file:line:col', () => {
    assert.ok(view.warnings.some((w) => /hosts\.yml:7:5: group all var greeting contains a Jinja expression/.test(w)));
  });
});
