/**
 * The throwaway-node harness, for real: boots two nodes in Docker and checks SSH (with strict
 * host-key checking), sudo, stop/start, rebuild, filesystem snapshots, the lab state and cleanup.
 * Skips with a printed reason when Docker is missing; fails instead when CI is set.
 *
 *   node --import tsx --test test/nodes/harness.test.ts
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { access, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse } from 'yaml';
import {
  diffSnapshots, dockerSkipReason, formatDiff, generateSshKeyPair, isEmptyDiff, labDown, labInventoryPath, labUp,
  LABEL_LAB, planNodes, readLabState, renderInventory, startNodes, type NodeSet,
} from '../../src/testing/index.ts';
import { docker } from '../../src/testing/docker.ts';
import { ensureNodeImage } from '../../src/testing/image.ts';
import { followDockerStream } from '../../src/testing/progress.ts';
import { tarArchive } from '../../src/testing/tar.ts';
import { Readable } from 'node:stream';
import { writeKeyPair } from '../../src/testing/keys.ts';
import { requires, TOOLS } from '../support/tools.ts';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], input?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

function ssh(set: NodeSet, name: string, user: string, command: string, input?: string): Promise<Run> {
  return run('ssh', [...set.sshArgs(name, { user }), command], input);
}

const exists = (path: string) => access(path).then(() => true, () => false);

describe('harness without Docker', () => {
  test('generated keys are OpenSSH keys', { skip: requires(TOOLS.sshKeygen) }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'capstan-keytest-'));
    try {
      const pair = generateSshKeyPair('probe');
      const path = await writeKeyPair(dir, pair);
      assert.equal((await stat(path)).mode & 0o777, 0o600);
      const derived = await run('ssh-keygen', ['-y', '-f', path]);
      assert.equal(derived.code, 0, derived.stderr);
      assert.equal(derived.stdout.trim().split(' ').slice(0, 2).join(' '), pair.publicKey.split(' ').slice(0, 2).join(' '));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('layouts name nodes by group and reject bad ones', () => {
    assert.deepEqual(planNodes({ count: 2 }).map((n) => n.name), ['node1', 'node2']);
    assert.deepEqual(planNodes({ groups: { web: 2, db: 1 } }).map((n) => [n.name, n.groups]), [['web1', ['web']], ['web2', ['web']], ['db1', ['db']]]);
    assert.throws(() => planNodes({ count: 0 }), /count must be/);
    assert.throws(() => planNodes({ groups: { web: 2 }, count: 3 }), /add up to 2/);
    assert.throws(() => planNodes({ groups: { 'bad name': 1 } }), /group name/);
  });

  test('the inventory is Ansible-shaped, with become only for non-root users', () => {
    const nodes = [{ name: 'web1', address: '10.0.0.2', port: 22, groups: ['web'], hostKeys: {} }];
    const src = { nodes, privateKeyPath: '/k/id', knownHostsPath: '/k/kh', user: 'capstan' };
    const inv = parse(renderInventory(src));
    assert.equal(inv.all.hosts.web1.ansible_host, '10.0.0.2');
    assert.equal(inv.all.hosts.web1.ansible_become, true);
    assert.ok('web1' in inv.all.children.web.hosts);
    assert.equal(parse(renderInventory(src, { user: 'root' })).all.hosts.web1.ansible_become, undefined);
  });
});

const skip = await dockerSkipReason();

describe('throwaway nodes', { skip }, () => {
  let set: NodeSet;

  before(async () => {
    set = await startNodes({ count: 2 });
  }, { timeout: 15 * 60_000 });

  after(async () => {
    await set?.destroy();
  });

  test('root and capstan log in with the set key; host keys pass strict checking', async () => {
    for (const node of set.nodes) {
      assert.ok(node.hostKeys.ed25519?.startsWith(`${node.address} ssh-ed25519 `));
      for (const user of ['root', 'capstan']) {
        const r = await ssh(set, node.name, user, 'id -un');
        assert.equal(r.code, 0, `${user}@${node.name}: ${r.stderr}`);
        assert.equal(r.stdout.trim(), user);
      }
    }
  });

  test('capstan has passwordless sudo; python3 is absent', async () => {
    const r = await ssh(set, 'node1', 'capstan', 'sudo -n id -u; command -v python3 || echo no-python');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), ['0', 'no-python']);
  });

  test('sudo can ask for a password, and be passwordless again', async () => {
    await set.setSudo('node1', 'pa ss:word');
    const refused = await ssh(set, 'node1', 'capstan', 'sudo -n true');
    assert.notEqual(refused.code, 0);
    const allowed = await ssh(set, 'node1', 'capstan', "sudo -S -p '' id -u", 'pa ss:word\n');
    assert.equal(allowed.stdout.trim(), '0', allowed.stderr);
    await set.setSudo('node1');
    assert.equal((await ssh(set, 'node1', 'capstan', 'sudo -n true')).code, 0);
  });

  test('the inventory and known_hosts list every node', async () => {
    const inv = parse(set.inventoryYaml());
    assert.deepEqual(Object.keys(inv.all.hosts), ['node1', 'node2']);
    assert.equal(inv.all.hosts.node2.ansible_host, set.node('node2').address);
    const known = await readFile(set.knownHostsPath, 'utf8');
    for (const node of set.nodes) assert.ok(known.includes(node.hostKeys.ed25519 ?? '?'));
  });

  test('a snapshot is stable on an idle node, across logins, and sees a change', async () => {
    const first = await set.snapshotFs('node1');
    await ssh(set, 'node1', 'capstan', 'sudo -n true');
    const second = await set.snapshotFs('node1');
    const idle = diffSnapshots(first, second);
    assert.ok(isEmptyDiff(idle), formatDiff(idle));
    await set.exec('node1', ['sh', '-c', 'echo x > /etc/capstan-probe']);
    const changed = diffSnapshots(second, await set.snapshotFs('node1'));
    assert.deepEqual(changed.added, ['/etc/capstan-probe']);
    await set.exec('node1', ['rm', '/etc/capstan-probe']);
  });

  test('a stopped node is unreachable, and comes back with the same address and host key', async () => {
    const before = { ...set.node('node2') };
    await set.stop('node2');
    const down = await run('ssh', [...set.sshArgs('node2', { options: ['ConnectTimeout=3'] }), 'true']);
    assert.equal(down.code, 255);
    await set.start('node2');
    assert.equal(set.node('node2').address, before.address);
    assert.deepEqual(set.node('node2').hostKeys, before.hostKeys);
    assert.equal((await ssh(set, 'node2', 'capstan', 'true')).code, 0);
  });

  test('a rebuilt node has a new host key, which strict checking refuses', async () => {
    const old = set.node('node2').hostKeys.ed25519;
    await set.rebuild('node2');
    assert.notEqual(set.node('node2').hostKeys.ed25519, old);
    const refused = await ssh(set, 'node2', 'capstan', 'true');
    assert.equal(refused.code, 255);
    assert.match(refused.stderr, /Host key verification failed|HOST IDENTIFICATION HAS CHANGED/);
    await set.writeKnownHosts();
    assert.equal((await ssh(set, 'node2', 'capstan', 'true')).code, 0);
  });

  test('destroy removes the containers, the network and the key directory', async () => {
    const { id, network, workDir } = set;
    await set.destroy();
    const filters = JSON.stringify({ label: [`${LABEL_LAB}=${id}`] });
    assert.equal((await docker().listContainers({ all: true, filters })).length, 0);
    assert.equal((await docker().listNetworks({ filters: JSON.stringify({ name: [network] }) })).length, 0);
    assert.equal(await exists(workDir), false);
  });
});

describe('boot failures', { skip }, () => {
  test('a node that exits during boot is reported with its log, and cleaned up', { timeout: 15 * 60_000 }, async () => {
    const tag = 'capstan-node-broken:test';
    const dockerfile = `FROM ${await ensureNodeImage()}\nRUN printf '#!/bin/sh\\necho boom: no init >&2\\nexit 3\\n' > /lib/systemd/systemd\n`;
    const context = tarArchive([{ path: 'Dockerfile', content: dockerfile }]);
    await followDockerStream(await docker().buildImage(Readable.from([context]), { t: tag, rm: true }), () => undefined);
    try {
      await assert.rejects(startNodes({ image: tag, bootTimeoutMs: 30_000 }), (error: Error) => {
        assert.match(error.message, /node1: node exited during boot \(exit code 3\)/);
        assert.match(error.message, /boom: no init/);
        assert.match(error.message, /fs\.inotify\.max_user_instances/);
        return true;
      });
      const filters = JSON.stringify({ ancestor: [tag] });
      assert.equal((await docker().listContainers({ all: true, filters })).length, 0);
    } finally {
      await docker().getImage(tag).remove({ force: true });
    }
  });
});

describe('lab state', { skip }, () => {
  test('lab up records the nodes; lab down removes them', { timeout: 15 * 60_000 }, async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'capstan-labtest-'));
    try {
      const state = await labUp({ nodes: 1, stateDir });
      assert.equal((await readLabState(stateDir))?.id, state.id);
      const inv = parse(await readFile(await labInventoryPath(stateDir), 'utf8'));
      assert.equal(inv.all.hosts.node1.ansible_host, state.nodes[0]?.address);
      await assert.rejects(labUp({ nodes: 1, stateDir }), /already up/);
      const down = await labDown(stateDir);
      assert.deepEqual([down.containers, down.networks], [1, 1]);
      await assert.rejects(labInventoryPath(stateDir), /no lab is up/);
    } finally {
      await labDown(stateDir).catch(() => undefined);
      await rm(stateDir, { recursive: true, force: true });
    }
  });
});
