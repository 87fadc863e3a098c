/**
 * A role's variables on one host: schema defaults < inventory < play vars < `use()`
 * parameters < extra vars, validated with the role's zod schema. Errors name the host,
 * the variable path and where the bad value came from.
 *
 *   roleVars(k3sServer.use({ mode: 'single' }), hostVars, extraVars, 'server1')
 *   // { ok: true, vars: { k3s_version: 'v1.32.11+k3s3', mode: 'single', ... } }
 */
import { Secret } from '../commands/secret.ts';
import type { RoleUse } from '../define/role.ts';
import type { ConfigProblem } from '../errors.ts';
import type { HostVarsView } from './inventory-view.ts';

export type RoleVarsResult = { ok: true; vars: Record<string, unknown> } | { ok: false; problems: ConfigProblem[] };

export function roleVars(use: RoleUse, hv: HostVarsView, extraVars: Record<string, unknown>, host: string): RoleVarsResult {
  const schema = use.role.definition.vars;
  const input: Record<string, unknown> = {};
  const source: Record<string, string> = {};
  for (const key of Object.keys(schema.shape)) {
    if (Object.hasOwn(extraVars, key)) [input[key], source[key]] = [extraVars[key], 'extra vars (-e)'];
    else if (Object.hasOwn(use.params, key)) [input[key], source[key]] = [use.params[key], `parameters of ${use.role.definition.name}.use()`];
    else if (Object.hasOwn(hv.values, key)) [input[key], source[key]] = [hv.values[key], hv.sourceOf(key) ?? 'inventory'];
  }
  const unknownParams = Object.keys(use.params).filter((k) => !Object.hasOwn(schema.shape, k));
  const problems: ConfigProblem[] = unknownParams.map((k) => ({
    message: `host ${host}: role ${use.role.definition.name} has no variable "${k}"`,
    keyPath: k,
    hint: `known variables: ${Object.keys(schema.shape).join(', ')}`,
  }));
  const r = schema.safeParse(input);
  if (r.success && problems.length === 0) return { ok: true, vars: r.data as Record<string, unknown> };
  if (!r.success) {
    for (const i of r.error.issues) {
      const top = String(i.path[0] ?? '');
      const from = source[top] ?? 'role default';
      const sealed = input[top] instanceof Secret && i.code === 'invalid_type';
      problems.push({
        message: `host ${host}: role ${use.role.definition.name}: ${i.message} (value from ${from})`,
        keyPath: i.path.map(String).join('.') || top,
        ...(sealed ? { hint: `the value is a Secret (from a vault, or marked secret) and "${top}" takes plain text: keep it out of the vault, or declare the variable with a schema that accepts a Secret` } : {}),
      });
    }
  }
  return { ok: false, problems };
}
