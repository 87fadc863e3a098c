import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decide } from '../../src/advise/decide.ts';
import type { AdviceAction, NodeReport, Pressure, StageNumber } from '../../src/advise/types.ts';
import { agent, bare, down, server } from './fixtures.ts';

interface Case {
  name: string;
  nodes: NodeReport[];
  sla?: number;
  current: StageNumber | null;
  target: StageNumber | null;
  action: AdviceAction;
  playbooks: string[];
  pressure?: Record<string, Pressure>;
  /** Every pattern must match some reason. */
  reasons?: RegExp[];
  notes?: RegExp[];
  /** No note may match these. */
  notNotes?: RegExp[];
  partial?: boolean;
}

const S1 = 'playbooks/stage1-single-node.ts';
const S3 = 'playbooks/stage3-multi-node.ts';
const S4 = 'playbooks/stage4-ha.ts';

const thresholds: Case[] = [
  { name: 'CPU 69.9% on a single node: comfortable, stay', nodes: [server('s1', { cpu: 69.9 })], current: 1, target: 1, action: 'stay', playbooks: [], pressure: { s1: 'ok' }, reasons: [/every K3s node is below 70% CPU, RAM and disk/] },
  { name: 'CPU 70.0%: no longer below 70%, watch but stay', nodes: [server('s1', { cpu: 70 })], current: 1, target: 1, action: 'stay', playbooks: [], pressure: { s1: 'watch' }, reasons: [/s1: CPU 70\.0% over 5 s is at or above 70%/] },
  { name: 'CPU 80.0% sustained: not above 80%, stay', nodes: [server('s1', { cpu: 80 })], current: 1, target: 1, action: 'stay', playbooks: [], pressure: { s1: 'watch' } },
  { name: 'CPU 80.1% sustained: above 80%, add agents (stage 3)', nodes: [server('s1', { cpu: 80.1 })], current: 1, target: 3, action: 'move', playbooks: [S3], pressure: { s1: 'hot' }, reasons: [/s1: CPU 80\.1% on average over 5 s \(above 80%\)/], notes: [/confirm it is sustained with --prometheus/] },
  { name: 'CPU spike to 99% over an average of 40%: not sustained, stay', nodes: [server('s1', { cpu: 40, peak: 99 })], current: 1, target: 1, action: 'stay', playbooks: [], pressure: { s1: 'watch' }, reasons: [/peaked at 99\.0% but averaged 40\.0%.*a spike, not sustained/] },
  { name: 'CPU 85% sustained with peaks to 95%: add agents', nodes: [server('s1', { cpu: 85, peak: 95 })], current: 1, target: 3, action: 'move', playbooks: [S3], pressure: { s1: 'hot' } },
  { name: 'RAM 69.9%: comfortable', nodes: [server('s1', { mem: 69.9 })], current: 1, target: 1, action: 'stay', playbooks: [], pressure: { s1: 'ok' } },
  { name: 'RAM 70.0%: no longer below 70%, watch', nodes: [server('s1', { mem: 70 })], current: 1, target: 1, action: 'stay', playbooks: [], pressure: { s1: 'watch' }, reasons: [/RAM 70\.0% used is at or above 70%/] },
  { name: 'disk 69.9%: comfortable', nodes: [server('s1', { disk: 69.9 })], current: 1, target: 1, action: 'stay', playbooks: [], pressure: { s1: 'ok' } },
  { name: 'disk 70.0%: watch, no move', nodes: [server('s1', { disk: 70 })], current: 1, target: 1, action: 'stay', playbooks: [], pressure: { s1: 'watch' }, reasons: [/disk \/ is 70\.0% full, at or above 70%/] },
  { name: 'RAM 90.0%: not above 90%, watch but stay', nodes: [server('s1', { mem: 90 })], current: 1, target: 1, action: 'stay', playbooks: [], pressure: { s1: 'watch' }, reasons: [/RAM 90\.0% used is at or above 70%/] },
  { name: 'RAM 90.1%: add agents', nodes: [server('s1', { mem: 90.1 })], current: 1, target: 3, action: 'move', playbooks: [S3], pressure: { s1: 'hot' }, reasons: [/s1: RAM 90\.1% used \(above 90%\)/] },
  { name: 'disk 92% full: a disk finding, no move (nodes do not fix a full disk)', nodes: [server('s1', { disk: 92 })], current: 1, target: 1, action: 'stay', playbooks: [], pressure: { s1: 'watch' }, reasons: [/disk \/ is 92\.0% full: grow the volume/] },
  { name: 'CPU 80.04%: above 80%, and the reason does not round it down to the line', nodes: [server('s1', { cpu: 80.04 })], current: 1, target: 3, action: 'move', playbooks: [S3], reasons: [/CPU 80\.04% on average over 5 s \(above 80%\)/] },
  { name: 'Prometheus 15-minute average of 81%: add agents, no sampling caveat', nodes: [server('s1', { cpu: 81, source: 'prometheus' })], current: 1, target: 3, action: 'move', playbooks: [S3], reasons: [/over 15m \(Prometheus\)/] },
];

