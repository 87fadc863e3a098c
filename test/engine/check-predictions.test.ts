import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { definePlaybook } from '../../src/define/playbook.ts';
import { defineModule } from '../../src/define/module.ts';
import { defineFact } from '../../src/define/fact.ts';
import { sh } from '../../src/commands/quote.ts';
import { change, changes, exec } from '../../src/define/plan.ts';
import { copy } from '../../src/modules/copy.ts';
import { file } from '../../src/modules/file.ts';
import { stat } from '../../src/modules/stat.ts';
import { slurp } from '../../src/modules/slurp.ts';
import { waitFor } from '../../src/modules/wait-for.ts';
import { FactStore } from '../../src/engine/fact-store.ts';
import { fileStat } from '../../src/facts/file.ts';
import { sysctlFile, sysctlLive } from '../../src/facts/sysctl.ts';
import { userInfo } from '../../src/facts/users.ts';
import { commandGuards } from '../../src/modules/command.ts';
import { renderRecap } from '../../src/output/recap.ts';
import { palette } from '../../src/output/palette.ts';
import { testInventory } from '../support/inventory.ts';
import { runWithFakes } from '../support/run.ts';

/** Stands for a package install: always a change, and it may write below `root`/pkg only. */
const install = defineModule({
  name: 'testInstall',
  args: z.object({ root: z.string() }).strict(),
  plan: () => changes(change('install a package', exec('true'))),
  affects: (a) => ({ facts: ['user'], paths: (p: string) => p.startsWith(`${a.root}/pkg`) }),
});

/** A probe whose plan always "waits" (a change) yet, being read-only, never reports one. */
const probe = defineModule({
  name: 'testProbe',
  args: z.object({}).strict(),
  readOnly: true,
  plan: () => changes(change('wait for something', exec('true'))),
});

describe('check mode: what an earlier change may alter, and read-only steps', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'capstan-predict-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const inv = () => testInventory({ nodes: ['n1'] });

  const playbook = () => {
    const pkgConf = stat({ path: `${dir}/pkg/conf` }, { name: 'stat a path the install may write' });
    return definePlaybook({ plays: [{ name: 'p', hosts: 'nodes', gatherFacts: false, steps: [
      install({ root: dir }, { name: 'install' }),
      copy({ dest: `${dir}/app/app.conf`, content: 'a\n' }, { name: 'copy outside what the install writes' }),
      copy({ dest: `${dir}/pkg/conf`, content: 'b\n' }, { name: 'copy where the install may write' }),
      pkgConf,
      file({ path: `${dir}/app/flag`, state: 'touch' }, { name: 'reads the stat', when: (ctx) => ctx.result(pkgConf)?.data?.exists === true }),
    ] }] });
  };

  it('keeps certain what the install cannot touch and counts "cannot predict" apart from "would change"', async () => {
    const r = await runWithFakes(playbook(), inv(), { check: true });
    const byStep = Object.fromEntries(r.stepEvents('n1').map((e) => [e.step, e.result]));
    assert.equal(byStep['copy outside what the install writes']?.uncertain, undefined);
    assert.equal(byStep['copy outside what the install writes']?.status, 'changed');
    assert.match(byStep['copy where the install may write']?.uncertain ?? '', /"install" would change it first/);
    assert.equal(byStep['stat a path the install may write']?.status, 'ok', 'a read-only step never reports a change');
    assert.ok(byStep['stat a path the install may write']?.uncertain, 'its data is known after apply');
    assert.equal(byStep['reads the stat']?.status, 'skipped');
    assert.ok(byStep['reads the stat']?.uncertain);
    assert.deepEqual(r.recap.hosts.n1, { ok: 3, changed: 2, uncertain: 2, failed: 0, skipped: 0, unreachable: 0, ignored: 0 });
    assert.equal(existsSync(`${dir}/app`), false);
  });

  it('the check recap shows cannot-predict in its own column; an apply recap has none', async () => {
    const check = await runWithFakes(playbook(), inv(), { check: true });
    const text = renderRecap(check.recap, palette(false));
    assert.match(text, /n1\s+: ok=3\s+changed=2\s+cannot-predict=2\s+unreachable=0/);
    assert.match(text, /2 host-steps cannot be predicted before apply/);
    assert.ok(renderRecap(check.recap, palette(true)).includes('\u001b[35mcannot-predict=2'), 'in magenta');
    const apply = await runWithFakes(playbook(), inv());
    assert.doesNotMatch(renderRecap(apply.recap, palette(false)), /cannot-predict/);
    assert.equal(apply.recap.hosts.n1?.uncertain, 0);
  });

  it('a read-only module that runs its probe on apply reports ok, not a change', async () => {
    const pb = definePlaybook({ plays: [{ name: 'p', hosts: 'nodes', gatherFacts: false, steps: [probe({}, { name: 'probe' })] }] });
    const apply = await runWithFakes(pb, inv());
    assert.equal(apply.stepEvents('n1')[0]?.result.status, 'ok');
    assert.match(apply.stepEvents('n1')[0]?.result.reason ?? '', /wait for something/);
    assert.equal(apply.recap.hosts.n1?.changed, 0);
    const check = await runWithFakes(pb, inv(), { check: true });
    assert.equal(check.stepEvents('n1')[0]?.result.status, 'ok');
  });

  it('stat, slurp and waitFor are read-only', () => {
    for (const m of [stat, slurp, waitFor]) assert.equal(m.definition.readOnly, true, m.definition.name);
  });

  it('slurp of a file an earlier step would change is ok, its content known after apply', async () => {
    writeFileSync(join(dir, 'token'), 'old\n');
    const pb = definePlaybook({ plays: [{ name: 'p', hosts: 'nodes', gatherFacts: false, steps: [
      copy({ dest: join(dir, 'token'), content: 'new\n' }), slurp({ path: join(dir, 'token') }, { name: 'slurp' }),
    ] }] });
    const check = await runWithFakes(pb, inv(), { check: true });
    const r = check.stepEvents('n1').find((e) => e.step === 'slurp')?.result;
    assert.equal(r?.status, 'ok');
    assert.match(r?.uncertain ?? '', /known after apply/);
  });
});

