/**
 * The benchmark's clones of one converged node, for real: a node is changed, stripped of its
 * identity and committed; two nodes booted from that image keep the change but each has SSH
 * host keys and a machine id of its own, and none of the first node's run state.
 *
 *   node --import tsx --test test/nodes/bench-clones.test.ts
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { destroyRawNodes, startRawNodes } from '../../bench/lib/nodes.ts';
import { commitNodeImage, removeNodeImages } from '../../bench/lib/seed-image.ts';
import { docker } from '../../src/testing/docker.ts';
import { dockerSkipReason, type NodeSet } from '../../src/testing/index.ts';

const skip = await dockerSkipReason();

async function sh(set: NodeSet, name: string, script: string): Promise<string> {
  const r = await set.exec(name, ['sh', '-c', script]);
  assert.equal(r.exitCode, 0, `${name}: ${script}: ${r.stderr}`);
  return r.stdout.trim();
}

describe('clones of a converged node', { skip }, () => {
  let dir: string;
  let original: NodeSet;
  let clones: NodeSet;
  let image: string;
  let originalId: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'capstan-clones-'));
    const log = () => undefined;
    original = await startRawNodes(1, { workDir: join(dir, 'original'), log });
    await sh(original, 'node1', [
      'echo converged > /etc/converged-marker',
      'mkdir -p /var/lib/capstan && echo lock > /var/lib/capstan/run.lock',
      'mkdir -p /root/.ansible/tmp',
    ].join(' && '));
    originalId = await sh(original, 'node1', 'cat /etc/machine-id');
    image = await commitNodeImage(original, 'node1');
    clones = await startRawNodes(2, { workDir: join(dir, 'clones'), log, image });
  }, { timeout: 10 * 60_000 });

  after(async () => {
    await Promise.all([original, clones].filter(Boolean).map((set) => destroyRawNodes(set)));
    await removeNodeImages();
    await rm(dir, { recursive: true, force: true });
  });

  test('the clones keep what was done on the node, and boot with systemd and sshd', async () => {
    for (const name of ['node1', 'node2']) {
      assert.equal(await sh(clones, name, 'cat /etc/converged-marker'), 'converged');
      assert.equal(await sh(clones, name, 'systemctl is-active ssh.service'), 'active');
    }
  });

  test('each clone has host keys of its own', () => {
    const keys = [...original.nodes, ...clones.nodes].map((n) => n.hostKeys.ed25519?.split(' ').slice(1).join(' '));
    assert.ok(keys.every(Boolean), 'every node has an ed25519 host key');
    assert.equal(new Set(keys).size, keys.length, `host keys repeat: ${keys.join('\n')}`);
  });

  test('each clone has a machine id of its own', async () => {
    const ids = [originalId, await sh(clones, 'node1', 'cat /etc/machine-id'), await sh(clones, 'node2', 'cat /etc/machine-id')];
    assert.ok(ids.every((id) => /^[0-9a-f]{32}$/.test(id)), ids.join(', '));
    assert.equal(new Set(ids).size, 3, ids.join(', '));
  });

  test('none of the tools\' run state or temp files is carried over', async () => {
    assert.equal(await sh(clones, 'node1', 'ls -A /var/lib/capstan /root/.ansible 2>/dev/null | wc -l'), '0');
  });

  test('the image is removed with the run', async () => {
    await removeNodeImages();
    await assert.rejects(docker().getImage(image).inspect(), /no such image/i);
  });
});