const stages: Case[] = [
  { name: 'no K3s anywhere: install stage 1', nodes: [bare('s1', 'server'), bare('a1', 'agent')], current: 0, target: 1, action: 'install', playbooks: [S1], reasons: [/no K3s server was found/] },
  { name: 'a server with monitoring manifests is stage 2', nodes: [server('s1', { monitoring: true })], current: 2, target: 2, action: 'stay', playbooks: [], notNotes: [/alerts go nowhere/] },
  { name: 'a monitoring stack without alert receivers: alerts go nowhere', nodes: [server('s1', { monitoring: true, receivers: false })], current: 2, target: 2, action: 'stay', playbooks: [], notes: [/^alerts go nowhere: the monitoring stack has no alert receivers; set alerting\.receivers/] },
  { name: 'a server and an agent are stage 3', nodes: [server('s1'), agent('a1')], current: 3, target: 3, action: 'stay', playbooks: [], notes: [/no observability stack/] },
  { name: 'three servers on etcd are stage 4', nodes: [server('s1', { store: 'etcd' }), server('s2', { store: 'etcd' }), server('s3', { store: 'etcd' })], current: 4, target: 4, action: 'stay', playbooks: [], notNotes: [/off-site/] },
  { name: 'an HA cluster whose snapshots never leave it is flagged', nodes: ['s1', 's2', 's3'].map((n) => server(n, { store: 'etcd', offsite: [] })), current: 4, target: 4, action: 'stay', playbooks: [], notes: [/^HA cluster without off-site etcd snapshots: .*set etcd_s3 or snapshot_copy/] },
  { name: 'the copy timer on one server is off-site enough', nodes: [server('s1', { store: 'etcd', offsite: ['copy-timer'] }), server('s2', { store: 'etcd', offsite: [] }), server('s3', { store: 'etcd', offsite: [] })], current: 4, target: 4, action: 'stay', playbooks: [], notNotes: [/off-site/] },
  { name: 'two servers on etcd are not HA', nodes: [server('s1', { store: 'etcd' }), server('s2', { store: 'etcd' })], current: 3, target: 3, action: 'stay', playbooks: [], notes: [/etcd with 2 servers has no fault tolerance/] },
  { name: 'two servers on an external datastore are HA', nodes: [server('s1', { store: 'external' }), server('s2', { store: 'external' })], current: 4, target: 4, action: 'stay', playbooks: [] },
  { name: 'an agent declared but not installed is pending, and its load does not count', nodes: [server('s1', { cpu: 20 }), bare('a1', 'agent', { cpu: 99 })], current: 1, target: 1, action: 'stay', playbooks: [], notes: [/group agent lists a1 without a K3s agent installed: stage3-multi-node\.ts joins it/] },
];

const clusters: Case[] = [
  { name: 'stage 3 with a hot agent: add more agents with the stage 3 playbook', nodes: [server('s1', { cpu: 30 }), agent('a1', { cpu: 88 })], current: 3, target: 3, action: 'scale-out', playbooks: [S3], pressure: { s1: 'ok', a1: 'hot' }, notes: [/some nodes are hot while others are idle/] },
  { name: 'stage 4 with RAM pressure: add agents with the stage 4 playbook', nodes: [server('s1', { store: 'etcd', mem: 95 }), server('s2', { store: 'etcd' }), server('s3', { store: 'etcd' })], current: 4, target: 4, action: 'scale-out', playbooks: [S4] },
];