describe('check mode: facts read only to tell what a change may alter', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'capstan-checkfacts-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** A preview fact that leaves a trace (in the test's own directory) each time it is gathered. */
  const preview = defineFact<string, string>({ name: 'testPreview.scope', command: (log) => sh`echo gathered >> ${log}; printf '%s' ${`${dir}/pkg`}`, parse: (out) => out });
  /** Stands for a package install whose effects a preview narrows; without it, every path is unknown. */
  const previewed = defineModule({
    name: 'testPreviewed',
    args: z.object({ log: z.string(), change: z.boolean() }).strict(),
    plan: (a) => (a.change ? changes(change('install a package', exec('true'))) : { changes: [], noop: 'installed' }),
    checkFacts: (a) => ({ scope: preview(a.log) }),
    affects: (_a, f: { scope?: string }) => ({ facts: [], paths: (p: string) => (f.scope === undefined ? true : p.startsWith(f.scope)) }),
  });
  const steps = (log: string, changeIt = true) => definePlaybook({ plays: [{ name: 'p', hosts: 'nodes', gatherFacts: false, steps: [
    previewed({ log, change: changeIt }, { name: 'install' }),
    copy({ dest: `${dir}/app/app.conf`, content: 'a\n' }, { name: 'outside the preview' }),
    copy({ dest: `${dir}/pkg/conf`, content: 'b\n' }, { name: 'inside the preview' }),
  ] }] });

  it('are gathered under --check when the plan has changes, in one more round trip, and narrow what is unknown', async () => {
    const log = join(dir, 'check.log');
    const r = await runWithFakes(steps(log), testInventory({ nodes: ['n1'] }), { check: true });
    const byStep = Object.fromEntries(r.stepEvents('n1').map((e) => [e.step, e.result]));
    assert.equal(byStep['outside the preview']?.uncertain, undefined);
    assert.match(byStep['inside the preview']?.uncertain ?? '', /"install" would change it first/);
    assert.equal(readFileSync(log, 'utf8'), 'gathered\n');
    const withoutPreview = definePlaybook({ plays: [{ name: 'p', hosts: 'nodes', gatherFacts: false, steps: [install({ root: dir }, { name: 'install' })] }] });
    const plain = await runWithFakes(withoutPreview, testInventory({ nodes: ['n1'] }), { check: true });
    assert.equal(r.recap.transport.n1?.roundTrips, (plain.recap.transport.n1?.roundTrips ?? 0) + 1, 'the preview is one round trip');
  });

  it('are not gathered on apply, nor when nothing would change', async () => {
    await runWithFakes(steps(join(dir, 'apply.log')), testInventory({ nodes: ['n1'] }));
    assert.equal(existsSync(join(dir, 'apply.log')), false);
    await runWithFakes(steps(join(dir, 'noop.log'), false), testInventory({ nodes: ['n1'] }), { check: true });
    assert.equal(existsSync(join(dir, 'noop.log')), false);
    rmSync(join(dir, 'app'), { recursive: true, force: true });
    rmSync(join(dir, 'pkg'), { recursive: true, force: true });
  });
});

