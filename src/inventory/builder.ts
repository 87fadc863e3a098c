/**
 * Builds the host/group graph from parsed inventory sources, following Ansible's rules:
 * `all` and `ungrouped` always exist, groups without a parent become children of `all`,
 * hosts in no group but `all` land in `ungrouped`, and depth is the longest path from `all`.
 *
 *   const b = new InventoryBuilder();
 *   b.addGroup('web', { file: 'hosts.ini', line: 1 });
 *   b.addHost('web1', 'web', { file: 'hosts.ini', line: 2 });
 *   b.setGroupVar('web', 'http_port', 8080, { file: 'hosts.ini', line: 4 });
 *   const { hosts, groups } = b.finish();   // throws ConfigError listing every problem
 *
 * Parsers (YAML, INI, TS) feed one builder per run; several sources merge like Ansible's `-i a -i b`.
 */
import { ConfigError } from '../errors.ts';
import type { ConfigProblem } from '../errors.ts';
import type { GroupNode, HostNode, InventoryWarning, VarOrigin } from './types.ts';
import { assign, varDef } from './values.ts';

/** Ansible's rule for group names that are also valid variable names. */
const INVALID_GROUP_CHARS = /^[\d\W]|[^\w]/u;
const PRIORITY_VAR = 'ansible_group_priority';

export class InventoryBuilder {
  readonly hosts = new Map<string, HostNode>();
  readonly groups = new Map<string, GroupNode>();
  readonly problems: ConfigProblem[] = [];
  readonly warnings: InventoryWarning[] = [];

  constructor() {
    this.addGroup('all');
    this.addGroup('ungrouped');
    this.addChild('all', 'ungrouped');
  }

  addGroup(name: string, origin?: VarOrigin): GroupNode {
    const known = this.groups.get(name);
    if (known) return known;
    if (INVALID_GROUP_CHARS.test(name)) {
      this.warnings.push({ message: `group name "${name}" has characters Ansible does not allow in variable names; patterns may not select it as expected`, group: name, ...origin });
    }
    if (/[\s\0]/.test(name) || name === '') this.problem(`invalid group name ${JSON.stringify(name)}: it must not be empty or contain whitespace or NUL`, origin);
    const group: GroupNode = { name, hosts: [], children: [], parents: [], vars: new Map(), priority: 1, depth: 0, origin };
    this.groups.set(name, group);
    return group;
  }

  addChild(parent: string, child: string, origin?: VarOrigin): void {
    const p = this.addGroup(parent, origin);
    const c = this.addGroup(child, origin);
    if (parent === child) return this.problem(`group "${parent}" cannot be a child of itself`, origin);
    if (p.children.includes(child)) return;
    if (this.isAncestor(child, parent)) {
      return this.problem(`making "${child}" a child of "${parent}" creates a loop (${child} is already above ${parent})`, origin);
    }
    p.children.push(child);
    if (!c.parents.includes(parent)) c.parents.push(parent);
  }

  /** Adds a host (once) and places it in `group`; `port` (from `host:port`) only applies when the host is new. */
  addHost(name: string, group: string | undefined, origin: VarOrigin, port?: number): HostNode {
    let host = this.hosts.get(name);
    if (!host) {
      this.checkHostName(name, origin);
      host = { name, groups: [], vars: new Map(), origin };
      this.hosts.set(name, host);
      if (port !== undefined) assign(host.vars, 'ansible_port', varDef('ansible_port', port, origin));
    }
    if (group) {
      const g = this.addGroup(group, origin);
      if (!g.hosts.includes(name)) g.hosts.push(name);
      if (!host.groups.includes(group)) host.groups.push(group);
    }
    return host;
  }

  setHostVar(host: string, name: string, value: unknown, origin: VarOrigin, jinjaChecked = true): void {
    const h = this.hosts.get(host);
    if (!h) return this.problem(`variable "${name}" set on unknown host "${host}"`, origin);
    assign(h.vars, name, varDef(name, value, origin, jinjaChecked));
    this.noteVar(name, origin, h.vars.get(name)?.at(-1)?.jinja ?? false, { host });
  }