const sla: Case[] = [
  { name: 'SLA 99.9% on a single node: HA', nodes: [server('s1')], sla: 99.9, current: 1, target: 4, action: 'move', playbooks: [S4], reasons: [/uptime SLA of 99\.9% needs a control plane that survives losing a server/] },
  { name: 'SLA 99.9% on two etcd servers: no migration, join one more', nodes: [server('s1', { store: 'etcd' }), server('s2', { store: 'etcd' })], sla: 99.9, current: 3, target: 4, action: 'move', playbooks: [S4] },
  { name: 'SLA 99.89%: below the HA line, stay', nodes: [server('s1')], sla: 99.89, current: 1, target: 1, action: 'stay', playbooks: [], reasons: [/99\.89% is below 99\.9%: the roadmap does not call for HA/] },
  { name: 'no SLA: HA is not called for', nodes: [server('s1')], current: 1, target: 1, action: 'stay', playbooks: [], reasons: [/no uptime SLA was given/] },
  { name: 'SLA 99.95% on stage 4: covered', nodes: [server('s1', { store: 'etcd' }), server('s2', { store: 'etcd' }), server('s3', { store: 'etcd' })], sla: 99.95, current: 4, target: 4, action: 'stay', playbooks: [], reasons: [/99\.95% is covered: 3 servers on embedded etcd/] },
  { name: 'hot single node with an SLA: agents first, then HA', nodes: [server('s1', { cpu: 95 })], sla: 99.99, current: 1, target: 4, action: 'move', playbooks: [S3, S4] },
];

const partial: Case[] = [
  { name: 'the only server unreachable: stage unknown, no advice', nodes: [down('s1', 'server'), agent('a1')], current: null, target: null, action: 'unknown', playbooks: [], partial: true, reasons: [/advice is partial: s1 is unreachable; it rests on 1 of 2 hosts/, /no K3s server could be reached/] },
  { name: 'an agent unreachable, the server hot: advice on what was measured, marked partial', nodes: [server('s1', { cpu: 90 }), down('a1', 'agent')], current: 1, target: 3, action: 'move', playbooks: [S3], partial: true, pressure: { s1: 'hot', a1: 'unknown' } },
  { name: 'declared agents unreachable and no server installed: still stage 0', nodes: [bare('s1', 'server'), down('a1', 'agent')], current: 0, target: 1, action: 'install', playbooks: [S1], partial: true },
];

describe('decide: --limit', () => {
  it('agents measured without their server: the stage is unknown, not "install K3s"', () => {
    const a = decide([agent('a1')], { serversLeftOut: ['s1'] });
    assert.equal(a.current, null);
    assert.equal(a.action, 'unknown');
    assert.match(a.notes.join('\n'), /--limit leaves out the server s1/);
  });
  it('a hot agent measured alone still names its pressure', () => {
    assert.equal(decide([agent('a1', { cpu: 95 })], { serversLeftOut: ['s1'] }).nodes[0]?.pressure, 'hot');
  });
});

for (const [group, cases] of Object.entries({ thresholds, stages, clusters, sla, partial })) {
  describe(`decide: ${group}`, () => {
    for (const c of cases) {
      it(c.name, () => {
        const a = decide(c.nodes, c.sla !== undefined ? { uptimeSla: c.sla } : {});
        assert.equal(a.current, c.current, 'current stage');
        assert.equal(a.target, c.target, 'target stage');
        assert.equal(a.action, c.action, 'action');
        assert.deepEqual(a.plan.map((p) => p.playbook), c.playbooks, 'plan');
        assert.equal(a.partial, c.partial ?? false, 'partial');
        for (const [name, p] of Object.entries(c.pressure ?? {})) assert.equal(a.nodes.find((n) => n.name === name)?.pressure, p, `pressure of ${name}`);
        for (const r of c.reasons ?? []) assert.ok(a.reasons.some((x) => r.test(x)), `no reason matches ${r}:\n${a.reasons.join('\n')}`);
        for (const r of c.notes ?? []) assert.ok(a.notes.some((x) => r.test(x)), `no note matches ${r}:\n${a.notes.join('\n')}`);
        for (const r of c.notNotes ?? []) assert.ok(!a.notes.some((x) => r.test(x)), `a note matches ${r}:\n${a.notes.join('\n')}`);
      });
    }
  });
}

describe('decide: wording', () => {
  it('a Prometheus figure carries no short-sample caveat', () => {
    const a = decide([server('s1', { cpu: 81, source: 'prometheus' })]);
    assert.ok(!a.notes.some((n) => /sampled over SSH/.test(n)), a.notes.join('\n'));
  });
  it('the HA step says what it will do to this cluster', () => {
    assert.equal(decide([server('s1')], { uptimeSla: 99.9 }).plan[0]?.why, 'migrate from SQLite to embedded etcd, join servers until there are 3 (now 1), put HAProxy in front');
    const etcd = decide([server('s1', { store: 'etcd' }), server('s2', { store: 'etcd' })], { uptimeSla: 99.9 });
    assert.equal(etcd.plan[0]?.why, 'join servers until there are 3 (now 2), put HAProxy in front');
  });
  it('the first plan step says why, for the person running it', () => {
    const [step] = decide([server('s1', { cpu: 95 })]).plan;
    assert.match(step?.why ?? '', /add agents/);
  });
});
