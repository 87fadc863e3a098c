import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseCpu } from '../../src/advise/cpu.ts';
import { parseDisk, parseK3s, parseLoad, parseMemory } from '../../src/advise/parse.ts';

/** Probe output of the cpu section: `samples` are [ns, busy jiffies, idle jiffies, cgroup ns?]. */
function cpuText(samples: Array<[number, number, number, number?]>, extra: string[] = []): string {
  return [
    ...extra,
    ...samples.flatMap(([t, busy, idle, cg]) => [`t ${t}`, `cpu  ${busy} 0 0 ${idle} 0 0 0 0 0 0`, ...(cg === undefined ? [] : [`cg ${cg}`])]),
  ].join('\n');
}

const S = 1_000_000_000;

describe('parseCpu: /proc/stat', () => {
  it('averages over the whole window and keeps the busiest interval as the peak', () => {
    // 1 s at 50%, 1 s at 100%, 1 s at 0%: average 50%, peak 100%
    const r = parseCpu(cpuText([[0, 0, 0], [S, 50, 50], [2 * S, 150, 50], [3 * S, 150, 150]], ['cpus 2']));
    assert.deepEqual(r, { average: 50, peak: 100, source: 'proc-stat', windowSeconds: 3 });
  });

  it('counts iowait as idle and steal as busy, ignores guest (already in user)', () => {
    const text = ['cpus 1', `t 0`, 'cpu  0 0 0 0 0 0 0 0 0 0', `t ${S}`, 'cpu  10 0 10 40 20 0 0 20 999 999'].join('\n');
    assert.equal(parseCpu(text).average, 40);
  });

  it('refuses a single sample', () => {
    assert.throws(() => parseCpu(cpuText([[0, 1, 1]])), /expected at least two \/proc\/stat samples, got 1/);
  });

  it('names a malformed line', () => {
    assert.throws(() => parseCpu('t 0\ncpu  a b c d\nt 1\ncpu  1 1 1 1'), /unexpected \/proc\/stat line "cpu {2}a b c d"/);
  });
});

describe('parseCpu: a container node (cgroup)', () => {
  it('measures usage against the CPU quota: 0.2 CPU used of a 0.2 quota is 100%', () => {
    const r = parseCpu(cpuText([[0, 0, 0, 0], [S, 10, 90, 0.2 * S], [2 * S, 20, 180, 0.4 * S]], ['quota 20000 100000', 'cpus 2']));
    assert.equal(r.source, 'cgroup');
    assert.ok(Math.abs(r.average - 100) < 1e-9, String(r.average));
  });

  it('without a quota, measures against the CPU count: half a CPU of two is 25%', () => {
    const r = parseCpu(cpuText([[0, 0, 0, 0], [S, 90, 10, 0.5 * S]], ['quota -1 100000', 'cpus 2']));
    assert.equal(r.average, 25);
  });

  it('the whole-machine figure is ignored for a container: the host is busy, the node idle', () => {
    const r = parseCpu(cpuText([[0, 0, 0, 0], [S, 100, 0, 0.01 * S]], ['quota max 100000', 'cpus 4']));
    assert.equal(r.average, 0.25);
  });
});

describe('parseMemory', () => {
  const meminfo = 'MemTotal:        2000000 kB\nMemFree:          100000 kB\nMemAvailable:     500000 kB\n';
  it('used = MemTotal - MemAvailable', () => assert.deepEqual(parseMemory(meminfo), { percent: 75, source: 'meminfo' }));
  it('a container with a limit: usage minus inactive file cache, against the limit', () =>
    assert.deepEqual(parseMemory(`${meminfo}cg 1000000 600000 100000\n`), { percent: 50, source: 'cgroup' }));
  it('cgroup v1 "no limit" (a huge number) falls back to meminfo', () =>
    assert.equal(parseMemory(`${meminfo}cg 9223372036854771712 600000 0\n`).source, 'meminfo'));
  it('cgroup v2 "max" falls back to meminfo', () => assert.equal(parseMemory(`${meminfo}cg max 600000 0\n`).source, 'meminfo'));
  it('an old kernel without MemAvailable is an error, not a guess', () =>
    assert.throws(() => parseMemory('MemTotal: 100 kB\nMemFree: 50 kB\n'), /expected MemTotal and MemAvailable/));
});

describe('parseDisk', () => {
  it('used against used + available, like df\'s Capacity', () =>
    assert.deepEqual(parseDisk('/dev/sda1  1000  600  200  75% /var/lib/rancher/k3s\n'), { percent: 75, mount: '/var/lib/rancher/k3s' }));
  it('keeps a mount point with spaces', () => assert.equal(parseDisk('overlay 10 1 9 10% /mnt/my disk\n').mount, '/mnt/my disk'));
  it('refuses text that is not a df -P line', () => assert.throws(() => parseDisk('df: /x: No such file\n'), /expected a df -Pk line/));
});

describe('parseLoad', () => {
  it('reads the three averages and the CPU count', () =>
    assert.deepEqual(parseLoad('1.50 0.75 0.25 2/345 6789\ncpus 4\n'), { one: 1.5, five: 0.75, fifteen: 0.25, cpus: 4 }));
  it('needs the CPU count', () => assert.throws(() => parseLoad('1.50 0.75 0.25 2/345 6789\n'), /CPU count/));
});

describe('parseK3s', () => {
  const cases: Array<[string, string, Partial<ReturnType<typeof parseK3s>>]> = [
    ['nothing installed', '', { role: null, datastore: null, active: false, dataDirReadable: true }],
    ['a stage 1 server on SQLite', 'unit server\nserver-dir\ndatastore sqlite\nactive server\n', { role: 'server', datastore: 'sqlite', active: true }],
    ['an etcd server (state.db migrated away)', 'unit server\nserver-dir\ndatastore etcd\n', { role: 'server', datastore: 'etcd', active: false, offsiteSnapshots: [] }],
    ['an etcd server whose snapshots go to S3 and a backup host', 'unit server\nserver-dir\ndatastore etcd\noffsite copy-timer\noffsite s3\n', { offsiteSnapshots: ['s3', 'copy-timer'] }],
    ['a monitoring stack without alert receivers', 'unit server\nserver-dir\ndatastore sqlite\nmanifest monitoring-kube-prometheus-stack.yaml\n', { alertReceivers: false, offsiteSnapshots: undefined }],
    ['a monitoring stack with alert receivers', 'unit server\nserver-dir\ndatastore sqlite\nmanifest monitoring-kube-prometheus-stack.yaml\nalerting receivers\n', { alertReceivers: true }],
    ['a server on an external datastore', 'unit server\nserver-dir\nactive server\n', { role: 'server', datastore: 'external' }],
    ['an agent', 'unit agent\nactive agent\n', { role: 'agent', datastore: null, active: true }],
    ['a server whose data dir could not be read', 'unit server\nunreadable\n', { role: 'server', datastore: null, dataDirReadable: false }],
    ['monitoring manifests, sorted', 'unit server\nserver-dir\ndatastore sqlite\nmanifest monitoring-loki.yaml\nmanifest monitoring-kube-prometheus-stack.yaml\n',
      { monitoringManifests: ['monitoring-kube-prometheus-stack.yaml', 'monitoring-loki.yaml'] }],
  ];
  for (const [name, text, want] of cases) {
    it(name, () => {
      const got = parseK3s(text);
      for (const [k, v] of Object.entries(want)) assert.deepEqual(got[k as keyof typeof got], v, k);
    });
  }
});
