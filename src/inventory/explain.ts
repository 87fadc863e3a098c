/**
 * Why a host's variable has the value it has: every layer that set it, lowest precedence
 * first, and the one that wins (`capstan explain HOST VAR`).
 *
 *   const e = explainVar(inv, 'web1', 'http_port', { extraVars: { label: 'extra vars (-e)', vars: {} } });
 *   e.value;                     // 8080
 *   e.layers.map((l) => [l.label, l.value, l.wins]);
 *   // [['inventory group web', 80, false], ['group_vars/web', 8080, true]]
 *   formatExplanation(e);
 *   // web1: http_port = 8080
 *   //   1. inventory group web   80     hosts.yml:9:9 (key all.children.web.vars.http_port)
 *   //   2. group_vars/web        8080   group_vars/web.yml:1:1 (key http_port)   <- wins
 */
import { relative } from 'node:path';
import { formatLocation } from '../errors.ts';
import { printable } from './output.ts';
import { nearest } from './suggest.ts';
import type { Inventory, InventoryWarning } from './types.ts';
import { hostVars } from './vars.ts';
import type { ExtraLayers, VarSource } from './vars.ts';

export interface ExplainedLayer extends VarSource {
  wins: boolean;
}

export interface VarExplanation {
  host: string;
  variable: string;
  defined: boolean;
  value?: unknown;
  /** Every layer that set the variable, lowest precedence first. */
  layers: ExplainedLayer[];
  /** The host's groups in the order their variables apply. */
  groups: string[];
  /** Jinja warnings about this variable on this host's layers. */
  warnings: InventoryWarning[];
  /** A defined variable with a close name, when this one is not defined. */
  suggestion?: string;
}

/** Explains one variable of one host. An unknown host is a ConfigError; an unknown variable is `defined: false`. */
export function explainVar(inv: Inventory, host: string, variable: string, extraLayers?: ExtraLayers): VarExplanation {
  const hv = hostVars(inv, host, extraLayers);
  const resolved = hv.provenance.get(variable);
  const base = { host, variable, groups: hv.groups };
  if (!resolved) {
    const suggestion = nearest(variable, hv.provenance.keys());
    return { ...base, defined: false, layers: [], warnings: [], ...(suggestion ? { suggestion } : {}) };
  }
  const layers = resolved.sources.map((s, i) => ({ ...s, wins: i === resolved.sources.length - 1 }));
  const files = new Set(layers.map((l) => `${l.file}:${l.line}`));
  const warnings = inv.warnings.filter((w) => w.variable === variable && files.has(`${w.file}:${w.line}`));
  return { ...base, defined: true, value: resolved.value, layers, warnings };
}

/** Human-readable explanation, without the final newline; values are masked like every other output. */
export function formatExplanation(e: VarExplanation, opts: { cwd?: string } = {}): string {
  const show = (v: unknown) => JSON.stringify(printable(v)) ?? 'undefined';
  if (!e.defined) return `${e.host}: ${e.variable} is not defined${e.suggestion ? ` (did you mean ${e.suggestion}?)` : ''}`;
  const rows = e.layers.map((l, i) => {
    const file = l.file && !l.file.startsWith('(') ? relative(opts.cwd ?? process.cwd(), l.file) : l.file;
    const where = formatLocation({ ...l, file });
    return [`${i + 1}. ${l.label}`, show(l.value), where, `${l.wins ? '<- wins' : ''}${l.jinja ? ' (Jinja text, not evaluated)' : ''}`];
  });
  const widths = [0, 1, 2].map((c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  const lines = rows.map((r) => `  ${r.map((cell, c) => (c < 3 ? cell.padEnd(widths[c] ?? 0) : cell)).join('   ')}`.trimEnd());
  return `${e.host}: ${e.variable} = ${show(e.value)}\n${lines.join('\n')}`;
}
