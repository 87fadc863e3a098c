/**
 * Facts gathered together on a real node read exactly what each fact's own probe reads, and
 * start fewer programs: one `systemctl show` for all the units of a batch, one `dpkg-query`
 * for all its package facts. Programs are counted by logging wrappers placed first on PATH
 * (/usr/local/sbin), which then run the real program. What the shell now reads itself (user
 * ids and names, dpkg's journal, links below the trees packages leave alone) is compared
 * with what the programs print.
 *
 *   node --import tsx --test test/nodes/gather-combined.test.ts
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { dockerSkipReason, startNodes, type NodeSet } from '../../src/testing/index.ts';
import { loadInventoryView } from '../../src/inventory/view.ts';
import { connectorFactory } from '../../src/cli/connectors.ts';
import { HostSession } from '../../src/engine/session.ts';
import type { Become } from '../../src/connectors/connector.ts';
import type { FactRef } from '../../src/define/fact.ts';
import { systemdUnit } from '../../src/facts/systemd.ts';
import { aptCache, aptPackages } from '../../src/facts/apt.ts';
import { aptTreeAliases } from '../../src/facts/apt-sources.ts';
import { hostFacts } from '../../src/facts/host.ts';
import { groupInfo, userInfo } from '../../src/facts/users.ts';

const skip = await dockerSkipReason();

const UNITS = ['ssh', 'sshd.service', 'dbus.socket', 'systemd-journald', 'getty@tty1.service', 'capstan-masked', 'capstan-nosuch', 'odd name $(x)', '-dash'];
const PACKAGES: { names: string[]; candidates?: boolean }[] = [
  { names: ['openssh-server', 'capstan-nosuch'] }, { names: ['sudo'], candidates: true }, { names: ['dbus', 'openssh-server', 'lib*'] },
];

describe('facts gathered together on a node', { skip }, () => {
  let set: NodeSet;
  const inventories: Record<'root' | 'sudo', string> = { root: '', sudo: '' };
  before(async () => {
    set = await startNodes({ count: 1 });
    inventories.root = await set.writeInventory(join(set.workDir, 'root.yml'), { user: 'root' });
    inventories.sudo = await set.writeInventory(join(set.workDir, 'sudo.yml'));
    const wrap = (p: string) => `printf '#!/bin/sh\\necho "$0 $*" >> /run/capstan-programs.log\\nexec /usr/bin/${p} "$@"\\n' > /usr/local/sbin/${p} && chmod 755 /usr/local/sbin/${p}`;
    const wrapped = ['systemctl', 'dpkg-query', 'getent', 'id', 'uname', 'nproc'].map(wrap).join(' && ');
    await set.exec('node1', ['sh', '-c', `systemctl mask capstan-masked.service && ${wrapped}`]);
  });
  after(async () => set?.destroy());

  async function gather(who: 'root' | 'sudo', refs: FactRef<unknown>[]): Promise<{ values: unknown[]; programs: string[] }> {
    const view = await loadInventoryView([inventories[who]]);
    const session = new HostSession('node1', connectorFactory({})(view.connection('node1')), { runId: `combined-${who}`, noLock: true });
    const become: Become | undefined = who === 'sudo' ? { user: 'root' } : undefined;
    await set.exec('node1', ['rm', '-f', '/run/capstan-programs.log']);
    try {
      await session.gather(refs, become);
      const values = refs.map((r) => (session.facts.lookup(r) as { value: unknown }).value);
      const log = await set.exec('node1', ['sh', '-c', 'cat /run/capstan-programs.log 2>/dev/null; true']);
      return { values, programs: log.stdout.split('\n').filter(Boolean) };
    } finally {
      await session.close();
    }
  }

  async function alone(who: 'root' | 'sudo', refs: FactRef<unknown>[]): Promise<unknown[]> {
    const values: unknown[] = [];
    for (const r of refs) values.push(...(await gather(who, [r])).values);
    return values;
  }

  for (const who of ['root', 'sudo'] as const) {
    it(`systemd units (${who === 'sudo' ? 'a user with sudo' : 'root'}): aliases, sockets, static and masked units, template instances, units that do not exist and odd names read as each alone; one systemctl show`, async () => {
      const refs = UNITS.map((u) => systemdUnit(u)) as FactRef<unknown>[];
      const together = await gather(who, refs);
      assert.deepEqual(together.values, await alone(who, refs));
      const byName = Object.fromEntries(UNITS.map((u, i) => [u, together.values[i] as { kind: string; loadState?: string; enabled?: string; activeState?: string }]));
      assert.equal(byName['ssh']?.activeState, 'active');
      assert.equal(byName['capstan-masked']?.loadState, 'masked');
      assert.equal(byName['capstan-nosuch']?.loadState, 'not-found');
      const shows = together.programs.filter((p) => /systemctl show/.test(p));
      // the odd name and '-dash' go alone (each its own probe); the other seven share one show
      assert.equal(shows.length, 3, together.programs.join('\n'));
      assert.equal(shows.filter((p) => p.includes('capstan-nosuch') && p.includes('ssh')).length, 1);
    });

    it(`apt packages (${who}): installed, absent, candidates and names dpkg reads as patterns read as each alone; one dpkg-query`, async () => {
      const refs = PACKAGES.map((p) => aptPackages(p)) as FactRef<unknown>[];
      const together = await gather(who, refs);
      assert.deepEqual(together.values, await alone(who, refs));
      assert.equal((together.values[0] as { packages: Record<string, { status: string }> }).packages['openssh-server']?.status, 'installed');
      assert.equal(together.programs.filter((p) => /dpkg-query/.test(p)).length, 2, `the pattern goes alone: ${together.programs.join('\n')}`);
    });
  }

  it('the shell reads what the programs print: the login user and its id, the package lists\' times, dpkg\'s journal, linked trees', async () => {
    await set.exec('node1', ['sh', '-c', 'mkdir -p /srv/a/b /var/opt/x /etc/opt/m && ln -sfn /etc /srv/a/b/etc && ln -sfn /tmp /mnt && touch /var/lib/dpkg/updates/0007 && mount -t tmpfs none /etc/opt/m']);
    try {
      const trees = ['/opt', '/etc/opt', '/var/opt', '/srv', '/mnt'];
      const together = await gather('root', [hostFacts(), aptCache(), aptTreeAliases(trees)] as FactRef<unknown>[]);
      const [host, cache, aliased] = together.values as [
        { user: string; uid: number; kernel: string; arch: string; cpus: number }, { updatedAt: number | null; dpkgInterrupted: boolean }, string[]];
      assert.deepEqual([host.user, host.uid], ['root', 0]);
      const uname = await set.exec('node1', ['sh', '-c', 'PATH=/usr/bin; uname -s; uname -m; nproc']);
      assert.equal(`${host.kernel}\n${host.arch}\n${host.cpus}\n`, uname.stdout, 'the kernel, architecture and CPUs read from /proc are what uname and nproc print');
      // (Debian's login runs `uname -snrvm` for the message of the day: that one is sshd's.)
      assert.deepEqual(together.programs.filter((p) => /\/(getent|id|nproc) |\/uname -sm$/.test(p)), [], 'no getent, id, uname -sm or nproc started');
      const asSudo = (await gather('sudo', [hostFacts()] as FactRef<unknown>[])).values[0] as { user: string; uid: number };
      assert.deepEqual([asSudo.user, asSudo.uid], ['root', 0]);
      const view = await loadInventoryView([inventories.sudo]);
      const plain = new HostSession('node1', connectorFactory({})(view.connection('node1')), { runId: 'plain', noLock: true });
      await plain.gather([hostFacts()], undefined);
      const own = plain.facts.lookup(hostFacts()) as { value: { user: string; uid: number } };
      await plain.close();
      const id = await set.exec('node1', ['sh', '-c', 'id -un capstan; id -u capstan']);
      assert.equal(`${own.value.user}\n${own.value.uid}\n`, id.stdout);
      const stamp = await set.exec('node1', ['sh', '-c', 'stat -c %Y /var/lib/apt/lists']);
      assert.ok(cache.updatedAt !== null && cache.updatedAt >= Number(stamp.stdout.trim()));
      assert.equal(cache.dpkgInterrupted, true);
      assert.deepEqual(aliased.filter((t) => t !== '/opt'), ['/etc/opt', '/srv', '/mnt'], 'a mount point below /etc/opt, the link below /srv, /mnt a link itself; /var/opt holds none');
    } finally {
      await set.exec('node1', ['sh', '-c', 'umount /etc/opt/m; rm -rf /srv/a /var/opt/x /etc/opt/m /var/lib/dpkg/updates/0007; rm -f /mnt && mkdir -p /mnt']);
    }
  });

  it('accounts: with files alone in nsswitch.conf the shell reads passwd, group and shadow itself, as getent and id print them (root, sudo, and a user who cannot read shadow)', async () => {
    const users = ['root', 'capstan-u1', 'capstan-u2', 'nobody', 'capstan-nosuch'];
    const refs = [...users.map((u) => userInfo(u)), ...['capstan-g1', 'nogroup', 'capstan-nosuch'].map((g) => groupInfo(g))] as FactRef<unknown>[];
    const nss = (sources: string) => set.exec('node1', ['sh', '-c', `sed -i -E 's/^(passwd|group|shadow):.*/\\1: ${sources}/' /etc/nsswitch.conf`]);
    await set.exec('node1', ['sh', '-c', [
      'groupadd capstan-g1 && groupadd capstan-g2 && useradd -M -G capstan-g1,capstan-g2 -c "A, B=c" capstan-u1 && echo capstan-u1:pw | chpasswd',
      // a user whose primary group has no entry: id prints its number
      "printf 'capstan-u2:x:4301:4399::/tmp:/bin/sh\\n' >> /etc/passwd",
    ].join(' && ')]);
    const plainUser = async (): Promise<unknown[]> => {
      const view = await loadInventoryView([inventories.sudo]);
      const plain = new HostSession('node1', connectorFactory({})(view.connection('node1')), { runId: 'accounts', noLock: true });
      try {
        await plain.gather(refs, undefined);
        return refs.map((r) => (plain.facts.lookup(r) as { value: unknown }).value);
      } finally {
        await plain.close();
      }
    };
    try {
      await nss('files');
      const byShell = { root: await gather('root', refs), sudo: await gather('sudo', refs) };
      const shellPlain = await plainUser();
      await nss('files systemd');
      const byNss = { root: await gather('root', refs), sudo: await gather('sudo', refs) };
      const nssPlain = await plainUser();
      assert.deepEqual(byShell.root.values, byNss.root.values);
      assert.deepEqual(byShell.sudo.values, byNss.sudo.values);
      assert.deepEqual(shellPlain, nssPlain);
      const u1 = byShell.root.values[1] as { groups: string[]; comment: string; passwordDigest: string | null };
      assert.deepEqual([u1.groups, u1.comment, typeof u1.passwordDigest], [['capstan-g1', 'capstan-g2'], 'A, B=c', 'string']);
      assert.deepEqual((byShell.root.values[2] as { group: string; groups: string[] }).groups, ['4399']);
      assert.equal((shellPlain[1] as { passwordDigest: string | null }).passwordDigest, null, 'shadow cannot be read without become');
      assert.deepEqual([byShell.root.values[4], byShell.root.values[7]], [null, null]);
      const accountPrograms = (g: { programs: string[] }) => g.programs.filter((p) => /\/(getent|id) /.test(p));
      assert.deepEqual([...accountPrograms(byShell.root), ...accountPrograms(byShell.sudo)], []);
      assert.ok(accountPrograms(byNss.root).length > 0, 'with another source named, getent and id answer');
    } finally {
      await nss('files');
      await set.exec('node1', ['sh', '-c', "sed -i '/^capstan-u2:/d' /etc/passwd; userdel capstan-u1; groupdel capstan-g1; groupdel capstan-g2; true"]);
    }
  });

  it('a batch of units systemctl refuses as a whole falls back to one probe each, with the same values', async () => {
    const refs = ['ssh', 'capstan-nosuch', 'x.invalid-suffix'].map((u) => systemdUnit(u)) as FactRef<unknown>[];
    const together = await gather('root', refs);
    assert.deepEqual(together.values, await alone('root', refs));
  });
});
