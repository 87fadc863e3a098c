import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { dockerSkipReason, startNodes, runScenario, type NodeSet } from '../../src/testing/index.ts';
import { definePlaybook, type Playbook } from '../../src/define/playbook.ts';
import { runPlaybook } from '../../src/engine/run.ts';
import { loadInventoryView } from '../../src/inventory/view.ts';
import { connectorFactory } from '../../src/cli/connectors.ts';
import type { RunEvent } from '../../src/events.ts';
import { apt } from '../../src/modules/apt.ts';
import { aptRepository } from '../../src/modules/apt-repository.ts';
import { systemd } from '../../src/modules/systemd.ts';
import { sysctl } from '../../src/modules/sysctl.ts';
import { kernelModule } from '../../src/modules/kernel-module.ts';
import { copy } from '../../src/modules/copy.ts';
import { waitFor } from '../support/wait.ts';

const skip = await dockerSkipReason();
const NODE = 'node1';

type StepEvent = Extract<RunEvent, { type: 'host.step' }>;
const steps = (events: RunEvent[]) => events.filter((e): e is StepEvent => e.type === 'host.step');
const byName = (events: RunEvent[], name: string) => {
  const e = steps(events).find((s) => s.step === name);
  assert.ok(e, `no step "${name}" in ${steps(events).map((s) => s.step).join(', ')}`);
  return e.result;
};

const play = (name: string, list: NonNullable<Playbook['plays'][number]['steps']>): Playbook =>
  definePlaybook({ name, plays: [{ name, hosts: 'all', become: true, gatherFacts: false, steps: list }] });

