import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { validatePlaybook } from '../../src/index.ts';
import { loadInventoryView } from '../../src/inventory/view.ts';
import stage1 from '../../playbooks/stage1-single-node.ts';
import stage3 from '../../playbooks/stage3-multi-node.ts';

const inventory = fileURLToPath(new URL('../../inventory/k3s/hosts.yml', import.meta.url));
const opts = { extraVars: {}, tags: [], skipTags: [] };

describe('the K3s example inventory and the stage playbooks', () => {
  it('stage 1 validates against the example inventory: k3s-server on the server group', async () => {
    const p = validatePlaybook(stage1, await loadInventoryView([inventory]), opts);
    assert.deepEqual(p.allHosts, ['server1']);
  });

  it('stage 3 validates: the server, then both agents', async () => {
    const p = validatePlaybook(stage3, await loadInventoryView([inventory]), opts);
    assert.deepEqual([...p.allHosts].sort(), ['agent1', 'agent2', 'server1']);
  });
});
