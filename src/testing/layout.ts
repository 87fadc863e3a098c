/**
 * Which nodes a set has and what they are called: pure, so it is checked before Docker is touched.
 *
 *   planNodes({ count: 2 });                          // [{ name: 'node1', groups: [] }, { name: 'node2', groups: [] }]
 *   planNodes({ groups: { web: 2, db: 1 } });          // web1, web2 (group web), db1 (group db)
 *   planNodes({ groups: { web: 1 }, namePrefix: 'ha' }); // ha-web1
 */
import { ConfigError } from '../errors.ts';

export interface PlannedNode {
  name: string;
  /** A valid hostname for the container (underscores become hyphens). */
  hostname: string;
  groups: string[];
}

export interface LayoutOptions {
  count?: number;
  groups?: Record<string, number>;
  namePrefix?: string;
}

const MAX_NODES = 250;
const GROUP_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;
const PREFIX = /^[a-z][a-z0-9-]*$/;

function checkCount(value: number, keyPath: string, min: number): void {
  if (!Number.isInteger(value) || value < min || value > MAX_NODES) {
    throw new ConfigError(`${keyPath} must be a whole number from ${min} to ${MAX_NODES}, not ${value}`, { keyPath });
  }
}

function node(name: string, groups: string[]): PlannedNode {
  return { name, hostname: name.replace(/_/g, '-').toLowerCase(), groups };
}

/** Names and groups of the nodes to start; throws ConfigError on a bad layout. */
export function planNodes(options: LayoutOptions): PlannedNode[] {
  const prefix = options.namePrefix;
  if (prefix !== undefined && !PREFIX.test(prefix)) {
    throw new ConfigError(`namePrefix must be lowercase letters, digits and hyphens, not ${JSON.stringify(prefix)}`, { keyPath: 'namePrefix' });
  }
  const groups = Object.entries(options.groups ?? {});
  if (groups.length === 0) {
    const count = options.count ?? 1;
    checkCount(count, 'count', 1);
    return Array.from({ length: count }, (_, i) => node(`${prefix ?? 'node'}${i + 1}`, []));
  }
  const planned: PlannedNode[] = [];
  for (const [group, size] of groups) {
    if (!GROUP_NAME.test(group)) {
      throw new ConfigError(`group name ${JSON.stringify(group)} must start with a letter and hold only letters, digits and _`, { keyPath: `groups.${group}` });
    }
    checkCount(size, `groups.${group}`, 0);
    for (let i = 1; i <= size; i++) planned.push(node(`${prefix ? `${prefix}-` : ''}${group}${i}`, [group]));
  }
  if (options.count !== undefined && options.count !== planned.length) {
    throw new ConfigError(`count is ${options.count} but the groups add up to ${planned.length} nodes`, { keyPath: 'count' });
  }
  if (planned.length === 0 || planned.length > MAX_NODES) {
    throw new ConfigError(`a node set needs 1 to ${MAX_NODES} nodes, the groups ask for ${planned.length}`, { keyPath: 'groups' });
  }
  const names = new Set(planned.map((p) => p.name));
  if (names.size !== planned.length) throw new ConfigError('two groups produce the same node name', { keyPath: 'groups' });
  return planned;
}
