/**
 * Renders `/etc/rancher/k3s/config.yaml`: keys sorted, lists in the given order without
 * duplicates, empty values left out, so equal inputs give byte-equal files (and no restart).
 *
 *   renderK3sConfig({ 'write-kubeconfig-mode': '0600', 'tls-san': ['10.0.0.5'] }, { 'node-label': ['a=b'] })
 *   // "node-label:\n  - a=b\ntls-san:\n  - 10.0.0.5\nwrite-kubeconfig-mode: \"0600\"\n"
 *
 * Keys map one to one to K3s command-line flags; `extra` is merged last and wins.
 */
import { stringify } from 'yaml';

export type ConfigValue = string | number | boolean | readonly string[] | undefined | null;

export function renderK3sConfig(base: Readonly<Record<string, ConfigValue>>, extra: Readonly<Record<string, unknown>> = {}): string {
  const merged: Record<string, unknown> = {};
  for (const [k, v] of Object.entries({ ...base, ...extra })) {
    const clean = normalise(v);
    if (clean !== undefined) merged[k] = clean;
  }
  const sorted = Object.fromEntries(Object.keys(merged).sort().map((k) => [k, merged[k]]));
  if (Object.keys(sorted).length === 0) return '';
  return stringify(sorted, { lineWidth: 0, sortMapEntries: true, defaultStringType: 'PLAIN', version: '1.2' });
}

function normalise(v: unknown): unknown {
  if (v === undefined || v === null) return undefined;
  if (Array.isArray(v)) {
    const list = [...new Set(v.map((x) => String(x)))];
    return list.length ? list : undefined;
  }
  if (typeof v === 'string') return v === '' ? undefined : v;
  return v;
}