describe('system modules on a throwaway Debian node', { skip }, () => {
  let set: NodeSet;
  let inventory: string;
  const sh = async (script: string) => {
    const r = await set.exec(NODE, ['sh', '-c', script]);
    assert.equal(r.exitCode, 0, `${script}: ${r.stderr}`);
    return r.stdout.trim();
  };
  const run = async (pb: Playbook, check = false): Promise<RunEvent[]> => {
    const events: RunEvent[] = [];
    await runPlaybook(pb, await loadInventoryView([inventory]), {
      check, diff: false, forks: 5, tags: [], skipTags: [], extraVars: {}, playbookId: 'modules-system', connectorFactory: connectorFactory({}),
    }, (e) => events.push(e));
    return events;
  };

  /**
   * A process holding dpkg's lock until released (at most 5 minutes): resolves once it holds
   * the lock; `release` lets it go, after which it writes the time in /tmp/NAME-done.
   */
  const holdDpkgLock = async (name: string) => {
    const hold = `touch /tmp/${name}-in; i=0; until [ -e /tmp/${name}-release ] || [ $i -ge 3000 ]; do sleep 0.1; i=$((i+1)); done; date +%s%N > /tmp/${name}-done`;
    await sh(`rm -f /tmp/${name}-*; (flock /var/lib/dpkg/lock-frontend sh -c '${hold}') >/dev/null 2>&1 &`);
    await waitFor(`${name} to take the dpkg lock`, async () => (await sh(`[ -e /tmp/${name}-in ] && echo in || true`)) === 'in');
    return { release: () => sh(`touch /tmp/${name}-release`) };
  };

  before(async () => {
    set = await startNodes({ count: 1 });
    inventory = await set.writeInventory(join(set.workDir, 'inventory.yml'));
    // Docker mounts /proc/sys read-only. Per-network-namespace keys belong to this container
    // alone, so /proc/sys/net is made writable, as on a real host (and as `docker run --sysctl` does).
    await sh('mount --bind /proc/sys/net /proc/sys/net && mount -o remount,bind,rw /proc/sys/net');
  });
  after(async () => set?.destroy());

  it('installs haproxy, starts it, sets net.* sysctls, persists a module: check on the fresh node, apply, apply again, check again', async () => {
    const playbook = play('system', [
      sysctl({ name: 'net.ipv4.tcp_fin_timeout', value: 30 }, { name: 'fin timeout' }),
      sysctl({ name: 'net.core.somaxconn', value: '1024' }, { name: 'somaxconn' }),
      kernelModule({ name: 'overlay' }, { name: 'overlay module' }),
      apt({ name: ['haproxy', 'curl', 'kmod'], updateCache: true, cacheValidTime: 3600 }, { name: 'packages' }),
      systemd({ name: 'haproxy', state: 'started', enabled: true }, { name: 'haproxy service' }),
      apt({ name: 'curl', state: 'latest' }, { name: 'curl latest' }),
    ]);
    const report = await runScenario({
      playbook, nodes: set,
      verify: async () => {
        assert.equal(await sh('systemctl is-active haproxy'), 'active');
        assert.equal(await sh('systemctl is-enabled haproxy'), 'enabled');
        assert.equal(await sh("dpkg-query -W -f '${Status}' curl"), 'install ok installed');
        assert.equal(await sh('sysctl -n net.core.somaxconn net.ipv4.tcp_fin_timeout | tr "\\n" " "'), '1024 30');
        assert.equal(await sh('cat /etc/sysctl.d/99-capstan.conf'), 'net.ipv4.tcp_fin_timeout=30\nnet.core.somaxconn=1024');
        assert.equal(await sh('cat /etc/modules-load.d/overlay.conf'), 'overlay');
        assert.ok(Number(await sh('stat -c %Y /var/lib/apt/periodic/update-success-stamp')) > 0);
      },
    });
    const check = report.check.events;
    for (const name of ['fin timeout', 'somaxconn', 'overlay module', 'packages']) {
      const r = byName(check, name);
      assert.equal(r.status, 'changed', name);
      assert.equal(r.uncertain, undefined, `${name} is a certain prediction`);
    }
    const service = byName(check, 'haproxy service');
    assert.equal(service.status, 'changed', 'the unit the package brings: would change, no failure');
    assert.match(service.uncertain ?? '', /"packages" would change it first/);
    assert.match(service.summaries.join(' '), /depends on an earlier change/);
    assert.deepEqual(byName(check, 'packages').summaries, ['update the package lists: the package lists are empty (nothing in /var/lib/apt/lists)', 'install curl, haproxy, kmod']);
    assert.match(byName(report.applyAgain.events, 'packages').reason ?? '', /^installed: curl .*haproxy .*; package lists updated \d+ s ago \(valid for 3600 s\)$/);
    assert.match(byName(report.applyAgain.events, 'haproxy service').reason ?? '', /^haproxy\.service is active \(running\), enabled$/);
    assert.match(byName(report.checkAgain.events, 'curl latest').reason ?? '', /^newest versions installed: curl \S+$/);
  });

  it('adds a signed repository: binary key in /etc/apt/keyrings, deb822 source with Signed-By, apt-get update only when they change', async () => {
    const mirror = await sh("sed -n 's/^deb \\(\\[[^]]*\\] \\)\\{0,1\\}\\([^ ]*\\) .*/\\2/p' /etc/apt/sources.list | head -n 1");
    const codename = await sh('. /etc/os-release && echo "$VERSION_CODENAME"');
    const key = Buffer.from(await sh('base64 -w0 /usr/share/keyrings/debian-archive-keyring.gpg'), 'base64');
    assert.match(mirror, /^https?:\/\//);
    const playbook = play('repository', [
      aptRepository({ name: 'capstan-updates', uris: mirror, suites: `${codename}-updates`, components: ['main'], signedBy: { content: key } }, { name: 'updates repository' }),
    ]);
    const report = await runScenario({
      playbook, nodes: set,
      verify: async () => {
        assert.equal(await sh('cat /etc/apt/sources.list.d/capstan-updates.sources'),
          `Types: deb\nURIs: ${mirror}\nSuites: ${codename}-updates\nComponents: main\nSigned-By: /etc/apt/keyrings/capstan-updates.gpg`);
        assert.equal(await sh('cmp /etc/apt/keyrings/capstan-updates.gpg /usr/share/keyrings/debian-archive-keyring.gpg && stat -c %a /etc/apt/keyrings/capstan-updates.gpg'), '644');
        assert.match(await sh('ls /var/lib/apt/lists'), new RegExp(`_dists_${codename}-updates_InRelease`));
      },
    });
    assert.deepEqual(byName(report.check.events, 'updates repository').summaries.map((s) => s.replace(/\(\d+ bytes\)/, '(n bytes)')), [
      'create /etc/apt/keyrings/capstan-updates.gpg (n bytes)', 'create /etc/apt/sources.list.d/capstan-updates.sources (n bytes)', 'update the package lists (a repository changed)',
    ]);
    assert.equal(byName(report.applyAgain.events, 'updates repository').status, 'ok');
  });

  it('under --check, a unit written by an earlier copy step would change, depending on it', async () => {
    const events = await run(play('unit file', [
      copy({ dest: '/etc/systemd/system/capstan-demo.service', content: '[Service]\nExecStart=/bin/sleep infinity\n' }, { name: 'unit file' }),
      systemd({ name: 'capstan-demo', state: 'started' }, { name: 'demo service' }),
    ]), true);
    const r = byName(events, 'demo service');
    assert.equal(r.status, 'changed', r.msg);
    assert.match(r.uncertain ?? '', /"unit file" would change it first/);
  });

  it('waits for a process holding the dpkg lock, never kills it, then installs', async () => {
    const holder = await holdDpkgLock('holder');
    const installing = run(play('lock', [apt({ name: 'hello' }, { name: 'hello' })]));
    // apt's lock wait looks once a second, sleeping in between: once it sleeps, it is waiting.
    await waitFor('the install to wait for the lock', async () => (await sh('pgrep -fx "sleep 1" >/dev/null && echo waiting || true')) === 'waiting', { timeoutMs: 180_000 });
    await holder.release();
    const events = await installing;
    const r = byName(events, 'hello');
    assert.equal(r.status, 'changed', r.msg);
    const holderDone = BigInt(await sh('cat /tmp/holder-done'));
    const installedAt = BigInt((await sh('stat -c %.9Y /var/lib/dpkg/info/hello.list')).replace('.', ''));
    assert.ok(holderDone <= installedAt, `the holder finished on its own (${holderDone}) before dpkg wrote the package (${installedAt})`);
  });

  it('gives up after lockTimeout, naming the holder, which is left running', async () => {
    const holder = await holdDpkgLock('holder2');
    const events = await run(play('lock timeout', [apt({ name: 'hello', state: 'absent', lockTimeout: 1 }, { name: 'remove hello' })]));
    const r = byName(events, 'remove hello');
    assert.equal(r.status, 'failed');
    assert.match(r.msg ?? '', /capstan: gave up after 1 s waiting for the apt\/dpkg lock, held by \d+\(flock\).*; left running$/);
    assert.match(await sh('pgrep -x flock || true'), /^\d+/, 'the holder still runs');
    await holder.release();
    await waitFor('the holder to finish on its own', async () => (await sh('[ -e /tmp/holder2-done ] && echo done || true')) === 'done');
    assert.equal(await sh("dpkg-query -W -f '${Status}' hello"), 'install ok installed');
  });

  it('fails clearly, changing nothing: a unit that does not exist, a module that cannot be loaded, a read-only sysctl', async () => {
    const swappiness = await sh('cat /proc/sys/vm/swappiness');
    const wanted = swappiness === '10' ? '11' : '10';
    const events = await run(play('failures', [
      systemd({ name: 'capstan-no-such-unit', state: 'started' }, { name: 'missing unit', ignoreErrors: true }),
      kernelModule({ name: 'capstan_no_such_module' }, { name: 'missing module', ignoreErrors: true }),
      sysctl({ name: 'vm.swappiness', value: wanted, sysctlFile: '/etc/sysctl.d/98-capstan-vm.conf' }, { name: 'read-only key', ignoreErrors: true }),
    ]));
    assert.match(byName(events, 'missing unit').msg ?? '', /^unit capstan-no-such-unit\.service does not exist \(Unit capstan-no-such-unit\.service not found\.\)/);
    const mod = byName(events, 'missing module').msg ?? '';
    assert.match(mod, /^cannot load capstan_no_such_module: (this host has no \/lib\/modules\/|.*modprobe)/);
    const key = byName(events, 'read-only key');
    assert.equal(key.status, 'failed');
    assert.match(key.msg ?? '', /set vm\.swappiness .* \(live\): command failed .*(permission denied|Read-only)/is);
    assert.equal(await sh('ls /etc/modules-load.d/capstan_no_such_module.conf /etc/sysctl.d/98-capstan-vm.conf 2>/dev/null | wc -l'), '0');
    assert.equal(await sh('cat /proc/sys/vm/swappiness'), swappiness);
  });
});
