/**
 * The rule of src/modules/package-effects.ts against real Debian packages: everything an apt
 * install changed on a fresh node (files it unpacked, what its maintainer scripts and the
 * services it started wrote) lies where the rule says a package may write, and the node's
 * apt configuration is one the rule trusts.
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

const skip = await dockerSkipReason();

describe('what a package install changes on a real node', { skip }, () => {
  let set: NodeSet;
  after(async () => set?.destroy());

  it('stays where package-effects.ts says packages may write', async () => {
    set = await startNodes({ count: 1 });
    const probe = async <T>(ref: { script: string; parse: (out: string, code: number) => T }) => {
      const r = await set.exec('node1', ['sh', '-c', ref.script]);
      return ref.parse(r.stdout, r.exitCode);
    };
    assert.deepEqual(await probe(aptSources()), { supported: true, foreign: null }, 'the node installs from Debian\'s archive only');
    assert.deepEqual(await probe(aptTreeAliases(OUTSIDE_PACKAGES)), []);
    // The sheltered trees themselves, and /etc and /var for what the install did write (hashing /usr would take minutes).
    const where = { paths: ['/etc', '/var', '/opt', '/srv', '/mnt'], exclude: ['/var/lib/apt/lists', '/var/cache'] };
    const before = await set.snapshotFs('node1', where);
    const install = definePlaybook({ plays: [{ name: 'packages', hosts: 'all', steps: [
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
});
