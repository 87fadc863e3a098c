/**
 * Markdown tables and number formats for the results file.
 *
 *   markdownTable(['N', 'phase'], [['1', 'cold']]);   // '| N | phase |\n|---|---|\n| 1 | cold |\n'
 *   formatSummary({ median: 12.34, min: 11.9, max: 13.01, count: 3 });   // '12.3 (11.9–13.0)'
 *   formatRatio({ median: 4.56, min: 4.1, max: 5, count: 3 });           // '4.6× (4.1–5.0)'
 */
import type { Summary } from './stats.ts';

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, '<br>');
}

export function markdownTable(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.map(escapeCell).join(' | ')} |`;
  return [line(header), `|${header.map(() => '---').join('|')}|`, ...rows.map(line)].join('\n') + '\n';
}

/** Seconds (or any quantity) with a precision that suits its size. */
export function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return '–';
  const abs = Math.abs(x);
  if (abs >= 100) return x.toFixed(0);
  if (abs >= 10) return x.toFixed(1);
  if (abs >= 1) return x.toFixed(2);
  return x.toFixed(3);
}

/** 'median (min–max)', or the median alone for a single run; '–' when there is nothing. */
export function formatSummary(s: Summary | undefined, format: (x: number) => string = formatNumber): string {
  if (!s) return '–';
  return s.count === 1 ? format(s.median) : `${format(s.median)} (${format(s.min)}–${format(s.max)})`;
}

export function formatRatio(s: Summary | undefined): string {
  const one = (x: number) => (Number.isFinite(x) ? x.toFixed(x >= 10 ? 0 : 1) : '–');
  if (!s) return '–';
  return s.count === 1 ? `${one(s.median)}×` : `${one(s.median)}× (${one(s.min)}–${one(s.max)})`;
}

export function formatMiB(kib: number): string {
  return Number.isFinite(kib) ? (kib / 1024).toFixed(0) : '–';
}
