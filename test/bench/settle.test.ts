/**
 * The harness waits for the nodes to be quiet before each measured command, so that the
 * previous command's teardown is not counted in the next one.
 *
 *   node --import tsx --test test/bench/settle.test.ts
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { NodesCpu } from '../../bench/lib/node-cpu.ts';
import { isQuiet, nodesQuiet } from '../../bench/lib/settle.ts';

const at = (totalS: number): NodesCpu => ({ totalS, unread: [] });

describe('quiet nodes before a measurement', () => {
  it('judges quiet by CPU per node per second against a share of one core', () => {
    assert.equal(isQuiet(at(10), at(10.02), 20, 0.5, 0.01), true, '0.2 % of a core each');
    assert.equal(isQuiet(at(10), at(11), 20, 0.5, 0.01), false, '10 % of a core each');
    assert.equal(isQuiet(at(10), at(10), 0, 0.5, 0.01), true, 'no nodes');
    assert.equal(isQuiet(at(10), { totalS: 11, unread: ['x'] }, 20, 0.5, 0.01), true, 'an unreadable counter cannot hold the run up');
  });

  it('waits while the last command\'s teardown keeps the nodes busy, then goes ahead', async () => {
    const readings = [0, 2, 4, 4.00001, 4.00002].map(at);
    let reads = 0;
    const s = await nodesQuiet(['a', 'b'], { windowMs: 5, share: 0.01, maxMs: 10_000 }, async () => readings[Math.min(reads++, readings.length - 1)]!);
    assert.equal(s.quiet, true);
    assert.equal(reads, 4, 'two busy windows, then a quiet one');
  });

  it('stops waiting after maxMs and says the nodes were still busy', async () => {
    let total = 0;
    const s = await nodesQuiet(['a'], { windowMs: 5, share: 0.01, maxMs: 30 }, async () => at((total += 1)));
    assert.equal(s.quiet, false);
    assert.ok(s.waitedMs >= 30);
  });
});
