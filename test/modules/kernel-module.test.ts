import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { kernelModule, kernelModuleArgs, planKernelModule } from '../../src/modules/kernel-module.ts';
import type { KernelModuleState } from '../../src/facts/kernel.ts';
import type { Plan } from '../../src/define/plan.ts';
import type { Prediction } from '../../src/define/module.ts';
import { HOSTILE } from '../connectors/support/hostile.ts';
import { stepName } from '../../src/define/step.ts';

const mod = (over: Partial<KernelModuleState> = {}): KernelModuleState => ({
  state: 'absent', modprobe: true, release: '6.1.0-21-amd64', modulesDir: true, loadFile: null, optionsFile: null, ...over,
});

function plan(args: Record<string, unknown>, m: KernelModuleState): Plan {
  return planKernelModule(kernelModuleArgs.parse(args), { mod: m });
}

/** Each change as `summary: script` (or `put <dest> <content>`). */
const commands = (p: Plan) => p.changes.flatMap((c) => c.actions.map((a) =>
  `${c.summary}: ${a.kind === 'exec' ? a.command.script : a.kind === 'put' ? `put ${a.file.dest} ${a.file.mode} ${JSON.stringify(String(a.file.content))}` : a.kind}`));

describe('kernelModule', () => {
  describe('plans from the module fact', () => {
    it('loads, then persists (so a module that fails to load leaves no file)', () => {
      assert.deepEqual(commands(plan({ name: 'br_netfilter' }, mod())), [
        'load br_netfilter: modprobe -- br_netfilter',
        'create /etc/modules-load.d/br_netfilter.conf: put /etc/modules-load.d/br_netfilter.conf 0644 "br_netfilter\\n"',
      ]);
    });

    it('loads with parameters and persists them in modprobe.d', () => {
      assert.deepEqual(commands(plan({ name: 'nf_conntrack', params: { hashsize: 65536, acct: true } }, mod())), [
        'load nf_conntrack acct=Y hashsize=65536: modprobe -- nf_conntrack acct=Y hashsize=65536',
        'create /etc/modules-load.d/nf_conntrack.conf: put /etc/modules-load.d/nf_conntrack.conf 0644 "nf_conntrack\\n"',
        'create /etc/modprobe.d/nf_conntrack.conf: put /etc/modprobe.d/nf_conntrack.conf 0644 "options nf_conntrack acct=Y hashsize=65536\\n"',
      ]);
    });

    it('only persists a module built into the kernel', () => {
      assert.deepEqual(plan({ name: 'overlay' }, mod({ state: 'builtin', modprobe: false, modulesDir: false })).changes.map((c) => c.summary), ['create /etc/modules-load.d/overlay.conf']);
    });

    it('does nothing when loaded and persisted, and says so', () => {
      assert.deepEqual(plan({ name: 'br_netfilter' }, mod({ state: 'loaded', loadFile: 'br_netfilter\n' })), {
        changes: [], noop: 'br_netfilter is loaded, persisted in /etc/modules-load.d/br_netfilter.conf',
      });
    });

    it('with persistent false, only loads', () => {
      assert.deepEqual(plan({ name: 'dummy', persistent: false }, mod()).changes.map((c) => c.summary), ['load dummy']);
    });

    it('unloads and removes both files with state absent', () => {
      assert.deepEqual(commands(plan({ name: 'dummy', state: 'absent' }, mod({ state: 'loaded', loadFile: 'dummy\n', optionsFile: 'options dummy numdummies=2\n' }))), [
        'unload dummy: modprobe -r -- dummy',
        'remove /etc/modules-load.d/dummy.conf: rm -f -- /etc/modules-load.d/dummy.conf',
        'remove /etc/modprobe.d/dummy.conf: rm -f -- /etc/modprobe.d/dummy.conf',
      ]);
      assert.deepEqual(plan({ name: 'dummy', state: 'absent' }, mod()), { changes: [], noop: 'dummy is not loaded and not persisted' });
    });
  });

  describe('fails clearly instead of pretending', () => {
    it('when modprobe is missing', () => {
      assert.equal(plan({ name: 'dummy' }, mod({ modprobe: false })).error, 'cannot load dummy: modprobe is not installed (Debian package kmod)');
    });

    it('when the running kernel has no loadable modules (a container)', () => {
      assert.match(plan({ name: 'dummy' }, mod({ modulesDir: false, release: '6.18.44' })).error ?? '', /^cannot load dummy: this host has no \/lib\/modules\/6\.18\.44, .*in a container the kernel is the host's/);
    });

    it('when asked to unload a module built into the kernel', () => {
      assert.equal(plan({ name: 'overlay', state: 'absent' }, mod({ state: 'builtin' })).error, 'overlay is built into the kernel and cannot be unloaded');
    });
  });

  it('names its steps from the arguments as written', () => {
    assert.equal(stepName(kernelModule({ name: 'dummy', state: 'absent' })), 'kernel module dummy absent');
  });

  describe('arguments', () => {
    it('rejects hostile module names, parameter names and values with a field error, or takes them as plain words', () => {
      for (const s of HOSTILE) {
        const byName = kernelModuleArgs.safeParse({ name: s });
        if (byName.success) assert.match(s, /^[A-Za-z0-9_][A-Za-z0-9_-]*$/);
        else assert.equal(byName.error.issues[0]?.path[0], 'name');
        const byValue = kernelModuleArgs.safeParse({ name: 'dummy', params: { numdummies: s } });
        if (byValue.success) assert.match(s, /^[^\s"'\\]+$/);
        else assert.deepEqual(byValue.error.issues[0]?.path, ['params', 'numdummies']);
        const byParam = kernelModuleArgs.safeParse({ name: 'dummy', params: { [s]: '1' } });
        if (!byParam.success) assert.equal(byParam.error.issues[0]?.path[0], 'params');
      }
    });

    it('quotes accepted values with shell characters', () => {
      const script = commands(plan({ name: 'dummy', params: { x: '$(touch' } }, mod()))[0];
      assert.equal(script, "load dummy x=$(touch: modprobe -- dummy 'x=$(touch'");
    });
  });

  it('check mode predicts the module loaded and its file written; loading may add sysctl keys', () => {
    const predictions = (kernelModule.definition.predicts as unknown as (a: unknown, f: unknown) => Prediction[])(kernelModuleArgs.parse({ name: 'br_netfilter' }), { mod: mod() });
    const own = predictions.find((p) => p.fact.name === 'kernel.module');
    assert.deepEqual(own?.value, mod({ state: 'loaded', loadFile: 'br_netfilter\n' }));
    assert.deepEqual(planKernelModule(kernelModuleArgs.parse({ name: 'br_netfilter' }), { mod: own?.value as KernelModuleState }).changes, []);
    assert.deepEqual(kernelModule.definition.affects, ['sysctl']);
  });
});
