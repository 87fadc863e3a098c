/**
 * Every module's documented options, each exercised by at least one row of its table: the
 * options are read from the module's zod schema, so an option added without a row fails here,
 * and a row whose module does not do what the doc comment says fails its own specification.
 *
 *   node --import tsx --test test/modules/options.test.ts
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { documentedOptions, exercisedOptions, specifyTable, type AnyModuleFn, type ModuleTable } from '../support/module-table.ts';
import { fileTable } from './tables/file.ts';
import { copyTable, hostnameTable, rebootTable, statTable } from './tables/small.ts';
import { commandTable, groupTable, shellTable } from './tables/run.ts';
import { blockinfileTable, lineinfileTable, replaceTable } from './tables/text.ts';
import { fetchTable, slurpTable, templateTable, waitForTable } from './tables/read.ts';
import { sysctlTable, systemdTable } from './tables/system.ts';
import { getUrlTable, unarchiveTable } from './tables/fetching.ts';
import { kernelModuleTable } from './tables/kernel.ts';
import { userTable } from './tables/accounts.ts';
import { aptTable } from './tables/apt.ts';
import { aptKeyTable, aptRepositoryTable } from './tables/apt-sources.ts';

const TABLES: readonly ModuleTable[] = [fileTable, copyTable, statTable, hostnameTable, rebootTable, commandTable, shellTable, groupTable, lineinfileTable, blockinfileTable, replaceTable,
  waitForTable, slurpTable, fetchTable, templateTable, systemdTable, sysctlTable,
  getUrlTable, unarchiveTable, kernelModuleTable, userTable, aptTable, aptKeyTable, aptRepositoryTable];

for (const t of TABLES) describe(`${t.module.definition.name}: options, table by table`, () => specifyTable(t));

/** Every module that src/modules defines, found by reading the folder (a new module is found too). */
async function allModules(): Promise<AnyModuleFn[]> {
  const dir = new URL('../../src/modules/', import.meta.url);
  const found: AnyModuleFn[] = [];
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.ts')).sort()) {
    const mod = (await import(new URL(f, dir).href)) as Record<string, unknown>;
    for (const v of Object.values(mod)) {
      const d = (v as { definition?: { name?: unknown; plan?: unknown; args?: unknown } } | undefined)?.definition;
      if (typeof v === 'function' && d && typeof d.plan === 'function' && d.args) found.push(v as unknown as AnyModuleFn);
    }
  }
  return found;
}

describe('every documented option has a row', () => {
  it('each module in src/modules has a table, and each of its options appears in a row', async () => {
    const missing: Record<string, string> = {};
    for (const m of await allModules()) {
      const table = TABLES.find((t) => t.module === m);
      const used = table ? exercisedOptions(table) : new Set<string>();
      const untested = documentedOptions(m).filter((o) => !used.has(o));
      if (untested.length) missing[m.definition.name] = untested.join(', ');
    }
    assert.deepEqual(missing, {}, 'options without a row in their module\'s table (test/modules/tables/)');
  });
});
