/**
 * The gather profile's marks: an instrumented batch prints the same sections as before, and
 * its marks give each section's processes, CPU and wall time.
 *
 *   node --import tsx --test test/bench/gather-profile.test.ts
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { buildBatch, parseBatch } from '../../src/engine/batch.ts';
import { instrumentBatch, parseMarks, sectionCosts, sectionLabel } from '../../bench/profile/instrument.ts';

const sections = [
  { id: 'none', script: 'echo builtins only' },
  { id: 'three', script: '/bin/true; /bin/true; x=$(/bin/echo hi); echo "$x"' },
  { id: 'gate', script: 'exit 3', gate: true },
  { id: 'never', script: 'echo not run' },
];

describe('gather profile marks', () => {
  it('leave the batch output as it was and count what each section started', () => {
    const batch = buildBatch(sections);
    const { script, sections: bodies } = instrumentBatch(batch.script);
    assert.deepEqual(bodies, sections.map((s) => s.script));
    const plain = spawnSync('sh', ['-c', batch.script], { encoding: 'utf8' });
    const marked = spawnSync('sh', ['-c', script], { encoding: 'utf8' });
    assert.deepEqual(parseBatch(marked.stdout, batch.marker, sections), parseBatch(plain.stdout, batch.marker, sections));
    const costs = sectionCosts(parseMarks(marked.stderr));
    assert.deepEqual(costs.map((c) => c.index), [0, 1, 2], 'the gate stopped the batch: the exit mark closes its section');
    // the section's subshell, two programs, and the command substitution running a third
    assert.ok((costs[1]?.processes ?? 0) >= 4, JSON.stringify(costs));
    assert.ok(costs.every((c) => c.cpuMs >= 0 && c.wallMs >= 0));
  });

  it('reads marks with either clock, and refuses a mark without times', () => {
    const stderr = ['@@capstan-profile 0 100.5ms 40', '0m0.010000s 0m0.000000s', '0m0.020000s 0m0.010000s',
      'noise', '@@capstan-profile end 1.2s 43', '0m0.010000s 0m0.000000s', '0m1.030000s 0m0.010000s'].join('\n');
    assert.deepEqual(sectionCosts(parseMarks(stderr)), [{ index: 0, processes: 3, cpuMs: 1010, wallMs: 1099.5 }]);
    assert.throws(() => parseMarks('@@capstan-profile 0 1.0s 4\n'), /no times/);
    assert.throws(() => instrumentBatch('echo no batch'), /not a batch/);
  });

  it('labels a section by its first telling line', () => {
    assert.equal(sectionLabel('if ! command -v systemctl >/dev/null; then x; fi\nout=$(systemctl show -- a)'), 'out=$(systemctl show -- a)');
    assert.equal(sectionLabel('x'.repeat(80), 10), `${'x'.repeat(9)}…`);
  });
});
