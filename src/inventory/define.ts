/**
 * A typed inventory written in TypeScript, equivalent to Ansible's YAML format.
 *
 *   // inventory/lab.ts
 *   import { defineInventory } from 'capstan';
 *   export default defineInventory({
 *     vars: { ansible_user: 'ops' },                       // the `all` group
 *     groups: {
 *       web: { hosts: { 'web[01:02]': { http_port: 8080 } }, vars: { tier: 'front' } },
 *       dc: { children: ['web'], vars: { region: 'eu' } },  // children by name...
 *       db: { children: { replicas: { hosts: ['db2'] } } }, // ...or nested like YAML
 *     },
 *     hosts: { bastion: { ansible_host: '203.0.113.5' } }, // ungrouped
 *   });
 *
 * Host keys accept `:port` and ranges like YAML host keys. No I/O happens here; the file is
 * loaded with `loadInventory('inventory/lab.ts')`.
 */
import { z } from 'zod';
import { ConfigError } from '../errors.ts';

export type InventoryVars = Record<string, unknown>;

/** Hosts by name (with their variables), or just names. */
export type HostsDefinition = Readonly<Record<string, InventoryVars | null | undefined>> | readonly string[];

export interface GroupDefinition {
  hosts?: HostsDefinition;
  vars?: InventoryVars;
  /** Child groups: names of groups defined elsewhere, or nested definitions. */
  children?: readonly string[] | Readonly<Record<string, GroupDefinition | null | undefined>>;
}

export interface InventoryDefinitionInput {
  /** Variables of the `all` group. */
  vars?: InventoryVars;
  /** Groups at the top level (they become children of `all`). */
  groups?: Readonly<Record<string, GroupDefinition | null | undefined>>;
  /** Hosts in no group (`ungrouped`). */
  hosts?: HostsDefinition;
}

export interface InventoryDefinition extends InventoryDefinitionInput {
  readonly kind: 'capstan.inventory';
}

const varsSchema = z.record(z.string(), z.unknown());
const hostsSchema = z.union([z.array(z.string()), z.record(z.string(), varsSchema.nullish())]);
const groupSchema: z.ZodType<GroupDefinition> = z.lazy(() =>
  z.strictObject({
    hosts: hostsSchema.optional(),
    vars: varsSchema.optional(),
    children: z.union([z.array(z.string()), z.record(z.string(), groupSchema.nullish())]).optional(),
  }),
);
const definitionSchema = z.strictObject({
  vars: varsSchema.optional(),
  groups: z.record(z.string(), groupSchema.nullish()).optional(),
  hosts: hostsSchema.optional(),
});

/** Validates an inventory written in TypeScript; throws a ConfigError naming each bad key path. */
export function defineInventory(definition: InventoryDefinitionInput): InventoryDefinition {
  const parsed = definitionSchema.safeParse(definition);
  if (!parsed.success) {
    throw ConfigError.of(
      parsed.error.issues.map((i) => ({
        message: `inventory definition: ${i.message}`,
        keyPath: i.path.map(String).join('.') || undefined,
        hint: 'groups: { name: { hosts, vars, children } }, vars (for all), hosts (ungrouped)',
      })),
    );
  }
  return Object.freeze({ ...definition, kind: 'capstan.inventory' as const });
}

export function isInventoryDefinition(value: unknown): value is InventoryDefinition {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'capstan.inventory';
}
