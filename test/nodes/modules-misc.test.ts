/**
 * user, group, stat, slurp, waitFor, getUrl, unarchive and fetch on one throwaway node,
 * through the scenario lifecycle (check changes nothing, apply, apply again and check again
 * change nothing, predictions match), then verified with docker exec. Downloads come from
 * an HTTP server this test runs on the bridge gateway; the node has no curl or wget, so it
 * uses the python3 image and getUrl's python3 downloader. Also: hostname's honest failure
 * in a container, file's recursive and hard states on a real tree, the clear failure of a
 * node that lacks sha256sum, and a reboot, with the test starting the container again as
 * the "hardware" would.
 *
 *   node --import tsx --test test/nodes/modules-misc.test.ts
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { dockerSkipReason, startNodes, type NodeSet } from '../../src/testing/index.ts';
import { docker } from '../../src/testing/docker.ts';
import { runScenario } from '../../src/testing/scenario.ts';
import { loadInventoryView } from '../../src/inventory/view.ts';
import { connectorFactory } from '../../src/cli/connectors.ts';
import { runPlaybook } from '../../src/engine/run.ts';
import type { RunEvent } from '../../src/events.ts';
import { definePlaybook, type Playbook } from '../../src/define/playbook.ts';
import { loop, type Step } from '../../src/define/step.ts';
import { deferred, knownAfterApply } from '../../src/define/deferred.ts';
import { Secret } from '../../src/commands/secret.ts';
import { copy } from '../../src/modules/copy.ts';
import { file } from '../../src/modules/file.ts';
import { user, userArgs } from '../../src/modules/user.ts';
import { group } from '../../src/modules/group.ts';
import { stat } from '../../src/modules/stat.ts';
import { slurp } from '../../src/modules/slurp.ts';
import { waitFor } from '../../src/modules/wait-for.ts';
import { getUrl } from '../../src/modules/get-url.ts';
import { unarchive } from '../../src/modules/unarchive.ts';
import { fetch } from '../../src/modules/fetch.ts';
import { hostname } from '../../src/modules/hostname.ts';
import { reboot } from '../../src/modules/reboot.ts';
import { HOSTILE, HOSTILE_FILE_NAMES, PWNED } from '../connectors/support/hostile.ts';
import { waitFor as waitForEvent } from '../support/wait.ts';

const skip = await dockerSkipReason();
const sha = (b: string | Buffer) => createHash('sha256').update(b).digest('hex');
const HASH = '$6$capstansalt$0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ./0123456789abcdefgh';
const COMMENTS = HOSTILE.filter((s) => userArgs.safeParse({ name: 'x', comment: s }).success);
const WEIRD = "it's $(touch PWNED) é.txt";
const PAYLOAD = Buffer.from('payload \u0000 from the controller\n');

/** A tar.gz of top/<WEIRD> and top/b.txt, made with the controller's tar. */
function makeTarGz(dir: string, name: string, text: string): string {
  mkdirSync(join(dir, name, 'top'), { recursive: true });
  writeFileSync(join(dir, name, 'top', WEIRD), text);
  writeFileSync(join(dir, name, 'top', 'b.txt'), 'b\n');
  const out = join(dir, `${name}.tar.gz`);
  const r = spawnSync('tar', ['-czf', out, '-C', join(dir, name), 'top'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return out;
}

describe('misc modules on a throwaway node', { skip }, () => {
  let set: NodeSet;
  let server: Server;
  let base = '';
  let work: string;
  let bundle: Buffer;
  let localArchive: string;
  const hits = new Map<string, number>();

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'capstan-misc-'));
    localArchive = makeTarGz(work, 'local', 'from the controller\n');
    bundle = readFileSync(makeTarGz(work, 'served', 'from the server\n'));
    set = await startNodes({ count: 1, withPython: true });
    const net = await docker().getNetwork(set.network).inspect() as { IPAM: { Config: { Gateway?: string }[] } };
    const gateway = net.IPAM.Config[0]?.Gateway;
    assert.ok(gateway, 'the node network has a gateway address');
    server = createServer((req, res) => {
      hits.set(req.url ?? '', (hits.get(req.url ?? '') ?? 0) + 1);
      if (req.url === '/payload.bin') return void res.end(PAYLOAD);
      if (req.url === '/bundle.tar.gz') return void res.end(bundle);
      res.statusCode = 404;
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, gateway, r));
    base = `http://${gateway}:${(server.address() as { port: number }).port}`;
  });

  after(async () => {
    server?.close();
    await set?.destroy();
    rmSync(work, { recursive: true, force: true });
  });

  function playbook(): Playbook {
    const payloadStat = stat({ path: '/opt/misc/payload.bin' }, { name: 'stat payload' });
    const slurped = slurp({ path: `/opt/misc/names/${"it's"}` }, { name: 'slurp a hostile name' });
    const report = deferred((ctx) => {
      const s = ctx.result(payloadStat)?.data;
      const t = ctx.result(slurped)?.data;
      return s && t ? `${JSON.stringify({ stat: s, text: t.text })}\n` : knownAfterApply('stat and slurp data');
    });
    const steps: Step[] = [
      group({ name: 'capstan-app', gid: 2345 }),
      user({ name: 'capstan-app', uid: 2345, group: 'capstan-app', groups: ['adm'], shell: '/bin/bash', comment: "App it's $(touch /tmp/PWNED)", password: new Secret(HASH) }),
      loop(COMMENTS, (comment, i) => user({ name: `capstan-h${i}`, comment, createHome: false }), { name: 'users with hostile comments' }),
      loop(['/opt/misc', '/opt/misc/names', '/opt/misc/tree', '/opt/misc/remote'], (path) => file({ path, state: 'directory' }), { name: 'directories' }),
      loop(HOSTILE_FILE_NAMES, (name) => copy({ dest: `/opt/misc/names/${name}`, content: name }), { name: 'files with hostile names' }),
      loop(HOSTILE_FILE_NAMES, (name) => stat({ path: `/opt/misc/names/${name}` }), { name: 'stat hostile names' }),
      loop(HOSTILE_FILE_NAMES, (name) => fetch({ src: `/opt/misc/names/${name}`, dest: `${work}/names/`, flat: true }), { name: 'fetch hostile names' }),
      getUrl({ url: `${base}/payload.bin`, dest: '/opt/misc/payload.bin', checksum: `sha256:${sha(PAYLOAD)}`, mode: '0640', owner: 'capstan-app', group: 'capstan-app' }),
      getUrl({ url: `${base}/bundle.tar.gz`, dest: '/opt/misc/bundle.tar.gz', checksum: `sha256:${sha(bundle)}` }),
      payloadStat,
      slurped,
      waitFor({ port: 22, timeoutMs: 10_000 }, { name: 'ssh port open' }),
      waitFor({ path: '/opt/misc/payload.bin', timeoutMs: 10_000 }, { name: 'payload present' }),
      waitFor({ path: '/etc/passwd', search: '^capstan-app:', timeoutMs: 10_000 }, { name: 'user in passwd' }),
      fetch({ src: '/opt/misc/payload.bin', dest: `${work}/payload.bin`, flat: true }),
      fetch({ src: '/etc/hostname', dest: `${work}/per-host` }),
      copy({ dest: '/opt/misc/report.json', content: report }, { name: 'report of stat and slurp data' }),
      file({ path: '/opt/misc/stat-said-so', state: 'directory' }, { when: (ctx) => ctx.result(payloadStat)?.data?.exists === true }),
      unarchive({ src: '/opt/misc/bundle.tar.gz', remoteSrc: true, dest: '/opt/misc/remote', creates: `/opt/misc/remote/top/${WEIRD}` }),
      unarchive({ src: localArchive, dest: '/opt/misc/tree' }),
      stat({ path: `/opt/misc/tree/top/${WEIRD}`, checksum: false }),
    ];
    return definePlaybook({ plays: [{ name: 'misc', hosts: 'all', become: true, steps }] });
  }

  const onNode = async (argv: string[]) => (await set.exec('node1', argv)).stdout;

  it('converge: check changes nothing, apply, apply again and check again change nothing', async () => {
    await runScenario({ playbook: playbook(), nodes: set, verify: async () => {
      for (const [i, comment] of COMMENTS.entries()) {
        const entry = await onNode(['getent', 'passwd', `capstan-h${i}`]);
        assert.equal(entry.replace(/\n$/, '').split(':')[4], comment, `comment ${i} arrived byte for byte`);
      }
      assert.deepEqual((await onNode(['id', '-Gn', 'capstan-app'])).trim().split(' ').sort(), ['adm', 'capstan-app']);
      assert.equal((await onNode(['getent', 'shadow', 'capstan-app'])).split(':')[1], HASH);
      assert.equal((await onNode(['stat', '-c', '%a %U %G', '/opt/misc/payload.bin'])).trim(), '640 capstan-app capstan-app');
      assert.equal(sha(await onNode(['cat', '/opt/misc/payload.bin'])), sha(PAYLOAD));
      assert.equal(await onNode(['cat', `/opt/misc/tree/top/${WEIRD}`]), 'from the controller\n');
      assert.equal(await onNode(['cat', `/opt/misc/remote/top/${WEIRD}`]), 'from the server\n');
      assert.equal((await onNode(['sh', '-c', 'ls -A /opt/misc /opt/misc/tree | grep -c -e "\\.upload$" -e "^\\.capstan-get-url" || true'])).trim(), '0');
      for (const name of HOSTILE_FILE_NAMES) assert.equal(readFileSync(join(work, 'names', name), 'utf8'), name);
      assert.deepEqual(readFileSync(join(work, 'payload.bin')), PAYLOAD);
      assert.equal(readFileSync(join(work, 'per-host', 'node1', 'etc', 'hostname'), 'utf8'), await onNode(['cat', '/etc/hostname']));
      const rep = JSON.parse(await onNode(['cat', '/opt/misc/report.json'])) as { stat: Record<string, unknown>; text: string };
      assert.deepEqual([rep.stat.exists, rep.stat.sha256, rep.stat.mode, rep.stat.owner, rep.text], [true, sha(PAYLOAD), '0640', 'capstan-app', "it's"]);
      assert.equal((await set.exec('node1', ['test', '-d', '/opt/misc/stat-said-so'])).exitCode, 0);
      assert.equal((await set.exec('node1', ['test', '-e', PWNED])).exitCode, 1, 'no hostile string ran on the node');
      assert.equal(existsSync(PWNED), false);
    } });
    assert.deepEqual([hits.get('/payload.bin'), hits.get('/bundle.tar.gz')], [1, 1], 'downloaded once: never in check mode, never again once the checksum matches');
  });

  async function run(pb: Playbook, check = false): Promise<{ exitCode: number; steps: Extract<RunEvent, { type: 'host.step' }>[] }> {
    const inventory = await set.writeInventory(join(set.workDir, 'misc-inventory.yml'));
    const events: RunEvent[] = [];
    const recap = await runPlaybook(pb, await loadInventoryView([inventory]), {
      check, diff: false, forks: 5, tags: [], skipTags: [], extraVars: {}, playbookId: 'misc', connectorFactory: connectorFactory({}),
    }, (e) => events.push(e));
    return { exitCode: recap.exitCode, steps: events.filter((e): e is Extract<RunEvent, { type: 'host.step' }> => e.type === 'host.step') };
  }

  it('hostname fails honestly, in check mode too, when /etc/hostname is a bind mount', async () => {
    const pb = definePlaybook({ plays: [{ name: 'rename', hosts: 'all', become: true, gatherFacts: false, steps: [hostname({ name: 'renamed' })] }] });
    for (const check of [true, false]) {
      const { steps } = await run(pb, check);
      assert.equal(steps[0]?.result.status, 'failed');
      assert.match(steps[0]?.result.msg ?? '', /bind mount .*docker run --hostname renamed/);
    }
    assert.equal(await onNode(['cat', '/etc/hostname']), 'node1\n');
  });

  it('file recursive converges a tree whose top already matches; file hard checks the inode', async () => {
    await onNode(['sh', '-c', 'mkdir -p /opt/misc/rec/sub && echo x > /opt/misc/rec/sub/f && chmod 0600 /opt/misc/rec/sub/f && chmod 0750 /opt/misc/rec /opt/misc/rec/sub && echo bin > /opt/misc/k3s && echo other > /opt/misc/kubectl']);
    const pb = definePlaybook({ plays: [{ name: 'tree', hosts: 'all', become: true, gatherFacts: false, steps: [
      file({ path: '/opt/misc/rec', state: 'directory', owner: 'nobody', mode: '0750', recursive: true }),
      file({ path: '/opt/misc/kubectl', state: 'hard', src: '/opt/misc/k3s' }),
    ] }] });
    const statuses = async (check = false) => (await run(pb, check)).steps.map((e) => (e.result.status === 'failed' ? `failed: ${e.result.msg ?? ''}` : e.result.status));
    assert.deepEqual(await statuses(true), ['changed', 'changed']);
    assert.deepEqual(await statuses(), ['changed', 'changed']);
    assert.equal((await onNode(['stat', '-c', '%a %U', '/opt/misc/rec/sub/f'])).trim(), '750 nobody');
    assert.equal((await onNode(['stat', '-c', '%i', '/opt/misc/kubectl'])), await onNode(['stat', '-c', '%i', '/opt/misc/k3s']));
    assert.deepEqual(await statuses(), ['ok', 'ok']);
    await onNode(['chmod', '0644', '/opt/misc/rec/sub/f']);
    assert.deepEqual(await statuses(true), ['changed', 'ok'], 'a child that drifted under a top that matches is seen');
    assert.deepEqual(await statuses(), ['changed', 'ok']);
    assert.deepEqual(await statuses(true), ['ok', 'ok']);
  });

  it('a node without sha256sum fails in the first round trip, naming it and what to install', async () => {
    await onNode(['mv', '/usr/bin/sha256sum', '/usr/bin/sha256sum.away']);
    try {
      const pb = definePlaybook({ plays: [{ name: 'needs', hosts: 'all', become: true, gatherFacts: false, steps: [file({ path: '/opt/misc', state: 'directory' })] }] });
      const { exitCode, steps } = await run(pb);
      assert.notEqual(exitCode, 0);
      assert.equal(steps[0]?.result.status, 'failed');
      assert.match(steps[0]?.result.msg ?? '', /lacks sha256sum \(content hashes and upload checks\)\. .*install GNU coreutils/);
    } finally {
      await onNode(['mv', '/usr/bin/sha256sum.away', '/usr/bin/sha256sum']);
    }
  });

  it('reboot: the step waits for the container to be started again, and runs the test command', { timeout: 180_000 }, async () => {
    const before = await onNode(['cut', '-d', ' ', '-f22', '/proc/1/stat']);
    const watcher = restartWhenStopped(set, 'node1', 90_000);
    const pb = definePlaybook({ plays: [{ name: 'reboot', hosts: 'all', become: true, gatherFacts: false, steps: [
      reboot({ timeoutMs: 90_000, testCommand: 'test -d /run/systemd/system' }),
    ] }] });
    const { exitCode, steps } = await run(pb);
    await watcher;
    assert.equal(exitCode, 0, steps.map((s) => s.result.msg ?? '').join('\n'));
    assert.equal(steps[0]?.result.status, 'changed');
    assert.notEqual(await onNode(['cut', '-d', ' ', '-f22', '/proc/1/stat']), before, 'PID 1 started again');
  });
});

/** Plays the machine's power button: once the container stops, start it again. */
async function restartWhenStopped(set: NodeSet, name: string, withinMs: number): Promise<void> {
  const container = docker().getContainer(set.node(name).containerId);
  await waitForEvent(`${name} to stop for the reboot`, async () => !(await container.inspect()).State.Running, { timeoutMs: withinMs, intervalMs: 300 });
  await set.start(name);
}
