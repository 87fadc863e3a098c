/**
 * Network facts: every address of every interface, from one `ip -o addr` call.
 *
 *   networkAddresses()   // → [{ iface: 'eth0', family: 'inet', address: '10.0.0.5', prefix: 24 }, ...]
 *   template({ ..., vars: deferred((ctx) => ({ ... })) })   // or read it with a stat-like step
 */
import { defineFact } from '../define/fact.ts';

export interface InterfaceAddress {
  iface: string;
  family: 'inet' | 'inet6';
  address: string;
  prefix: number;
  scope: string;
}

export const networkAddresses = defineFact<void, InterfaceAddress[]>({
  name: 'net.addresses',
  command: () => 'ip -o addr show 2>/dev/null',
  parse: (out) => parseIpAddr(out),
});

/** Parses `ip -o addr show` lines: `2: eth0    inet 10.0.0.5/24 brd 10.0.0.255 scope global eth0\ ...`. */
export function parseIpAddr(out: string): InterfaceAddress[] {
  const list: InterfaceAddress[] = [];
  for (const line of out.split('\n')) {
    const m = /^\d+:\s+(\S+?)(?:@\S+)?\s+(inet6?)\s+([0-9a-fA-F.:]+)\/(\d+)(?:.*?\sscope\s+(\S+))?/.exec(line);
    if (!m) continue;
    list.push({ iface: m[1] as string, family: m[2] as 'inet' | 'inet6', address: m[3] as string, prefix: Number(m[4]), scope: m[5] ?? 'global' });
  }
  return list;
}
