/**
 * Inventories written in TypeScript with defineInventory, loaded by dynamic import.
 *
 *   node --import tsx --test test/inventory/define.test.ts
 */
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ConfigError } from '../../src/errors.ts';
import { defineInventory, isInventoryDefinition } from '../../src/inventory/define.ts';
import type { InventoryDefinitionInput } from '../../src/inventory/define.ts';
import { loadInventory } from '../../src/inventory/load.ts';
import { hostVars } from '../../src/inventory/vars.ts';

const defineUrl = pathToFileURL(fileURLToPath(new URL('../../src/inventory/define.ts', import.meta.url))).href;

async function tsInventory(body: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'capstan-ts-inv-'));
  const path = join(dir, 'inventory.ts');
  await writeFile(path, `import { defineInventory } from ${JSON.stringify(defineUrl)};\n${body}\n`);
  return path;
}

describe('defineInventory', () => {
  it('returns a tagged definition', () => {
    const def = defineInventory({ groups: { web: { hosts: ['web1'] } } });
    assert.equal(isInventoryDefinition(def), true);
    assert.equal(isInventoryDefinition({ groups: {} }), false);
  });

  it('rejects unknown keys and wrong shapes with their key path', () => {
    assert.throws(
      () => defineInventory({ groups: { web: { host: ['web1'] } } } as unknown as InventoryDefinitionInput),
      (e: unknown) => e instanceof ConfigError && e.problems.some((p) => p.keyPath === 'groups.web'),
    );
    assert.throws(
      () => defineInventory({ vars: [] } as unknown as InventoryDefinitionInput),
      (e: unknown) => e instanceof ConfigError && e.problems[0]?.keyPath === 'vars',
    );
  });
});

describe('loading a TypeScript inventory', () => {
  it('uses the default export, with nested children, names, ranges and ports', async () => {
    const path = await tsInventory(`export default defineInventory({
      vars: { ntp: 'pool' },
      hosts: { bastion: { ansible_user: 'ops' } },
      groups: {
        web: { hosts: { 'web[1:2]:2200': { role: 'app' } }, vars: { tier: 'front' }, children: { canary: { hosts: ['web2'], vars: { tier: 'canary' } } } },
        dc: { children: ['web', 'db'] },
      },
    });`);
    const inv = await loadInventory(path);
    assert.deepEqual([...inv.hosts.keys()], ['bastion', 'web1', 'web2']);
    assert.deepEqual(inv.groups.get('dc')?.children, ['web', 'db']);
    assert.deepEqual(inv.groups.get('all')?.children, ['ungrouped', 'dc']);
    assert.deepEqual(inv.groups.get('ungrouped')?.hosts, ['bastion']);
    const hv = hostVars(inv, 'web2');
    assert.deepEqual([hv.vars.tier, hv.vars.ansible_port, hv.vars.ntp, hv.vars.role], ['canary', 2200, 'pool', 'app']);
    assert.deepEqual(hv.provenance.get('tier')?.winner.file, path);
    assert.equal(hv.provenance.get('tier')?.winner.keyPath, 'groups.web.children.canary.vars.tier');
  });

  it('accepts a function returning a definition, and a plain object', async () => {
    const fn = await loadInventory(await tsInventory(`export default async () => defineInventory({ groups: { a: { hosts: ['h1'] } } });`));
    assert.deepEqual(fn.groups.get('a')?.hosts, ['h1']);
    const plain = await loadInventory(await tsInventory(`void defineInventory;\nexport default { groups: { b: { hosts: ['h2'] } } };`));
    assert.deepEqual(plain.groups.get('b')?.hosts, ['h2']);
  });

  it('rejects a module without an inventory, and a broken definition', async () => {
    await assert.rejects(loadInventory(await tsInventory('void defineInventory;\nexport default 42;')), /has no inventory as its default export/);
    await assert.rejects(loadInventory(await tsInventory(`void defineInventory;\nexport default { groups: { a: { hosts: 'h1' } } };`)), ConfigError);
    await assert.rejects(loadInventory(await tsInventory(`export default defineInventory({ hosts: ['-oProxyCommand=x'] });`)), /starts with "-"/);
  });
});
