/**
 * A role's variables on one host: schema defaults < inventory < play vars < `use()`
 * parameters < extra vars, validated with the role's zod schema. Errors name the host,
 * the variable path and where the bad value came from. Credential-looking values (a default
 * `admin_password` included) are registered for masking.
 *
 *   roleVars(k3sServer.use({ mode: 'single' }), hostVars, extraVars, 'server1')
 *   // { ok: true, vars: { k3s_version: 'v1.32.11+k3s3', mode: 'single', ... } }
 *
 * Variables the role reads under another tool's name (its `aliases`, such as k3s-ansible's
 * `extra_server_args`) fill the role's own variables that nothing else set; one the role
 * cannot honour is an error saying what to use instead. A value holding Jinja text, which
 * Capstan never evaluates, is an error when the role would use it, with the literal to write
 * when the expression is a common idiom (jinja-idioms.ts).
 */
import { registerSecretsIn, Secret } from '../commands/secret.ts';
import type { RoleUse, VarAlias } from '../define/role.ts';
import type { ConfigProblem } from '../errors.ts';
import type { HostVarsView } from './inventory-view.ts';

export type RoleVarsResult = { ok: true; vars: Record<string, unknown> } | { ok: false; problems: ConfigProblem[] };

/** The literal value a Jinja expression stands for, when it is an idiom Capstan recognises. */
export type JinjaLiteral = (expression: string) => string | undefined;

interface Inputs {
  input: Record<string, unknown>;
  source: Record<string, string>;
  /** Role variables filled from another tool's names so far (the role's own names win over them). */
  aliased: Set<string>;
  problems: ConfigProblem[];
}

export function roleVars(use: RoleUse, hv: HostVarsView, extraVars: Record<string, unknown>, host: string, literal?: JinjaLiteral): RoleVarsResult {
  const def = use.role.definition;
  const schema = def.vars;
  const into: Inputs = { input: {}, source: {}, aliased: new Set(), problems: [] };
  const { input, source, problems } = into;
  for (const key of Object.keys(schema.shape)) {
    if (Object.hasOwn(extraVars, key)) [input[key], source[key]] = [extraVars[key], 'extra vars (-e)'];
    else if (Object.hasOwn(use.params, key)) [input[key], source[key]] = [use.params[key], `parameters of ${def.name}.use()`];
    else if (Object.hasOwn(hv.values, key)) {
      [input[key], source[key]] = [hv.values[key], hv.sourceOf(key) ?? 'inventory'];
      if (hv.isJinja?.(key)) problems.push(jinjaProblem(host, def.name, key, hv, literal));
    }
  }
  for (const alias of def.aliases ?? []) applyAlias(alias, hv, host, def.name, into, literal);
  for (const k of Object.keys(use.params).filter((k) => !Object.hasOwn(schema.shape, k))) {
    problems.push({ message: `host ${host}: role ${def.name} has no variable "${k}"`, keyPath: k, hint: `known variables: ${Object.keys(schema.shape).join(', ')}` });
  }
  const r = schema.safeParse(input);
  if (r.success && problems.length === 0) {
    // defaults come from the role's schema, not from an inventory: its credentials are masked like any other
    for (const [k, v] of Object.entries(r.data as Record<string, unknown>)) registerSecretsIn(k, v);
    return { ok: true, vars: r.data as Record<string, unknown> };
  }
  if (!r.success) {
    for (const i of r.error.issues) {
      const top = String(i.path[0] ?? '');
      const from = source[top] ?? 'role default';
      const sealed = input[top] instanceof Secret && i.code === 'invalid_type';
      problems.push({
        message: `host ${host}: role ${def.name}: ${i.message} (value from ${from})`,
        keyPath: i.path.map(String).join('.') || top,
        ...(sealed ? { hint: `the value is a Secret (from a vault, or marked secret) and "${top}" takes plain text: keep it out of the vault, or declare the variable with a schema that accepts a Secret` } : {}),
      });
    }
  }
  return { ok: false, problems };
}

/** Reads one variable under another tool's name, or reports why it cannot be honoured. */
function applyAlias(alias: VarAlias, hv: HostVarsView, host: string, role: string, into: Inputs, literal: JinjaLiteral | undefined): void {
  if (!Object.hasOwn(hv.values, alias.name)) return;
  const value = hv.values[alias.name];
  const where = hv.sourceOf(alias.name) ?? 'inventory';
  const label = `${alias.from} variable "${alias.name}" (${where})`;
  if (hv.isJinja?.(alias.name)) return void into.problems.push(jinjaProblem(host, role, alias.name, hv, literal));
  if (alias.unsupported !== undefined && !alias.accepts?.(value)) {
    into.problems.push({ message: `host ${host}: role ${role} cannot honour the ${label}`, keyPath: alias.name, hint: alias.unsupported });
    return;
  }
  if (!alias.to) return;
  let mapped: Record<string, unknown>;
  try {
    mapped = alias.to(value, hv.values);
  } catch (e) {
    into.problems.push({ message: `host ${host}: role ${role}: the ${label} cannot be read: ${(e as Error).message}`, keyPath: alias.name });
    return;
  }
  for (const [key, v] of Object.entries(mapped)) {
    const prior = into.source[key];
    if (prior !== undefined && !into.aliased.has(key)) continue; // the role's own name wins
    into.input[key] = prior !== undefined && isPlainObject(into.input[key]) && isPlainObject(v) ? { ...into.input[key], ...v } : v;
    into.source[key] = prior !== undefined ? `${prior} and the ${label}` : `the ${label}`;
    into.aliased.add(key);
  }
}

function jinjaProblem(host: string, role: string, name: string, hv: HostVarsView, literal: JinjaLiteral | undefined): ConfigProblem {
  const value = hv.values[name];
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  const fix = typeof value === 'string' ? literal?.(value) : undefined;
  return {
    message: `host ${host}: role ${role}: "${name}" (${hv.sourceOf(name) ?? 'inventory'}) holds a Jinja expression, which Capstan does not evaluate: ${text}`,
    keyPath: name,
    hint: fix !== undefined
      ? `write the value itself: ${name}: ${JSON.stringify(fix)} (what this expression gives for this inventory)`
      : 'write the value itself, or compute it in a TypeScript inventory (defineInventory) or in the playbook',
  };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Secret);
}
