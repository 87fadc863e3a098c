/**
 * The rules of src/modules/package-effects.ts and package-preview.ts against real Debian
 * packages: everything an apt install changed on a fresh node (files it unpacked, what its
 * maintainer scripts and the services it started wrote) lies where the rule says a package
 * may write, and where the preview of that very install says it may; the preview itself
 * leaves the node as it was; the node's apt configuration is one the rules trust.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { dockerSkipReason, startNodes, type NodeSet } from '../../src/testing/index.ts';
import { diffSnapshots } from '../../src/testing/snapshot.ts';
import { runPlaybook } from '../../src/engine/run.ts';
import { loadInventoryView } from '../../src/inventory/view.ts';
import { connectorFactory } from '../../src/cli/connectors.ts';
import { definePlaybook } from '../../src/define/playbook.ts';
import { apt } from '../../src/modules/apt.ts';
import { aptSources, aptTreeAliases } from '../../src/facts/apt-sources.ts';
import { OUTSIDE_PACKAGES, packageMayWrite } from '../../src/modules/package-effects.ts';
import { aptPreview } from '../../src/facts/apt-preview.ts';
import { previewEffects } from '../../src/modules/package-preview.ts';
import { userInfo, groupInfo } from '../../src/facts/users.ts';

const skip = await dockerSkipReason();

describe('what a package install changes on a real node', { skip }, () => {
  let set: NodeSet;
  after(async () => set?.destroy());

  it('stays where package-effects.ts says packages may write', async () => {
    set = await startNodes({ count: 2 });
    const probe = async <T>(ref: { script: string; parse: (out: string, code: number) => T }) => {
      const r = await set.exec('node1', ['sh', '-c', ref.script]);
      return ref.parse(r.stdout, r.exitCode);
    };
    assert.deepEqual(await probe(aptSources()), { supported: true, foreign: null }, 'the node installs from Debian\'s archive only');
    assert.deepEqual(await probe(aptTreeAliases(OUTSIDE_PACKAGES)), []);
    // The sheltered trees themselves, and /etc and /var for what the install did write (hashing /usr would take minutes).
    const where = { paths: ['/etc', '/var', '/opt', '/srv', '/mnt'], exclude: ['/var/lib/apt/lists', '/var/cache'] };
    const before = await set.snapshotFs('node1', where);
    const install = definePlaybook({ plays: [{ name: 'packages', hosts: 'node1', steps: [
      apt({ name: ['haproxy', 'curl'], updateCache: true }, { name: 'install' }),
    ] }] });
    const recap = await runPlaybook(install, await loadInventoryView([await set.writeInventory(`${set.workDir}/effects-inventory.yml`)]), {
      check: false, diff: false, forks: 1, tags: [], skipTags: [], extraVars: {}, playbookId: 'effects', connectorFactory: connectorFactory({}),
    }, () => undefined);
    assert.equal(recap.hosts.node1?.changed, 1);
    const diff = diffSnapshots(before, await set.snapshotFs('node1', where));
    const touched = [...diff.added, ...diff.removed, ...diff.changed.map((c) => c.path)];
    assert.ok(touched.some((p) => p.startsWith('/etc/haproxy/')), 'the install was seen');
    assert.ok(touched.includes('/etc/passwd'), 'a maintainer script created a user');
    const sheltered = touched.filter((p) => !packageMayWrite(p));
    assert.deepEqual(sheltered, [], `the install wrote where the rule says packages cannot:\n${sheltered.join('\n')}`);
  });

  it('stays within what the preview of the install tells, and the preview changes nothing', async () => {
    const node = 'node2';
    const everything = { paths: ['/etc', '/var', '/tmp', '/root', '/opt', '/srv', '/mnt'] };
    const quiet = await set.snapshotFs(node, everything);
    const ref = aptPreview({ names: ['curl', 'haproxy'], recommends: false, update: true });
    // The preview fetches the package lists and the packages: minutes on a busy machine.
    const out = await set.exec(node, ['sh', '-c', ref.script], { timeoutMs: 900_000 });
    const unchanged = diffSnapshots(quiet, await set.snapshotFs(node, everything));
    assert.deepEqual(unchanged, { added: [], removed: [], changed: [] }, 'the preview leaves the node as it was');
    const told = previewEffects(ref.parse(out.stdout, out.exitCode));
    assert.ok(told.ok, told.ok ? '' : told.reason);
    const where = { paths: ['/etc', '/var', '/opt', '/srv', '/mnt', '/root', '/home', '/tmp'], exclude: ['/var/lib/apt/lists', '/var/cache'] };
    const before = await set.snapshotFs(node, where);
    const usersBefore = (await set.exec(node, ['sh', '-c', 'cut -d: -f1 /etc/passwd /etc/group'])).stdout.split('\n');
    const installed = await set.exec(node, ['sh', '-c', 'DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends curl haproxy'], { timeoutMs: 900_000 });
    assert.equal(installed.exitCode, 0, installed.stderr);
    const diff = diffSnapshots(before, await set.snapshotFs(node, where));
    const touched = [...diff.added, ...diff.removed, ...diff.changed.map((c) => c.path)].filter((p) => !p.startsWith('/var/lib/apt/lists'));
    assert.ok(touched.includes('/etc/haproxy/haproxy.cfg'), 'the install was seen');
    const unforeseen = touched.filter((p) => !told.effects.paths?.(p));
    assert.deepEqual(unforeseen, [], `the install wrote where its preview says it cannot:\n${unforeseen.join('\n')}`);
    const newNames = (await set.exec(node, ['sh', '-c', 'cut -d: -f1 /etc/passwd /etc/group'])).stdout.split('\n').filter((n) => n && !usersBefore.includes(n));
    assert.deepEqual(newNames.sort(), ['haproxy', 'haproxy']);
    assert.ok(told.effects.refs?.(userInfo('haproxy')) && told.effects.refs(groupInfo('haproxy')));
    assert.equal(told.effects.paths?.('/etc/motd'), false, 'and it does narrow: /etc/motd is not reached');
  });
});
