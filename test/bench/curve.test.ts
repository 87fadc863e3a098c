/**
 * The cost curve: points become an SVG with axes, tick labels, a title and axis labels, and
 * one line per series placed at the right pixels; the benchmark's warm medians become one
 * series per tool and one for the floor.
 *
 *   node --import tsx --test test/bench/curve.test.ts
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { curveCharts, curveSeries, curveSvg } from '../../bench/lib/curve.ts';
import { axis, chartGroup, domain, svgDocument, tickLabel, type Chart } from '../../bench/lib/svg-plot.ts';
import type { Measurement, Phase, Subject } from '../../bench/lib/types.ts';

describe('axes', () => {
  it('maps values linearly, and logarithmically, onto pixels (y runs downwards)', () => {
    const x = axis([0, 100], 'linear', [50, 450]);
    assert.equal(x.at(0), 50);
    assert.equal(x.at(25), 150);
    assert.equal(x.at(100), 450);
    const lx = axis([1, 100], 'log', [0, 200]);
    assert.equal(lx.at(10), 100);
    assert.equal(lx.at(100), 200);
    const y = axis([0, 10], 'linear', [300, 100]);
    assert.equal(y.at(10), 100);
    assert.equal(y.at(5), 200);
  });

  it('ticks a log axis at 1, 2 and 5 times powers of ten, a linear one at round steps', () => {
    assert.deepEqual(axis([1, 200], 'log', [0, 1]).ticks, [1, 2, 5, 10, 20, 50, 100, 200]);
    assert.deepEqual(axis([0, 10], 'linear', [0, 1]).ticks, [0, 2, 4, 6, 8, 10]);
  });

  it('widens a log domain to the enclosing 1/2/5 steps and starts a linear one at zero', () => {
    assert.deepEqual(domain([1, 5, 20, 100, 200], 'log'), [1, 200]);
    assert.deepEqual(domain([0.13, 7.5, 131], 'log'), [0.1, 200]);
    assert.deepEqual(domain([3, 8], 'linear'), [0, 8.4]);
    assert.deepEqual(domain([], 'log'), [1, 10]);
  });

  it('writes short tick labels', () => {
    assert.equal(tickLabel(0.1), '0.1');
    assert.equal(tickLabel(200), '200');
    assert.equal(tickLabel(2000), '2k');
  });
});

describe('the chart', () => {
  const chart: Chart = {
    title: 'Warm <run>', xLabel: 'hosts', yLabel: 'seconds', xScale: 'linear', yScale: 'linear',
    series: [{ name: 'capstan', points: [{ x: 10, y: 2 }, { x: 0, y: 0 }] }, { name: 'floor', points: [{ x: 10, y: 1 }], dashed: true }],
  };

  it('draws a title, axis labels, tick labels and a legend entry per series, escaped', () => {
    const svg = chartGroup(chart);
    assert.match(svg, />Warm &lt;run&gt;<\/text>/);
    assert.match(svg, />hosts<\/text>/);
    assert.match(svg, />seconds<\/text>/);
    assert.match(svg, />capstan<\/text>/);
    assert.match(svg, />floor<\/text>/);
    // x from 0 to 10.5 ticks every 5; y from 0 to 2.1 every 0.5
    for (const tick of ['0', '5', '10', '0.5', '1', '1.5', '2']) assert.match(svg, new RegExp(`>${tick}</text>`));
    assert.doesNotMatch(svg, />2\.5<\/text>/);
  });

  it('places every point at its pixel, in order of x, the dashed series dashed', () => {
    // The panel's plot area: x from 64 to 464 for 0..10.5, y from 288 to 36 for 0..2.1.
    const svg = chartGroup(chart);
    const xa = axis([0, 10.5], 'linear', [64, 464]);
    const ya = axis([0, 2.1], 'linear', [288, 36]);
    const line = /<polyline [^>]*points="([^"]+)"/.exec(svg)?.[1];
    assert.equal(line, `${xa.at(0).toFixed(1)},${ya.at(0).toFixed(1)} ${xa.at(10).toFixed(1)},${ya.at(2).toFixed(1)}`);
    assert.match(svg, new RegExp(`<circle cx="${xa.at(10).toFixed(1)}" cy="${ya.at(1).toFixed(1)}"`));
    assert.match(svg, /<line [^>]*stroke-dasharray="5 3"\/>/);
  });

  it('puts the charts side by side in one document', () => {
    const doc = svgDocument([chart, chart]);
    assert.match(doc, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="960" height="340"/);
    assert.equal(doc.match(/<g class="chart">/g)?.length, 2);
    assert.match(doc, /<\/svg>\n$/);
  });
});

function m(subject: Subject, phase: Phase, n: number, run: number, wallS: number, nodeCpuPerHostS?: number): Measurement {
  return { n, phase, subject, run, wallS, cpuS: 1, maxRssKb: 1, exitCode: 0, timedOut: false, ...(nodeCpuPerHostS !== undefined ? { nodeCpuPerHostS } : {}) };
}

describe('the benchmark\'s curve', () => {
  const ms = [
    m('capstan', 'warm', 20, 1, 7), m('capstan', 'warm', 20, 2, 9), m('capstan', 'warm', 20, 3, 8, 0.4),
    m('capstan', 'check', 20, 1, 99), m('capstan', 'warm', 100, 1, 30, 0.3),
    m('ansible-mitogen', 'warm', 20, 1, 130, 2.5), { ...m('ansible-mitogen', 'warm', 100, 1, 900), error: 'timed out' },
    m('floor', 'warm', 20, 1, 2.7, 0.13), m('floor', 'warm', 100, 1, 12, 0.12),
  ];

  it('takes the median of the successful warm runs at every N, per subject', () => {
    assert.deepEqual(curveSeries(ms, 'capstan', (x) => x.wallS), { name: 'capstan', points: [{ x: 20, y: 8 }, { x: 100, y: 30 }] });
    assert.deepEqual(curveSeries(ms, 'ansible-mitogen', (x) => x.wallS).points, [{ x: 20, y: 130 }]);
    assert.deepEqual(curveSeries(ms, 'floor', (x) => x.nodeCpuPerHostS), { name: 'floor', points: [{ x: 20, y: 0.13 }, { x: 100, y: 0.12 }], dashed: true });
  });

  it('draws wall time and node CPU per host, leaving out subjects with no point', () => {
    const [wall, cpu] = curveCharts(ms);
    assert.deepEqual(wall?.series.map((s) => s.name), ['capstan', 'ansible-mitogen', 'floor']);
    assert.deepEqual(cpu?.series.map((s) => s.name), ['capstan', 'ansible-mitogen', 'floor']);
    assert.match(curveSvg(ms) ?? '', /Warm run: node CPU per host/);
    assert.equal(curveSvg([m('capstan', 'cold', 5, 1, 3)]), undefined);
  });
});
