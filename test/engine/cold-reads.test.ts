import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { definePlaybook } from '../../src/define/playbook.ts';
import type { Effects } from '../../src/define/module.ts';
import type { FactRef } from '../../src/define/fact.ts';
import { FactStore } from '../../src/engine/fact-store.ts';
import { fileStat } from '../../src/facts/file.ts';
import { fileContent } from '../../src/facts/content.ts';
import { systemdUnit } from '../../src/facts/systemd.ts';
import { sysctlLive } from '../../src/facts/sysctl.ts';
import { commandsAvailable } from '../../src/facts/tools.ts';
import { userInfo } from '../../src/facts/users.ts';
import { copy } from '../../src/modules/copy.ts';
import { file } from '../../src/modules/file.ts';
import { shell } from '../../src/modules/command.ts';
import { stat, type StatData } from '../../src/modules/stat.ts';
import type { Step } from '../../src/define/step.ts';
import { systemd } from '../../src/modules/systemd.ts';
import { user } from '../../src/modules/user.ts';
import { testInventory } from '../support/inventory.ts';
import { runWithFakes } from '../support/run.ts';

describe('a cold run reads again only what a change reaches', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'capstan-cold-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('five new directories and five new files: the facts are read once, then one round trip per change and one to clean up', async () => {
    const root = join(dir, 'many');
    const pb = definePlaybook({ plays: [{ name: 'cold', hosts: 'all', gatherFacts: false, steps: ['a', 'b', 'c', 'd', 'e'].flatMap((d) => [
      file({ path: `${root}/${d}`, state: 'directory', mode: '0750' }),
      copy({ dest: `${root}/${d}.conf`, content: `${d}\n`, mode: '0644' }),
    ]) }] });
    const r = await runWithFakes(pb, testInventory({ nodes: ['n1'] }));
    assert.equal(r.recap.hosts.n1?.changed, 10);
    // one batch (temp directory, tools, every step's facts), one per change, one to clean up: no fact is read twice
    assert.equal(r.recap.transport.n1?.roundTrips, 1 + 10 + 1, r.fakes.get('n1')!.scripts.map((x) => x.slice(0, 120)).join('\n---\n'));
  });

  it('a file written, then read by a later step: the later step sees what was written', async () => {
    const path = join(dir, 'written.conf');
    let data: StatData | undefined;
    await runWithFakes(thenStat('write then read', [copy({ dest: path, content: 'hello\n', mode: '0600' })], path, (d) => (data = d)), testInventory({ nodes: ['n1'] }));
    assert.equal(data?.exists, true, 'the stat gathered before the write is not served');
    assert.equal(data?.mode, '0600');
  });

  it('a directory created with its parents: a later step reading a parent sees it', async () => {
    const top = join(dir, 'top');
    let data: StatData | undefined;
    await runWithFakes(thenStat('parents', [file({ path: `${top}/mid/leaf`, state: 'directory', mode: '0755' })], `${top}/mid`, (d) => (data = d)), testInventory({ nodes: ['n1'] }));
    assert.equal(data?.exists, true);
  });

  it('a command that writes a file says nothing of what it reaches: every fact is read again after it', async () => {
    const path = join(dir, 'by-shell');
    let data: StatData | undefined;
    await runWithFakes(thenStat('opaque', [shell({ script: `echo x > '${path}'`, creates: join(dir, 'elsewhere') })], path, (d) => (data = d)), testInventory({ nodes: ['n1'] }));
    assert.equal(data?.exists, true);
  });
});

describe('what each declared change reaches, in the fact store', () => {
  const cached = [
    fileStat('/etc/app/app.conf'), fileContent('/etc/app/app.conf'), fileStat('/etc/app'), fileStat('/srv/data'), fileStat('/srv/data/owned-by-app'),
    systemdUnit('haproxy'), sysctlLive('net.core.somaxconn'), userInfo('app'), commandsAvailable(['haproxy']),
  ];
  const kept = (reach: Effects): string[] => {
    const s = new FactStore();
    for (const ref of cached) s.set(ref, 'real');
    s.invalidateReached(reach);
    return cached.filter((r) => s.has(r)).map((r) => r.key);
  };
  const keys = (...refs: FactRef<unknown>[]) => refs.map((r) => r.key);
  const declared = (module: { definition: { invalidates?: unknown } }, args: unknown, facts: unknown = {}): Effects => {
    const out = (module.definition.invalidates as (a: unknown, f: unknown) => readonly string[] | Effects)(args, facts);
    return Array.isArray(out) ? { facts: out } : (out as Effects);
  };

  it('a file written: every fact about it and its directories, nothing else', () => {
    assert.deepEqual(kept(declared(copy, { dest: '/etc/app/app.conf' })), keys(fileStat('/srv/data'), fileStat('/srv/data/owned-by-app'), systemdUnit('haproxy'), sysctlLive('net.core.somaxconn'), userInfo('app'), commandsAvailable(['haproxy'])));
  });

  it('a directory removed: what lay below it too', () => {
    assert.deepEqual(kept(declared(file, { path: '/srv/data', state: 'absent' })), keys(fileStat('/etc/app/app.conf'), fileContent('/etc/app/app.conf'), fileStat('/etc/app'), systemdUnit('haproxy'), sysctlLive('net.core.somaxconn'), userInfo('app'), commandsAvailable(['haproxy'])));
  });

  it('a user created: accounts, and every fact about a path (a file owned by the new uid now shows its name)', () => {
    assert.deepEqual(kept(declared(user, { name: 'app' })), keys(systemdUnit('haproxy'), sysctlLive('net.core.somaxconn'), commandsAvailable(['haproxy'])));
  });

  it('a program written into a bin directory: the programs found on PATH', () => {
    assert.ok(!kept(declared(copy, { dest: '/usr/local/bin/haproxy' })).includes(commandsAvailable(['haproxy']).key));
  });

  it('a unit started runs code of its own: everything but the host is read again; a unit enabled, its links and units', () => {
    assert.deepEqual(kept(declared(systemd, { name: 'haproxy', state: 'started' })), []);
    const enabled = { facts: ['systemd', 'net'], paths: declared(systemd, { name: 'haproxy', enabled: true }).paths! };
    assert.deepEqual(kept(enabled), keys(fileStat('/etc/app/app.conf'), fileContent('/etc/app/app.conf'), fileStat('/etc/app'), fileStat('/srv/data'), fileStat('/srv/data/owned-by-app'), sysctlLive('net.core.somaxconn'), userInfo('app'), commandsAvailable(['haproxy'])));
    assert.ok(enabled.paths('/etc/systemd/system/multi-user.target.wants/haproxy.service'));
  });

  it('modules that run what they do not describe declare nothing, so every fact but the host is read again', () => {
    assert.equal(shell.definition.invalidates, undefined);
  });
});

/** A playbook that runs `steps`, then stats `path` and hands what the stat read to `seen`. */
function thenStat(name: string, steps: Step[], path: string, seen: (data: StatData | undefined) => void) {
  const read = stat({ path }, { name: 'read it' });
  return definePlaybook({ plays: [{ name, hosts: 'all', gatherFacts: false, steps: [
    ...steps,
    read,
    file({ path }, { name: 'what the read saw', when: (ctx) => (seen(ctx.result(read)?.data), false) }),
  ] }] });
}