describe('check mode: a step that cannot be predicted still marks what it may change', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'capstan-uncertain-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));
  /** Writes `path` and, like a unit file, changes another family of facts. */
  const writer = defineModule({
    name: 'testWriter',
    args: z.object({ path: z.string() }).strict(),
    facts: (a) => ({ st: fileStat(a.path) }),
    plan: (a) => changes(change(`write ${a.path}`, exec('true'))),
    affects: ['user'],
  });
  const reader = defineModule({
    name: 'testReader',
    args: z.object({ name: z.string() }).strict(),
    facts: (a) => ({ u: userInfo(a.name) }),
    plan: () => changes(change('use the user', exec('true'))),
  });

  it('later steps that read what it reads or affects cannot be predicted either', async () => {
    const pb = definePlaybook({ plays: [{ name: 'p', hosts: 'nodes', gatherFacts: false, steps: [
      onlyPaths({ root: dir }, { name: 'install' }),
      writer({ path: `${dir}/pkg/unit` }, { name: 'write where the install may write' }),
      reader({ name: 'capstan-no-such-user' }, { name: 'read what that write affects' }),
      copy({ dest: `${dir}/pkg/unit`, content: 'x\n' }, { name: 'read what that write writes' }),
    ] }] });
    const r = await runWithFakes(pb, testInventory({ nodes: ['n1'] }), { check: true });
    const byStep = Object.fromEntries(r.stepEvents('n1').map((e) => [e.step, e.result]));
    assert.ok(byStep['write where the install may write']?.uncertain);
    assert.match(byStep['read what that write affects']?.uncertain ?? '', /"install" would change it first/);
    assert.ok(byStep['read what that write writes']?.uncertain);
  });
});

/** An install that may write below `root`/pkg and nothing else. */
const onlyPaths = defineModule({
  name: 'testInstallPaths',
  args: z.object({ root: z.string() }).strict(),
  plan: () => changes(change('install a package', exec('true'))),
  affects: (a) => ({ facts: [], paths: (p: string) => p.startsWith(`${a.root}/pkg`) }),
});

describe('the fact store scopes what is unknown', () => {
  it('by single facts a predicate accepts', () => {
    const s = new FactStore();
    for (const ref of [userInfo('haproxy'), userInfo('app')]) s.set(ref, 'real');
    s.markUnknown({ facts: [], refs: (r) => r.name === 'user.info' && r.args === 'haproxy' }, 'step 1');
    assert.deepEqual(s.lookup(userInfo('haproxy')), { unknown: 'step 1' });
    assert.deepEqual(s.lookup(userInfo('app')), { value: 'real' });
  });

  it('by family, by single fact, and by path', () => {
    const s = new FactStore();
    for (const ref of [fileStat('/etc/app.conf'), fileStat('/opt/app/run.sh'), sysctlLive('net.core.somaxconn'), sysctlFile('/etc/sysctl.d/60.conf'), userInfo('app')]) s.set(ref, 'real');
    s.markUnknown({ facts: ['user', 'sysctl.live'], paths: (p) => !p.startsWith('/opt/') }, 'step 1');
    assert.deepEqual(s.lookup(fileStat('/etc/app.conf')), { unknown: 'step 1' });
    assert.deepEqual(s.lookup(fileStat('/opt/app/run.sh')), { value: 'real' });
    assert.deepEqual(s.lookup(sysctlLive('net.core.somaxconn')), { unknown: 'step 1' });
    assert.deepEqual(s.lookup(sysctlFile('/etc/sysctl.d/60.conf')), { unknown: 'step 1' }, 'a sysctl.d file is a path');
    assert.deepEqual(s.lookup(userInfo('app')), { unknown: 'step 1' });
    const guards = commandGuards({ creates: '/opt/app/.done', removes: '/var/lib/app/old' });
    s.set(guards, 'real');
    assert.deepEqual(s.lookup(guards), { unknown: 'step 1' }, 'any path among the arguments');
    s.predict(fileStat('/etc/app.conf'), null);
    assert.deepEqual(s.lookup(fileStat('/etc/app.conf')), { value: null }, 'a later prediction wins');
    s.resetPredictions();
    assert.deepEqual(s.lookup(fileStat('/etc/app.conf')), { value: 'real' });
  });
});
