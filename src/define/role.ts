/**
 * Roles: typed variables with documented defaults, an ordered list of steps, handlers by name.
 *
 *   export default defineRole({
 *     name: 'haproxy',
 *     vars: z.object({ haproxy_port: z.number().int().default(6443).describe('frontend port') }),
 *     steps: (v) => [
 *       apt({ name: ['haproxy'] }),
 *       template({ src: roleFile(import.meta.url, '../templates/haproxy.cfg.ejs'), dest: '/etc/haproxy/haproxy.cfg',
 *                  vars: v, validate: 'haproxy -c -f %s' }, { notify: 'reload haproxy' }),
 *       systemd({ name: 'haproxy', state: 'started', enabled: true }),
 *     ],
 *     handlers: () => ({ 'reload haproxy': systemd({ name: 'haproxy', state: 'reloaded' }) }),
 *   });
 *
 *   haproxyRole.use({ haproxy_port: 8443 })   // typed: a misspelt variable fails tsc
 *
 * Each host's variables are validated against the schema before any connection; the
 * TypeScript type of `v` is inferred from it. Variable values come, lowest first, from the
 * schema defaults, the inventory, play vars, the `use()` parameters, then `-e` extra vars.
 */
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';
import type { z } from 'zod';
import { callSite, type Step, type StepContext } from './step.ts';

/** A handler: steps run once at the end of the play when notified by name or by topic. */
export type HandlerSpec = Step | Step[] | { steps: Step[]; listen?: string | string[] };

export type RoleVarsSchema = z.ZodObject<z.ZodRawShape>;

export interface RoleDefinition<S extends RoleVarsSchema> {
  name: string;
  description?: string;
  vars: S;
  /** Roles that run first (once per play for the same parameters). */
  dependencies?: (vars: z.output<S>) => RoleUse[];
  steps: (vars: z.output<S>, ctx: RoleContext) => Step[];
  handlers?: (vars: z.output<S>) => Record<string, HandlerSpec>;
  /** Names other tools give these variables in inventories (k3s-ansible's `extra_server_args`). */
  aliases?: readonly VarAlias[];
  /**
   * Settings that are valid but probably not what the user wants (alerts with no receiver):
   * one sentence each. `capstan validate` prints them and a run emits them as warnings.
   */
  warnings?: (vars: z.output<S>, ctx: RoleContext) => string[];
}

/**
 * A variable of another tool's inventories that a role reads under that tool's name, or
 * refuses with what to use instead. Never silently ignored.
 *
 *   { name: 'registries_config_yaml', from: 'k3s-ansible', to: (v) => ({ registries_yaml: v }) }
 *   { name: 'use_external_database', from: 'k3s-ansible', accepts: (v) => v === false,
 *     unsupported: 'set datastore-endpoint in extra_config instead' }
 */
export interface VarAlias {
  name: string;
  /** The tool whose name this is, for messages. */
  from: string;
  /** The role variables the value stands for (`vars`: the host's other variables). Throw an Error to reject the value. */
  to?: (value: unknown, vars: Readonly<Record<string, unknown>>) => Record<string, unknown>;
  /** Why the role cannot honour the variable and what to use instead; values `accepts` allows are fine (defaults). */
  unsupported?: string;
  accepts?: (value: unknown) => boolean;
}

/** What a role's `steps` function can see besides its variables. */
export interface RoleContext {
  readonly host: string;
  readonly playHosts: readonly string[];
  /** Variables of any host of the run (inventory, group_vars, host_vars). */
  hostVars(host: string): Readonly<Record<string, unknown>>;
  /** Hosts of an inventory group, in inventory order. */
  groupHosts(group: string): readonly string[];
}

export interface RoleUseOptions {
  when?: (ctx: StepContext) => boolean;
  tags?: string[];
  become?: boolean | string;
}

/** A role applied in a play with parameters. */
export interface RoleUse {
  readonly role: Role<RoleVarsSchema>;
  readonly params: Record<string, unknown>;
  readonly options: RoleUseOptions;
}

export interface Role<S extends RoleVarsSchema> {
  readonly definition: RoleDefinition<S>;
  /** The file that called `defineRole` (its package declares which capstan it works with). */
  readonly definedAt: string | undefined;
  use(params?: Partial<z.input<S>>, options?: RoleUseOptions): RoleUse;
}

export function defineRole<S extends RoleVarsSchema>(definition: RoleDefinition<S>): Role<S> {
  const role: Role<S> = {
    definition,
    definedAt: callSite()?.replace(/:\d+$/, ''),
    use: (params = {}, options = {}) => ({
      role: role as unknown as Role<RoleVarsSchema>,
      params: params as Record<string, unknown>,
      options,
    }),
  };
  return role;
}

/** A file shipped with a role or playbook, resolved from the caller's `import.meta.url`. */
export function roleFile(metaUrl: string, relative: string): string {
  return resolve(dirname(fileURLToPath(metaUrl)), relative);
}