  setGroupVar(group: string, name: string, value: unknown, origin: VarOrigin, jinjaChecked = true): void {
    const g = this.addGroup(group, origin);
    if (name === PRIORITY_VAR) {
      const n = typeof value === 'string' ? Number(value.trim()) : value;
      if (typeof n !== 'number' || !Number.isInteger(n)) return this.problem(`${PRIORITY_VAR} must be a whole number, got ${JSON.stringify(value)}`, origin);
      g.priority = n;
      return;
    }
    assign(g.vars, name, varDef(name, value, origin, jinjaChecked));
    this.noteVar(name, origin, g.vars.get(name)?.at(-1)?.jinja ?? false, { group });
  }

  problem(message: string, origin?: VarOrigin, hint?: string): void {
    this.problems.push({ message, ...origin, ...(hint ? { hint } : {}) });
  }

  /** Reconciles `all`/`ungrouped`, computes depths, and throws every problem found so far. */
  finish(): { hosts: Map<string, HostNode>; groups: Map<string, GroupNode>; warnings: InventoryWarning[] } {
    for (const g of this.groups.values()) if (g.name !== 'all' && g.parents.length === 0) this.addChild('all', g.name);
    const ungrouped = this.groups.get('ungrouped');
    for (const h of this.hosts.values()) {
      const real = h.groups.filter((g) => g !== 'all' && g !== 'ungrouped');
      if (real.length > 0 && h.groups.includes('ungrouped')) {
        h.groups = h.groups.filter((g) => g !== 'ungrouped');
        if (ungrouped) ungrouped.hosts = ungrouped.hosts.filter((n) => n !== h.name);
      } else if (real.length === 0 && !h.groups.includes('ungrouped')) {
        this.addHost(h.name, 'ungrouped', h.origin);
      }
    }
    this.computeDepths();
    for (const name of this.hosts.keys()) {
      if (this.groups.has(name)) this.warnings.push({ message: `"${name}" is both a host and a group name; patterns select the group`, host: name, group: name, ...this.hosts.get(name)?.origin });
    }
    if (this.problems.length > 0) throw ConfigError.of(this.problems);
    return { hosts: this.hosts, groups: this.groups, warnings: this.warnings };
  }

  private computeDepths(): void {
    const visit = (name: string, depth: number, trail: Set<string>): void => {
      const g = this.groups.get(name);
      if (!g || trail.has(name)) return;
      if (depth <= g.depth && name !== 'all') return;
      g.depth = depth;
      trail.add(name);
      for (const c of g.children) visit(c, depth + 1, trail);
      trail.delete(name);
    };
    visit('all', 0, new Set());
  }

  private isAncestor(candidate: string, of: string): boolean {
    const seen = new Set<string>();
    const stack = [of];
    while (stack.length > 0) {
      const name = stack.pop() as string;
      if (name === candidate) return true;
      if (seen.has(name)) continue;
      seen.add(name);
      stack.push(...(this.groups.get(name)?.parents ?? []));
    }
    return false;
  }

  private checkHostName(name: string, origin: VarOrigin): void {
    if (name === '') this.problem('empty host name', origin);
    else if (name.startsWith('-')) this.problem(`host name "${name}" starts with "-", which ssh would read as an option`, origin, 'rename the host, and set its address with ansible_host if needed');
    else if (/[\s\0]/.test(name)) this.problem(`host name ${JSON.stringify(name)} contains whitespace or NUL`, origin);
  }

  private noteVar(name: string, origin: VarOrigin, jinja: boolean, scope: { host?: string; group?: string }): void {
    if (jinja) this.warnings.push(jinjaWarning(name, origin, scope));
  }
}

/** The warning for a value Capstan passes on as literal text instead of evaluating it. */
export function jinjaWarning(variable: string, origin: VarOrigin, scope: { host?: string; group?: string; file?: string }): InventoryWarning {
  const who = scope.host !== undefined ? `host ${scope.host}` : scope.group !== undefined ? `group ${scope.group}` : `file ${scope.file ?? origin.file}`;
  return {
    message: `${who} var ${variable} contains a Jinja expression, which Capstan does not evaluate; it is passed on as literal text — rewrite it as a literal or compute it in the TS playbook`,
    ...origin,
    ...(scope.host !== undefined ? { host: scope.host } : {}),
    ...(scope.group !== undefined ? { group: scope.group } : {}),
    variable,
  };
}
