/**
 * The few Jinja expressions Ansible inventories use to point at another host, turned into
 * the literal they stand for, so an error can say exactly what to write instead. Capstan never
 * evaluates Jinja; this only reads these shapes:
 *
 *   {{ groups['server'][0] }}                                    -> the first server's name
 *   {{ hostvars[groups['server'][0]]['ansible_host'] }}          -> its ansible_host
 *   {{ hostvars[groups['server'][0]]['ansible_host'] | default(groups['server'][0]) }}
 *   {{ hostvars['s1'].ansible_host }}, with `| default('x')` too
 *
 *   jinjaIdiomLiteral("{{ groups['server'][0] }}", { groupHosts: () => ['10.0.0.1'], hostVars: () => ({}) })
 *   // '10.0.0.1'
 */
export interface IdiomInventory {
  groupHosts(group: string): readonly string[];
  hostVars(host: string): Readonly<Record<string, unknown>>;
}

const Q = `['"]`;
const NAME = `[A-Za-z0-9_.:-]+`;
const GROUP_HOST = `groups\\[${Q}(${NAME})${Q}\\]\\[(\\d+)\\]`;
const HOST_REF = `(?:${GROUP_HOST}|${Q}(${NAME})${Q})`;
const ATTR = `(?:\\[${Q}(\\w+)${Q}\\]|\\.(\\w+))`;
const DEFAULT = `(?:\\s*\\|\\s*default\\(\\s*(?:${GROUP_HOST}|${Q}([^'"]*)${Q})\\s*\\))?`;
const HOSTVAR = new RegExp(`^\\{\\{\\s*hostvars\\[${HOST_REF}\\]${ATTR}${DEFAULT}\\s*\\}\\}$`);
const GROUP_MEMBER = new RegExp(`^\\{\\{\\s*${GROUP_HOST}\\s*\\}\\}$`);

export function jinjaIdiomLiteral(expression: string, inv: IdiomInventory): string | undefined {
  const text = expression.trim();
  const member = GROUP_MEMBER.exec(text);
  if (member) return nth(inv, member[1], member[2]);
  const m = HOSTVAR.exec(text);
  if (!m) return undefined;
  const host = m[1] !== undefined ? nth(inv, m[1], m[2]) : m[3];
  const attr = m[4] ?? m[5];
  const value = host !== undefined && attr !== undefined ? inv.hostVars(host)[attr] : undefined;
  if (typeof value === 'string' || typeof value === 'number') return String(value);
  if (m[6] !== undefined) return nth(inv, m[6], m[7]);
  return m[8];
}

function nth(inv: IdiomInventory, group: string | undefined, index: string | undefined): string | undefined {
  if (group === undefined || index === undefined) return undefined;
  return inv.groupHosts(group)[Number(index)];
}
