/**
 * A small SVG line-chart writer: charts side by side in one document, each with axes, ticks,
 * axis labels, a legend and one line (with its points) per series. Axes are linear or
 * logarithmic; a log axis ticks at 1, 2 and 5 times the powers of ten.
 *
 *   const chart: Chart = { title: 'warm wall time', xLabel: 'hosts (N)', yLabel: 's', xScale: 'log', yScale: 'log',
 *     series: [{ name: 'capstan', points: [{ x: 1, y: 0.9 }, { x: 20, y: 7.5 }] }] };
 *   svgDocument([chart]);           // '<svg xmlns="http://www.w3.org/2000/svg" …'
 *   axis([1, 200], 'log', [60, 460]).at(20);   // the pixel of x = 20
 */

export interface Point {
  x: number;
  y: number;
}

export interface Series {
  name: string;
  points: Point[];
  /** A dashed line (e.g. for a reference such as the floor). */
  dashed?: boolean;
}

export type ScaleKind = 'linear' | 'log';

export interface Chart {
  title: string;
  xLabel: string;
  yLabel: string;
  xScale: ScaleKind;
  yScale: ScaleKind;
  series: Series[];
}

export interface Axis {
  /** The pixel of a value (values out of the domain are clamped to it). */
  at(value: number): number;
  ticks: number[];
}

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#555555', '#9467bd', '#ff7f0e'];
const PANEL = { width: 480, height: 340, left: 64, right: 16, top: 36, bottom: 52 };

function logTicks(lo: number, hi: number): number[] {
  const ticks: number[] = [];
  for (let p = Math.floor(Math.log10(lo)); p <= Math.ceil(Math.log10(hi)); p++) {
    for (const m of [1, 2, 5]) {
      const t = m * 10 ** p;
      if (t >= lo * 0.999 && t <= hi * 1.001) ticks.push(Number(t.toPrecision(6)));
    }
  }
  return ticks;
}

function linearTicks(lo: number, hi: number): number[] {
  const raw = (hi - lo) / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].find((m) => m * mag >= raw) ?? 10) * mag;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(6)));
  return ticks;
}

/** The domain an axis shows for these values: log axes widen to the nearest 1/2/5 step, linear ones start at 0. */
export function domain(values: number[], kind: ScaleKind): [number, number] {
  const xs = values.filter((v) => Number.isFinite(v) && (kind === 'linear' || v > 0));
  if (xs.length === 0) return kind === 'log' ? [1, 10] : [0, 1];
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  if (kind === 'linear') return [Math.min(0, lo), hi > Math.min(0, lo) ? hi * 1.05 : 1];
  const down = (v: number) => Math.max(...[1, 2, 5].map((m) => m * 10 ** Math.floor(Math.log10(v))).filter((t) => t <= v * 1.0001));
  const up = (v: number) => Math.min(...[1, 2, 5, 10].map((m) => m * 10 ** Math.floor(Math.log10(v))).filter((t) => t >= v * 0.9999));
  const [a, b] = [down(lo), up(hi)];
  return a < b ? [a, b] : [a, a * 10];
}

/** Maps a domain onto a pixel range (pixels may run downwards, as y does). */
export function axis(dom: [number, number], kind: ScaleKind, pixels: [number, number]): Axis {
  const f = kind === 'log' ? Math.log10 : (v: number) => v;
  const [d0, d1] = [f(dom[0]), f(dom[1])];
  const at = (value: number) => {
    const v = Math.min(Math.max(f(value), d0), d1);
    return pixels[0] + ((v - d0) / (d1 - d0)) * (pixels[1] - pixels[0]);
  };
  return { at, ticks: kind === 'log' ? logTicks(dom[0], dom[1]) : linearTicks(dom[0], dom[1]) };
}

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const px = (v: number) => v.toFixed(1);

/** A tick label: short, without trailing zeros. */
export function tickLabel(v: number): string {
  if (v >= 1000) return `${Number((v / 1000).toPrecision(3))}k`;
  return String(Number(v.toPrecision(3)));
}

