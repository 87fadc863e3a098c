/**
 * Checks K3s config.yaml keys against the pinned release's flags (k3s-config-schema.ts) before
 * anything connects: K3s itself only logs "Unknown flag … found in config.yaml, skipping" for a
 * key it does not know, so a misspelt key would be silently ignored on a real cluster.
 *
 *   k3sConfigProblems('server', { 'etcd-snapshot-retntion': 10 })
 *   // [{ key: 'etcd-snapshot-retntion', message: 'unknown K3s server configuration key … did you mean "etcd-snapshot-retention"?' }]
 *   k3sConfigProblems('server', { 'etcd-snapshot-retention': 'five' })
 *   // [{ key: 'etcd-snapshot-retention', message: '… must be an integer (flag type int), got "five"' }]
 *
 * Values are judged as K3s parses them: a bool flag takes true/false (or a string strconv.ParseBool
 * reads), an int flag a whole number, a duration flag a Go duration ("5m", "90s"), a string flag
 * any scalar, a string-slice flag a scalar or a list of scalars. `key+` (K3s's append form) is the
 * key itself.
 */
import { nearest } from 'capstan';
import { K3S_CONFIG_KEYS, K3S_CONFIG_SOURCE, type K3sFlagType } from './k3s-config-schema.ts';

export type K3sConfigKind = 'server' | 'agent';

export interface K3sConfigProblem {
  key: string;
  message: string;
}

const GO_BOOL = new Set(['1', 't', 'T', 'TRUE', 'true', 'True', '0', 'f', 'F', 'FALSE', 'false', 'False']);
const GO_INT = /^[+-]?(0[xX][0-9a-fA-F]+|0[oO]?[0-7]*|[1-9][0-9]*)$/;
const GO_DURATION = /^[+-]?(0|((\d+(\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h))+)$/;

const isScalar = (v: unknown): v is string | number | boolean => ['string', 'number', 'boolean'].includes(typeof v);

const EXPECTED: Record<K3sFlagType, string> = {
  bool: 'true or false',
  int: 'an integer',
  duration: 'a duration such as "5m" or "90s"',
  string: 'a single value (not a list or mapping)',
  stringSlice: 'a value or a list of values',
};

/** Whether K3s would accept `value` for a flag of this type. */
export function k3sValueFits(type: K3sFlagType, value: unknown): boolean {
  switch (type) {
    case 'bool': return typeof value === 'boolean' || (typeof value === 'string' && GO_BOOL.has(value));
    case 'int': return (typeof value === 'number' && Number.isInteger(value)) || (typeof value === 'string' && GO_INT.test(value));
    case 'duration': return typeof value === 'string' && GO_DURATION.test(value);
    case 'string': return isScalar(value);
    case 'stringSlice': return isScalar(value) || (Array.isArray(value) && value.every(isScalar));
  }
}

function shown(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value !== null && typeof value === 'object') return 'a mapping';
  return JSON.stringify(value) ?? String(value);
}

/** Every problem K3s would have with these config.yaml keys; `unchecked` keys pass as they are. */
export function k3sConfigProblems(kind: K3sConfigKind, config: Readonly<Record<string, unknown>>, unchecked: readonly string[] = []): K3sConfigProblem[] {
  const known = K3S_CONFIG_KEYS[kind];
  const problems: K3sConfigProblem[] = [];
  for (const [raw, value] of Object.entries(config)) {
    const key = raw.endsWith('+') ? raw.slice(0, -1) : raw;
    if (unchecked.includes(key)) continue;
    const type = Object.hasOwn(known, key) ? known[key] : undefined;
    if (type === undefined) {
      const guess = nearest(key, Object.keys(known).filter((k) => k.length > 1));
      problems.push({
        key: raw,
        message: `unknown K3s ${kind} configuration key "${key}": K3s ${K3S_CONFIG_SOURCE.tag} would log "Unknown flag --${key} found in config.yaml, skipping" and ignore it`
          + (guess ? `; did you mean "${guess}"?` : ` (list it in unchecked_config_keys if it is a flag of a newer K3s)`),
      });
    } else if (value !== null && value !== undefined && !k3sValueFits(type, value)) {
      problems.push({ key: raw, message: `K3s ${kind} configuration key "${key}" must be ${EXPECTED[type]} (flag type ${type}), got ${shown(value)}` });
    }
  }
  return problems;
}
