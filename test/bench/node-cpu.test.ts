/**
 * Node CPU per host and the controller's descriptors: where each container's cumulative CPU
 * is read (cgroup v1, cgroup v2 with either driver, or Docker's stats), how two readings
 * become seconds per host, how open descriptors are counted, and how the results file and
 * its analysis report them against the floor.
 *
 *   node --import tsx --test test/bench/node-cpu.test.ts
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { analysisLines } from '../../bench/lib/analysis.ts';
import { openFilesLimit, parseOpenFilesLimit, sampleFds } from '../../bench/lib/fd-watch.ts';
import { containerCpuS, cpuCounterFiles, cpuPerHost, parseCpuacctUsage, parseCpuStatUsage, readNodesCpu, statsUsage } from '../../bench/lib/node-cpu.ts';
import { parseBenchArgs } from '../../bench/lib/options.ts';
import type { BenchReport } from '../../bench/lib/report.ts';
import { descriptorTable, nodeCpuTable } from '../../bench/lib/report-tables.ts';
import type { Measurement, Phase, Subject } from '../../bench/lib/types.ts';

const ID = 'ab'.repeat(32);

async function cgroupTree(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'node-cpu-'));
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
  return root;
}

describe('reading a container\'s CPU', () => {
  it('parses cgroup v1 nanoseconds, cgroup v2 usage_usec and Docker\'s stats into seconds', () => {
    assert.equal(parseCpuacctUsage('3406165304\n'), 3.406165304);
    assert.ok(Number.isNaN(parseCpuacctUsage('max\n')));
    assert.equal(parseCpuStatUsage('usage_usec 1500000\nuser_usec 1000000\nsystem_usec 500000\n'), 1.5);
    assert.ok(Number.isNaN(parseCpuStatUsage('user_usec 1\n')));
    assert.equal(statsUsage({ cpu_stats: { cpu_usage: { total_usage: 2_500_000_000 } } }), 2.5);
    assert.ok(Number.isNaN(statsUsage({ cpu_stats: {} })));
  });

  it('tries cgroup v1 first, then v2 with the cgroupfs driver, then v2 with the systemd driver', () => {
    assert.deepEqual(cpuCounterFiles(ID, '/cg').map((f) => f.path), [
      `/cg/cpuacct/docker/${ID}/cpuacct.usage`,
      `/cg/cpu,cpuacct/docker/${ID}/cpuacct.usage`,
      `/cg/docker/${ID}/cpu.stat`,
      `/cg/system.slice/docker-${ID}.scope/cpu.stat`,
    ]);
  });

  it('reads whichever of those files exists', async () => {
    const v1 = await cgroupTree({ [`cpuacct/docker/${ID}/cpuacct.usage`]: '2000000000\n' });
    const v2 = await cgroupTree({ [`docker/${ID}/cpu.stat`]: 'usage_usec 3000000\n' });
    const scope = await cgroupTree({ [`system.slice/docker-${ID}.scope/cpu.stat`]: 'usage_usec 4000000\n' });
    try {
      assert.equal(await containerCpuS(ID, { cgroupRoot: v1, dockerStats: false }), 2);
      assert.equal(await containerCpuS(ID, { cgroupRoot: v2, dockerStats: false }), 3);
      assert.equal(await containerCpuS(ID, { cgroupRoot: scope, dockerStats: false }), 4);
      assert.ok(Number.isNaN(await containerCpuS('cd'.repeat(32), { cgroupRoot: v1, dockerStats: false })));
    } finally {
      await Promise.all([v1, v2, scope].map((d) => rm(d, { recursive: true, force: true })));
    }
  });

  it('sums the nodes and divides what they spent by N; an unread node or a counter going back gives no number', async () => {
    const other = 'cd'.repeat(32);
    const root = await cgroupTree({ [`cpuacct/docker/${ID}/cpuacct.usage`]: '1000000000', [`cpuacct/docker/${other}/cpuacct.usage`]: '500000000' });
    try {
      const before = await readNodesCpu([ID, other], { cgroupRoot: root, dockerStats: false });
      assert.deepEqual(before, { totalS: 1.5, unread: [] });
      await writeFile(join(root, `cpuacct/docker/${ID}/cpuacct.usage`), '1600000000');
      await writeFile(join(root, `cpuacct/docker/${other}/cpuacct.usage`), '700000000');
      const after = await readNodesCpu([ID, other], { cgroupRoot: root, dockerStats: false });
      assert.ok(Math.abs(cpuPerHost(before, after, 2) - 0.4) < 1e-9);
      const missing = await readNodesCpu([ID, 'ef'.repeat(32)], { cgroupRoot: root, dockerStats: false });
      assert.deepEqual(missing.unread, ['ef'.repeat(32)]);
      assert.ok(Number.isNaN(cpuPerHost(before, missing, 2)));
      assert.ok(Number.isNaN(cpuPerHost(after, before, 2)));
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('the controller\'s descriptors', () => {
  it('reads the soft open-file limit', () => {
    assert.equal(parseOpenFilesLimit('Limit Soft Limit Hard Limit Units\nMax open files            1024                 524288               files\n'), 1024);
    assert.equal(parseOpenFilesLimit('Max open files            unlimited            unlimited            files\n'), Number.POSITIVE_INFINITY);
    assert.ok(Number.isNaN(parseOpenFilesLimit('')));
  });

  it('counts the descriptors and sockets of a whole process tree', async () => {
    // A shell whose child holds a listening socket and five connections to it.
    const holder = 'const net=require("net");const s=net.createServer(()=>{}).listen(0,"127.0.0.1",()=>{let n=0;for(let i=0;i<5;i++)net.connect(s.address().port,"127.0.0.1",()=>{if(++n===5)console.log("ready")})});';
    const child = spawn('sh', ['-c', `${JSON.stringify(process.execPath)} -e '${holder}'`], { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
    try {
      const [chunk] = await once(child.stdout, 'data') as [Buffer];
      assert.equal(chunk.toString().trim(), 'ready');
      const now = await sampleFds(child.pid ?? 0);
      // listener + 5 client ends + 5 server ends, all in the grandchild
      assert.ok(now.sockets >= 11, `sockets: ${now.sockets}`);
      assert.ok(now.fds > now.sockets);
      assert.notEqual(now.busiest, child.pid);
      assert.ok((await openFilesLimit(now.busiest)) > 0);
    } finally {
      process.kill(-(child.pid ?? 0), 'SIGKILL');
      child.stdout.destroy();
    }
  });
});

function m(subject: Subject, phase: Phase, n: number, extra: Partial<Measurement> = {}): Measurement {
  return { n, phase, subject, run: 1, wallS: 1, cpuS: 0.5, maxRssKb: 200 * 1024, exitCode: 0, timedOut: false, ...extra };
}

const report = (ms: Measurement[]): BenchReport => ({
  tiny: false, startedAt: '2025-11-26T10:00:00.000Z', finishedAt: '2025-11-26T10:30:00.000Z', command: 'bench/run.ts',
  options: parseBenchArgs(['--nodes', '20,100', '--tools', 'capstan'], '/r'),
  machine: { cores: 2, cpuModel: 'x', memoryGiB: 24, kernel: '6.1', os: 'Debian' },
  versions: { node: 'v20', capstan: 'abc', ansibleCore: '2.14', mitogen: '0.3.3', openssh: 'OpenSSH_9.2', gnuTime: '1.9', docker: '20.10', nodeImage: 'capstan-node:x' },
  repo: { dir: '/c', packages: [], filesServed: 0 }, logsDir: '/tmp/l', measurements: ms, settles: [], endState: [], endStateNote: 'only one tool ran', problems: [],
});

describe('node CPU and descriptors in the results', () => {
  const ms = [
    m('capstan', 'warm', 20, { nodeCpuPerHostS: 0.3, peakFds: 60, peakSockets: 40, fdLimit: 1024 }), m('floor', 'warm', 20, { nodeCpuPerHostS: 0.12 }),
    m('capstan', 'check', 20, { nodeCpuPerHostS: 0.35, peakFds: 61, peakSockets: 40, fdLimit: 1024 }),
    m('capstan', 'warm', 100, { nodeCpuPerHostS: 0.2, wallS: 10, cpuS: 19, peakFds: 900, peakSockets: 200, fdLimit: 1024 }), m('floor', 'warm', 100, { nodeCpuPerHostS: 0.125 }),
  ];

  it('tabulates node CPU per host for every tool and the floor, with Capstan over the floor', () => {
    const rows = nodeCpuTable(report(ms)).trim().split('\n');
    assert.equal(rows[0], '| N | phase | capstan | floor | capstan / floor |');
    assert.equal(rows[2], '| 20 | warm | 0.300 | 0.120 | 2.5× |');
    assert.equal(rows[3], '| 20 | check | 0.350 | 0.120 | 2.9× |');
    assert.equal(rows[4], '| 100 | warm | 0.200 | 0.125 | 1.6× |');
  });

  it('tabulates the peak descriptors (sockets) and the limit', () => {
    const rows = descriptorTable(report(ms)).trim().split('\n');
    assert.equal(rows[0], '| N | phase | capstan fds (sockets) | open-file limit |');
    assert.equal(rows[4], '| 100 | warm | 900 (200) | 1024 |');
  });

  it('states node CPU per warm host as a multiple of the floor\'s, against the 2× target, and where one controller saturates', () => {
    const lines = analysisLines(report(ms));
    assert.ok(lines.includes('Node CPU per warm host, Capstan against the floor\'s: N=20 0.300 s against 0.120 s, 2.5×; N=100 0.200 s against 0.125 s, 1.6× (target: at most 2×; above it at N=20).'), lines.join('\n'));
    assert.ok(lines.some((l) => l.startsWith('One controller at N=100 (warm and check): 1.9 of 2 cores busy, peak 200 MiB, at most 900 open descriptors (200 sockets) of a limit of 1024 (88 %); it saturates on CPU (1.9 of 2 cores busy) and open descriptors.')), lines.join('\n'));
  });
});
