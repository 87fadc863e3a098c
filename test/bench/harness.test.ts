/**
 * The pure parts of the benchmark harness: statistics and paired ratios, GNU time and tool
 * output parsing, options, end-state comparison, apt index, tables and the analysis.
 *
 *   node --import tsx --test test/bench/harness.test.ts
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { analysisLines } from '../../bench/lib/analysis.ts';
import { ansibleEnv, parseAnsibleRecap } from '../../bench/lib/ansible.ts';
import { indexFiles, listPackages, releaseText } from '../../bench/lib/apt-index.ts';
import { parseCapstanEvents, recapNumbers } from '../../bench/lib/capstan.ts';
import { parseEndState, normaliseContent } from '../../bench/lib/endstate.ts';
import { DiffTally, describeDifference, diffEndStates } from '../../bench/lib/endstate-diff.ts';
import { FLOOR_PROBES, floorScript } from '../../bench/lib/floor.ts';
import { parseGnuTime, timeArgv } from '../../bench/lib/gnu-time.ts';
import { parseProcStat, parseVmHwm } from '../../bench/lib/leftovers.ts';
import { clonedAt, parseBenchArgs, toolsAt } from '../../bench/lib/options.ts';
import { allGood, type BenchReport } from '../../bench/lib/report.ts';
import { wallTable, reportedTable } from '../../bench/lib/report-tables.ts';
import { renderMarkdown, resultsBase, writeResults } from '../../bench/lib/results.ts';
import { cellRatios, median, pairedRatios, spread, summarise } from '../../bench/lib/stats.ts';
import { formatNumber, formatRatio, formatSummary, markdownTable } from '../../bench/lib/table.ts';
import type { Measurement, Phase, Subject } from '../../bench/lib/types.ts';

function m(subject: Subject, phase: Phase, run: number, wallS: number, extra: Partial<Measurement> = {}): Measurement {
  return { n: 5, phase, subject, run, wallS, cpuS: wallS / 2, maxRssKb: 100 * 1024, exitCode: 0, timedOut: false, ...extra };
}

describe('statistics', () => {
  it('takes the median of odd and even counts, ignoring values that are not numbers', () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.equal(median([Number.NaN, 5]), 5);
    assert.ok(Number.isNaN(median([])));
  });

  it('summarises median, min and max, and measures the spread', () => {
    const s = summarise([1.2, 1.0, 1.4]);
    assert.deepEqual(s, { median: 1.2, min: 1, max: 1.4, count: 3 });
    assert.equal(summarise([Number.NaN]), undefined);
    assert.ok(Math.abs(spread(s!) - 1 / 3) < 1e-9);
  });

  it('pairs ratios by run index and leaves out pairs without a positive denominator', () => {
    assert.deepEqual(pairedRatios([10, 12, 9], [2, 3]), [5, 4]);
    assert.deepEqual(pairedRatios([10, 12], [0, Number.NaN]), []);
  });

  it('pairs the interleaved runs of two tools in a cell; a failed run drops its pair', () => {
    const ms = [
      m('capstan', 'warm', 1, 2), m('ansible-pipelining', 'warm', 1, 10),
      m('capstan', 'warm', 2, 4, { error: 'exit code 2' }), m('ansible-pipelining', 'warm', 2, 12),
      m('capstan', 'warm', 3, 3), m('ansible-pipelining', 'warm', 3, 9),
    ];
    assert.deepEqual(cellRatios(ms, 5, 'warm', 'ansible-pipelining', 'capstan'), [5, 3]);
  });
});

describe('GNU time', () => {
  it('wraps a command so that the report goes to its own file', () => {
    assert.deepEqual(timeArgv('/tmp/t', ['ansible-playbook', 'x.yml']).slice(3), ['-o', '/tmp/t', 'ansible-playbook', 'x.yml']);
    assert.equal(timeArgv('/tmp/t', ['x'])[0], '/usr/bin/time');
  });

  it('parses a report, also after the line GNU time adds for a non-zero exit', () => {
    const r = parseGnuTime('Command exited with non-zero status 3\ncapstan-bench-time wall=12.50 user=3.10 sys=0.90 maxrss_kb=98304 exit=3\n');
    assert.deepEqual(r, { wallS: 12.5, userS: 3.1, sysS: 0.9, maxRssKb: 98304, exitCode: 3 });
  });

  it('notes a signal, and refuses reports that are missing or cut short', () => {
    assert.equal(parseGnuTime('Command terminated by signal 9\ncapstan-bench-time wall=1.00 user=0.00 sys=0.00 maxrss_kb=1612 exit=0\n')?.signal, 9);
    assert.equal(parseGnuTime(''), undefined);
    assert.equal(parseGnuTime('capstan-bench-time wall=1.00 user=0.10'), undefined);
  });
});

describe('tool output', () => {
  it('reads the PLAY RECAP of ansible-playbook', () => {
    const out = 'TASK [x] ***\nok: [node1]\n\nPLAY RECAP *****\nnode1                      : ok=22   changed=3    unreachable=0    failed=0    skipped=1    rescued=0    ignored=0   \n' +
      'node2                      : ok=21   changed=0    unreachable=1    failed=0    skipped=1    rescued=0    ignored=0\n';
    const recap = parseAnsibleRecap(out);
    assert.deepEqual(Object.keys(recap), ['node1', 'node2']);
    assert.equal(recap.node1?.changed, 3);
    assert.equal(recap.node2?.unreachable, 1);
  });

  it('selects the Ansible configuration through the environment only', () => {
    const base = { forks: 20, config: '/x/ansible.cfg', controlDir: '/tmp/cp', strategyDir: '/usr/lib/python3/dist-packages/ansible_mitogen/plugins/strategy' };
    const pipelining = ansibleEnv('ansible-pipelining', base);
    assert.equal(pipelining.ANSIBLE_FORKS, '20');
    assert.equal(pipelining.ANSIBLE_PIPELINING, 'True');
    assert.equal(pipelining.ANSIBLE_STRATEGY, undefined);
    const mitogen = ansibleEnv('ansible-mitogen', base);
    assert.equal(mitogen.ANSIBLE_STRATEGY, 'mitogen_linear');
    assert.equal(mitogen.ANSIBLE_STRATEGY_PLUGINS, base.strategyDir);
    assert.equal(mitogen.ANSIBLE_CONFIG, '/x/ansible.cfg');
    assert.throws(() => ansibleEnv('ansible-mitogen', { ...base, strategyDir: undefined }));
  });

  it('reads Capstan\'s run.end recap and its failures from the --json stream', () => {
    const lines = [
      '{"v":1,"type":"run.start"}',
      '{"v":1,"type":"host.step","host":"node2","step":"09 render haproxy config","result":{"status":"failed","msg":"validate failed\\nmore"}}',
      'not json',
      JSON.stringify({ v: 1, type: 'run.end', recap: {
        hosts: { node1: { ok: 20, changed: 2, failed: 0, skipped: 1, unreachable: 0, ignored: 0 }, node2: { ok: 8, changed: 1, failed: 1, skipped: 0, unreachable: 0, ignored: 0 } },
        exitCode: 2, transport: { node1: { roundTrips: 2, connections: 1 }, node2: { roundTrips: 5, connections: 1 } },
      } }),
    ].join('\n');
    const events = parseCapstanEvents(lines);
    assert.deepEqual(events.failures, ['node2: 09 render haproxy config: validate failed']);
    assert.deepEqual(recapNumbers(events.recap!), { changed: 3, roundTripsPerHost: 3.5, hosts: 2 });
  });
});

describe('options', () => {
  it('has the issue\'s defaults, resolved against the repository', () => {
    const o = parseBenchArgs([], '/work/main');
    assert.deepEqual(o.nodes, [1, 5, 20, 50]);
    assert.equal(o.runs, 3);
    assert.deepEqual(o.phases, ['cold', 'warm', 'check']);
    assert.deepEqual(o.tools, ['capstan', 'ansible-pipelining', 'ansible-mitogen']);
    assert.equal(o.capstanPlaybook, '/work/main/bench/workload/site.ts');
    assert.equal(o.ansiblePlaybook, '/work/shared/bench/ansible/site.yml');
    assert.equal(o.ansibleConfig, '/work/shared/bench/ansible/ansible.cfg');
    assert.equal(o.outDir, '/work/main/bench/results');
  });

  it('--tiny: two nodes, one run, all phases, Capstan and one Ansible configuration', () => {
    const o = parseBenchArgs(['--tiny'], '/r');
    assert.deepEqual([o.nodes, o.runs, o.phases.length, o.tools], [[2], 1, 3, ['capstan', 'ansible-pipelining']]);
  });

  it('sorts and deduplicates lists, keeps the canonical order, rejects unknown values', () => {
    const o = parseBenchArgs(['--nodes', '20,1,5,5', '--phases', 'check,cold', '--tools', 'ansible-mitogen,capstan'], '/r');
    assert.deepEqual(o.nodes, [1, 5, 20]);
    assert.deepEqual(o.phases, ['cold', 'check']);
    assert.deepEqual(o.tools, ['capstan', 'ansible-mitogen']);
    assert.throws(() => parseBenchArgs(['--tools', 'chef'], '/r'), /unknown chef/);
    assert.throws(() => parseBenchArgs(['--runs', '0'], '/r'), /at least 1/);
    assert.throws(() => parseBenchArgs(['--bogus'], '/r'));
  });

  it('converges the shared warm/check nodes (untimed) with 20 forks unless told otherwise', () => {
    assert.equal(parseBenchArgs([], '/r').convergeForks, 20);
    assert.equal(parseBenchArgs(['--converge-forks', '50'], '/r').convergeForks, 50);
    assert.throws(() => parseBenchArgs(['--converge-forks', '0'], '/r'), /at least 1/);
  });

  it('clones one converged node for warm/check sets from N=50 (--tiny: from its N=2), or never with --clone-from 0', () => {
    const o = parseBenchArgs([], '/r');
    assert.deepEqual([1, 20, 49, 50, 200].map((n) => clonedAt(o, n)), [false, false, false, true, true]);
    assert.equal(clonedAt(parseBenchArgs(['--tiny'], '/r'), 2), true);
    const never = parseBenchArgs(['--clone-from', '0'], '/r');
    assert.deepEqual([1, 200].map((n) => clonedAt(never, n)), [false, false]);
    assert.equal(clonedAt(parseBenchArgs(['--clone-from', '100'], '/r'), 99), false);
    assert.throws(() => parseBenchArgs(['--clone-from', 'some'], '/r'), /whole number \(0 or more\)/);
  });

  it('leaves Ansible out above --ansible-max-nodes', () => {
    const o = parseBenchArgs([], '/r');
    assert.deepEqual(toolsAt(o, 20), ['capstan', 'ansible-pipelining', 'ansible-mitogen']);
    assert.deepEqual(toolsAt(o, 50), ['capstan']);
  });
});

describe('end state', () => {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const capture = (conf: string, secret: string, stamp: string) => [
    'F\t/etc/benchapp\tdirectory 750 root:benchapp',
    `C\t/etc/benchapp/app.conf\t${b64(conf)}`,
    `C\t/etc/benchapp/secret\t${b64(secret)}`,
    `C\t/var/lib/benchapp/.initialized\t${b64(stamp)}`,
    'S\tbenchapp\tactive enabled',
  ].join('\n');

  it('normalises the node address, the secret and timestamps', () => {
    const a = parseEndState(capture('APP_ADDR=10.213.4.2\n', 'abc=\n', '2025-11-26T10:00:00Z\n'), { address: '10.213.4.2' });
    const b = parseEndState(capture('APP_ADDR=10.213.9.2\n', 'xyz=\n', '2025-11-26T10:05:09Z\n'), { address: '10.213.9.2' });
    assert.equal(a.get('content /etc/benchapp/app.conf'), 'APP_ADDR={node address}\n');
    assert.equal(a.get('service benchapp'), 'active enabled');
    assert.deepEqual(diffEndStates(a, b), []);
    assert.equal(normaliseContent('/etc/benchapp/secret', 'abc=\n', ''), '<generated secret, 5 bytes>');
  });

  it('reports what differs, and merges the same difference seen on several nodes', () => {
    const ref = new Map([['path /opt/benchapp', 'directory 755 root:root'], ['content /etc/a', 'NODE=node1\nX=1\n']]);
    const other = new Map([['path /opt/benchapp', 'directory 755 root:benchapp'], ['content /etc/a', 'NODE=node1\nX=2\n']]);
    const d = diffEndStates(ref, other);
    assert.deepEqual(d.map((x) => x.key), ['content /etc/a', 'path /opt/benchapp']);
    assert.equal(describeDifference(d[0]!), '- X=1\n+ X=2');
    const ref2 = new Map([['content /etc/a', 'NODE=node2\nX=1\n']]);
    const other2 = new Map([['content /etc/a', 'NODE=node2\nX=2\n']]);
    const tally = new DiffTally();
    tally.add('node1', d);
    tally.add('node2', diffEndStates(ref2, other2));
    tally.add('node3', []);
    const s = tally.summary();
    assert.equal(s.compared, 3);
    assert.equal(s.identical, 1);
    assert.deepEqual(s.differences.map((x) => [x.key, x.seen]), [['content /etc/a', ['node1', 'node2']], ['path /opt/benchapp', ['node1']]]);
  });
});

describe('helpers', () => {
  it('indexes a flat apt repository: Packages, Packages.gz and a Release with checksums', () => {
    const packages = Buffer.from('Package: curl\nVersion: 7.88.1-10\n\nPackage: haproxy\nVersion: 2.6.12-1\n');
    const files = indexFiles(packages, new Date('2025-11-26T00:00:00Z'));
    assert.deepEqual(files.map((f) => f.name), ['Packages', 'Packages.gz', 'Release']);
    assert.deepEqual(gunzipSync(files[1]!.content), packages);
    const release = files[2]!.content.toString();
    assert.match(release, /^SHA256:\n [0-9a-f]{64} +\d+ Packages\n [0-9a-f]{64} +\d+ Packages.gz\n/m);
    assert.match(releaseText([], new Date(0)), /Date: Thu, 01 Jan 1970/);
    assert.deepEqual(listPackages(packages.toString()), ['curl 7.88.1-10', 'haproxy 2.6.12-1']);
  });

  it('reads CPU ticks and peak memory of a leftover process from /proc', () => {
    assert.deepEqual(parseProcStat('4242 (ssh: /tmp/x [mux]) S 1 4242 4242 0 -1 4194560 820 0 0 0 21 10 0 0 20 0 1 0 9173'), { utimeTicks: 21, stimeTicks: 10 });
    assert.equal(parseVmHwm('Name:\tssh\nVmHWM:\t    7420 kB\n'), 7420);
  });

  it('builds the floor: twenty probes, every host in parallel, failure when any host fails', () => {
    assert.equal(FLOOR_PROBES.length, 20);
    const script = floorScript([['ssh', 'root@10.0.0.2', 'echo a; echo b'], ['ssh', 'root@10.0.0.3', 'x']]);
    assert.match(script, /^ssh root@10\.0\.0\.2 'echo a; echo b' <\/dev\/null & p0=\$!$/m);
    assert.match(script, /wait \$p1 \|\| fail=1\nexit \$fail\n$/);
  });
});

describe('tables and analysis', () => {
  it('renders Markdown tables and numbers', () => {
    assert.equal(markdownTable(['a', 'b|c'], [['1', 'x\ny']]), '| a | b\\|c |\n|---|---|\n| 1 | x<br>y |\n');
    assert.equal(formatNumber(123.4), '123');
    assert.equal(formatNumber(12.34), '12.3');
    assert.equal(formatNumber(0.3217), '0.322');
    assert.equal(formatSummary({ median: 12.34, min: 11.9, max: 13.01, count: 3 }), '12.3 (11.9–13.0)');
    assert.equal(formatSummary({ median: 2, min: 2, max: 2, count: 1 }), '2.00');
    assert.equal(formatRatio({ median: 4.56, min: 4.1, max: 15, count: 3 }), '4.6× (4.1–15)');
  });

  const report = (ms: Measurement[]): BenchReport => ({
    tiny: false, startedAt: '2025-11-26T10:00:00.000Z', finishedAt: '2025-11-26T10:30:00.000Z', command: 'bench/run.ts',
    options: { ...parseBenchArgs(['--nodes', '5', '--tools', 'capstan,ansible-pipelining'], '/r') },
    machine: { cores: 2, cpuModel: 'x', memoryGiB: 24, kernel: '6.1', os: 'Debian' },
    versions: { node: 'v20', capstan: 'abc', ansibleCore: '2.14', mitogen: '0.3.3', openssh: 'OpenSSH_9.2', gnuTime: '1.9', docker: '20.10', nodeImage: 'capstan-node:x' },
    repo: { dir: '/c', packages: [], filesServed: 0 }, logsDir: '/tmp/l', measurements: ms, settles: [], endState: [
      { reference: 'capstan', tool: 'ansible-pipelining', compared: 5, identical: 5, differences: [] },
    ], problems: [],
  });
  const ms = [
    m('capstan', 'warm', 1, 1.0, { changed: 0, roundTripsPerHost: 2 }), m('ansible-pipelining', 'warm', 1, 10, { changed: 0 }), m('floor', 'warm', 1, 0.25),
    m('capstan', 'warm', 2, 1.2, { changed: 0, roundTripsPerHost: 2 }), m('ansible-pipelining', 'warm', 2, 9, { changed: 0 }), m('floor', 'warm', 2, 0.3),
    m('capstan', 'warm', 3, 1.1, { changed: 0, roundTripsPerHost: 2 }), m('ansible-pipelining', 'warm', 3, 11, { changed: 0 }), m('floor', 'warm', 3, 0.2),
  ];

  it('puts medians, ranges, the floor and paired ratios in the wall-time table', () => {
    const rows = wallTable(report(ms)).trim().split('\n');
    assert.equal(rows[0], '| N | phase | capstan | ansible-pipelining | floor | ansible-pipelining / capstan | capstan / floor |');
    assert.equal(rows[2], '| 5 | warm | 1.10 (1.00–1.20) | 10.0 (9.00–11.0) | 0.250 (0.200–0.300) | 10× (7.5–10) | 4.4× |');
    assert.match(reportedTable(report(ms)), /\| 5 \| warm \| 2 \(2–2\) \| 0, 0, 0 \| 0, 0, 0 \|/);
  });

  it('fills the analysis from the numbers and judges the run', () => {
    const lines = analysisLines(report(ms));
    assert.ok(lines.some((l) => l.startsWith('ansible-pipelining took 10× Capstan\'s wall time at N=5 warm')), lines.join('\n'));
    assert.ok(lines.some((l) => l.startsWith('Furthest from the floor: N=5 warm, where Capstan takes 4.4× the floor')), lines.join('\n'));
    assert.ok(allGood(report(ms)));
    const failed = [...ms, m('capstan', 'check', 1, 1, { error: 'exit code 2: boom' })];
    assert.equal(allGood(report(failed)), false);
    assert.ok(analysisLines(report(failed)).some((l) => l.startsWith('1 of 10 measured commands failed')));
    assert.equal(allGood(report([...ms, m('capstan', 'check', 1, 1, { changed: 3 })])), false);
  });

  it('rewrites one set of files as the run goes, marked incomplete until the end', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bench-results-'));
    try {
      const base = await resultsBase(report(ms), dir);
      assert.equal(base, join(dir, '2025-11-26'));
      const partial = { ...report(ms), incomplete: 'written after N=5; N=100 still to run' };
      assert.equal(allGood(partial), false);
      assert.match(renderMarkdown(partial), /^\*\*Incomplete: written after N=5; N=100 still to run\.\*\*$/m);
      await writeResults(partial, dir, base);
      await writeResults(report(ms), dir, base);
      assert.deepEqual((await readdir(dir)).sort(), ['2025-11-26.json', '2025-11-26.md', '2025-11-26.svg']);
      assert.doesNotMatch(await readFile(`${base}.md`, 'utf8'), /Incomplete/);
      assert.equal(await resultsBase(report(ms), dir), join(dir, '2025-11-26-2'), 'a later run takes the next free name');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