function legend(series: Series[], x: number, y: number): string[] {
  return series.flatMap((s, i) => {
    const color = PALETTE[i % PALETTE.length];
    const yy = y + i * 16;
    return [`<line x1="${px(x)}" y1="${px(yy)}" x2="${px(x + 18)}" y2="${px(yy)}" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 3"' : ''}/>`,
      `<text x="${px(x + 22)}" y="${px(yy + 4)}" font-size="11">${esc(s.name)}</text>`];
  });
}

/** One chart as an SVG group, its top-left corner at (ox, oy). */
export function chartGroup(c: Chart, ox = 0, oy = 0): string {
  const all = c.series.flatMap((s) => s.points);
  const xa = axis(domain(all.map((p) => p.x), c.xScale), c.xScale, [ox + PANEL.left, ox + PANEL.width - PANEL.right]);
  const ya = axis(domain(all.map((p) => p.y), c.yScale), c.yScale, [oy + PANEL.height - PANEL.bottom, oy + PANEL.top]);
  const [bottom, top, left, right] = [oy + PANEL.height - PANEL.bottom, oy + PANEL.top, ox + PANEL.left, ox + PANEL.width - PANEL.right];
  const parts = [
    `<g class="chart">`,
    `<text x="${px(ox + PANEL.width / 2)}" y="${px(oy + 20)}" font-size="14" text-anchor="middle">${esc(c.title)}</text>`,
    `<line x1="${px(left)}" y1="${px(bottom)}" x2="${px(right)}" y2="${px(bottom)}" stroke="#000"/>`,
    `<line x1="${px(left)}" y1="${px(bottom)}" x2="${px(left)}" y2="${px(top)}" stroke="#000"/>`,
    ...xa.ticks.flatMap((t) => [`<line x1="${px(xa.at(t))}" y1="${px(bottom)}" x2="${px(xa.at(t))}" y2="${px(bottom + 4)}" stroke="#000"/>`,
      `<text x="${px(xa.at(t))}" y="${px(bottom + 16)}" font-size="10" text-anchor="middle">${tickLabel(t)}</text>`]),
    ...ya.ticks.flatMap((t) => [`<line x1="${px(left)}" y1="${px(ya.at(t))}" x2="${px(right)}" y2="${px(ya.at(t))}" stroke="#ddd"/>`,
      `<text x="${px(left - 6)}" y="${px(ya.at(t) + 3)}" font-size="10" text-anchor="end">${tickLabel(t)}</text>`]),
    `<text x="${px((left + right) / 2)}" y="${px(bottom + 36)}" font-size="11" text-anchor="middle">${esc(c.xLabel)}</text>`,
    `<text x="${px(ox + 14)}" y="${px((top + bottom) / 2)}" font-size="11" text-anchor="middle" transform="rotate(-90 ${px(ox + 14)} ${px((top + bottom) / 2)})">${esc(c.yLabel)}</text>`,
  ];
  c.series.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length];
    const pts = [...s.points].filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y)).sort((a, b) => a.x - b.x);
    const dash = s.dashed ? ' stroke-dasharray="5 3"' : '';
    if (pts.length > 1) parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2"${dash} points="${pts.map((p) => `${px(xa.at(p.x))},${px(ya.at(p.y))}`).join(' ')}"/>`);
    for (const p of pts) parts.push(`<circle cx="${px(xa.at(p.x))}" cy="${px(ya.at(p.y))}" r="3" fill="${color}"><title>${esc(s.name)}: N=${p.x}, ${p.y}</title></circle>`);
  });
  parts.push(...legend(c.series, left + 10, top + 8), '</g>');
  return parts.join('\n');
}

/** The charts side by side in one SVG document. */
export function svgDocument(charts: Chart[]): string {
  const width = PANEL.width * Math.max(1, charts.length);
  return [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${PANEL.height}" viewBox="0 0 ${width} ${PANEL.height}" font-family="sans-serif">`,
    `<rect width="${width}" height="${PANEL.height}" fill="#fff"/>`,
    ...charts.map((c, i) => chartGroup(c, i * PANEL.width, 0)),
    '</svg>', ''].join('\n');
}
