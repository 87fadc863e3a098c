/**
 * `k3s.firewall`: opens what K3s needs in the host's active firewall (ufw or firewalld),
 * and trusts the pod and service networks; with neither active it changes nothing.
 *
 *   k3sFirewall({ openings: k3sOpenings({ node_role: 'agent', ... }), trusted: ['10.42.0.0/16', '10.43.0.0/16'] })
 *
 * Rules already present are left alone (ufw's `show added`, firewalld's permanent
 * configuration), so a converged host is a no-op. firewalld is reloaded once after additions.
 */
import { change, changes, defineFact, defineModule, exec, noop, predict, quote, z, type Change, type Plan } from 'capstan';
import { firewalldPort, ufwRule, ufwSourceRule, type PortOpening } from '../ports.ts';

export type FirewallState =
  | { kind: 'none' }
  | { kind: 'ufw'; rules: string[] }
  | { kind: 'firewalld'; ports: string[]; trusted: string[] };

const PROBE = `if command -v ufw >/dev/null 2>&1 && ufw status 2>/dev/null | grep -q '^Status: active'; then
  echo ufw; ufw show added 2>/dev/null | sed -n 's/^ufw //p'
elif command -v firewall-cmd >/dev/null 2>&1 && firewall-cmd --state >/dev/null 2>&1; then
  echo firewalld; echo "ports $(firewall-cmd --permanent --list-ports)"; echo "trusted $(firewall-cmd --permanent --zone=trusted --list-sources)"
else
  echo none
fi`;

/** Parses the probe's output: the active firewall and what it already allows. */
export function parseFirewall(out: string): FirewallState {
  const [kind = 'none', ...rest] = out.trim().split('\n');
  if (kind === 'ufw') return { kind, rules: rest.map((l) => l.trim()).filter(Boolean) };
  if (kind === 'firewalld') {
    const field = (name: string) => (rest.find((l) => l.startsWith(`${name} `)) ?? '').slice(name.length + 1).split(/\s+/).filter(Boolean);
    return { kind, ports: field('ports'), trusted: field('trusted') };
  }
  return { kind: 'none' };
}

export const firewallState = defineFact<void, FirewallState>({
  name: 'k3s.firewall',
  command: () => PROBE,
  parse: (out) => parseFirewall(out),
});

const cidr = z.string().regex(/^[0-9a-fA-F.:]+\/\d{1,3}$/, 'must be a network in CIDR form such as 10.42.0.0/16');
export const firewallArgs = z.object({
  openings: z.array(z.object({ ports: z.string().regex(/^\d{1,5}(-\d{1,5})?$/), proto: z.enum(['tcp', 'udp']), why: z.string() })),
  trusted: z.array(cidr),
}).strict();

export function planFirewall(a: z.output<typeof firewallArgs>, fw: FirewallState): Plan {
  if (fw.kind === 'none') return noop('no active firewall (ufw or firewalld): nothing to open');
  if (fw.kind === 'ufw') {
    const have = new Set(fw.rules);
    const wanted: [string, string][] = [
      ...a.openings.map((p): [string, string] => [ufwRule(p), p.why]),
      ...a.trusted.map((c): [string, string] => [ufwSourceRule(c), 'cluster network']),
    ];
    return changes(...wanted.filter(([rule]) => !have.has(rule)).map(([rule, why]) =>
      change(`ufw ${rule} (${why})`, exec(`ufw ${rule.split(' ').map((w) => quote(w)).join(' ')}`))));
  }
  const ports = new Set(fw.ports);
  const trusted = new Set(fw.trusted);
  const adds: Change[] = [
    ...a.openings.filter((p: PortOpening) => !ports.has(firewalldPort(p))).map((p) =>
      change(`firewalld: open ${firewalldPort(p)} (${p.why})`, exec(`firewall-cmd --permanent --add-port=${quote(firewalldPort(p))}`))),
    ...a.trusted.filter((c) => !trusted.has(c)).map((c) =>
      change(`firewalld: trust ${c}`, exec(`firewall-cmd --permanent --zone=trusted --add-source=${quote(c)}`))),
  ];
  return adds.length ? changes(...adds, change('firewalld: reload', exec('firewall-cmd --reload'))) : noop('firewalld already allows K3s');
}

/** The firewall's state once the openings are made (what --check tells later steps). */
export function afterOpening(a: z.output<typeof firewallArgs>, fw: FirewallState): FirewallState {
  if (fw.kind === 'none') return fw;
  if (fw.kind === 'ufw') return { kind: 'ufw', rules: [...new Set([...fw.rules, ...a.openings.map(ufwRule), ...a.trusted.map(ufwSourceRule)])] };
  return { kind: 'firewalld', ports: [...new Set([...fw.ports, ...a.openings.map(firewalldPort)])], trusted: [...new Set([...fw.trusted, ...a.trusted])] };
}

export const k3sFirewall = defineModule({
  name: 'k3s.firewall',
  args: firewallArgs,
  describe: (a) => `firewall openings for K3s (${a.openings.map((p) => `${p.ports}/${p.proto}`).join(', ')})`,
  facts: () => ({ fw: firewallState() }),
  plan: (a, { fw }) => planFirewall(a, fw),
  predicts: (a, { fw }) => [predict(firewallState(), afterOpening(a, fw))],
});
