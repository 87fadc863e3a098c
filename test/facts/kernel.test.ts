import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { kernelModuleInfo, kernelName, parseKernelModule } from '../../src/facts/kernel.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('kernel.module fact', () => {
  it('reads a loaded, persisted module with options', () => {
    const out = `state=loaded\nmodprobe=yes\nrelease=6.1.0-21-amd64\nmodulesdir=yes\nload=${b64('br_netfilter\n')}\noptions=${b64('options br_netfilter x=1\n')}\n`;
    assert.deepEqual(parseKernelModule(out), {
      state: 'loaded', modprobe: true, release: '6.1.0-21-amd64', modulesDir: true, loadFile: 'br_netfilter\n', optionsFile: 'options br_netfilter x=1\n',
    });
  });

  it('reads a module built into the kernel, on a host without modprobe or /lib/modules', () => {
    const r = parseKernelModule('state=builtin\nmodprobe=no\nrelease=6.18.44\nmodulesdir=no\nload=-\noptions=-\n');
    assert.deepEqual(r, { state: 'builtin', modprobe: false, release: '6.18.44', modulesDir: false, loadFile: null, optionsFile: null });
  });

  it('an empty persisted file is empty, not absent', () => {
    assert.equal(parseKernelModule('state=absent\nmodprobe=yes\nrelease=x\nmodulesdir=yes\nload=\noptions=-\n').loadFile, '');
  });

  it('refuses output without a state', () => {
    assert.throws(() => parseKernelModule('modprobe=yes\n'), /state=/);
  });

  it('spells names the kernel\'s way', () => {
    assert.equal(kernelName('br-netfilter'), 'br_netfilter');
  });

  it('the probe is POSIX sh and runs here', () => {
    const ref = kernelModuleInfo('capstan_no_such_module');
    const r = spawnSync('sh', ['-c', ref.script], { encoding: 'utf8' });
    const m = parseKernelModule(r.stdout);
    assert.equal(m.state, 'absent');
    assert.equal(m.loadFile, null);
  });
});
