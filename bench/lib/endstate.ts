/**
 * The workload's end state on a node, as a normalised listing: every path the workload
 * manages (type, mode, owner, group, content), the benchapp user and group, the services,
 * the sysctl values and the packages. Content is compared after normalising what must differ
 * between two node sets: the node's own address, the generated secret, timestamps.
 *
 *   const state = await captureEndState(set, 'node1');        // Map: 'mode /etc/motd' -> 'regular file 644 root:root', ...
 *   parseEndState(rawOutput, { address: '10.213.47.2' });     // the same, from the capture script's output
 */
import type { NodeSet } from '../../src/testing/index.ts';

export type EndState = Map<string, string>;

const TREES = ['/opt/benchapp', '/etc/benchapp', '/var/lib/benchapp'];
const FILES = ['/etc/motd', '/etc/haproxy/haproxy.cfg', '/etc/sysctl.d/60-bench.conf', '/etc/sysctl.d/61-bench-tcp.conf', '/etc/systemd/system/benchapp.service'];
const SERVICES = ['benchapp', 'haproxy'];
const SYSCTLS = ['net.core.somaxconn', 'net.ipv4.ip_local_port_range', 'net.ipv4.tcp_fin_timeout'];
const PACKAGES = ['curl', 'haproxy'];
const SECRET = '/etc/benchapp/secret';
const TIMESTAMP_FILES = ['/var/lib/benchapp/.initialized'];
const MAX_CONTENT = 256 * 1024;

/** The capture script (POSIX sh, as root); one tab-separated record per line. */
export const CAPTURE_SCRIPT = `
for p in $( (find ${TREES.join(' ')} 2>/dev/null; printf '%s\\n' ${FILES.join(' ')}) | sort -u); do
  if [ -e "$p" ] || [ -L "$p" ]; then
    printf 'F\\t%s\\t%s\\n' "$p" "$(stat -c '%F %a %U:%G' "$p")"
    if [ -f "$p" ] && [ "$(stat -c %s "$p")" -le ${MAX_CONTENT} ]; then printf 'C\\t%s\\t%s\\n' "$p" "$(base64 -w0 < "$p")"; fi
  else
    printf 'F\\t%s\\tabsent\\n' "$p"
  fi
done
printf 'U\\tpasswd benchapp\\t%s\\n' "$(getent passwd benchapp)"
printf 'U\\tgroup benchapp\\t%s\\n' "$(getent group benchapp)"
for s in ${SERVICES.join(' ')}; do printf 'S\\t%s\\t%s %s\\n' "$s" "$(systemctl is-active "$s")" "$(systemctl is-enabled "$s" 2>/dev/null)"; done
for k in ${SYSCTLS.join(' ')}; do printf 'K\\t%s\\t%s\\n' "$k" "$(sysctl -n "$k" | tr '\\t' ' ')"; done
for p in ${PACKAGES.join(' ')}; do printf 'P\\t%s\\t%s\\n' "$p" "$(dpkg-query -W -f '\${Status}' "$p" 2>/dev/null)"; done
`;

const KIND_NAMES: Record<string, string> = { F: 'path', U: 'account', S: 'service', K: 'sysctl', P: 'package' };

/** What a file's content becomes once the parts that legitimately differ are replaced. */
export function normaliseContent(path: string, text: string, address: string): string {
  if (path === SECRET) return `<generated secret, ${text.length} bytes>`;
  if (TIMESTAMP_FILES.includes(path) && /^\d{4}-\d\d-\d\dT[\d:]+Z?\s*$/.test(text)) return '<timestamp>';
  return address ? text.split(address).join('{node address}') : text;
}

/** Parses the capture script's output. */
export function parseEndState(output: string, o: { address: string }): EndState {
  const state: EndState = new Map();
  for (const line of output.split('\n')) {
    const [kind, key, ...rest] = line.split('\t');
    if (!kind || !key) continue;
    const value = rest.join('\t');
    if (kind === 'C') state.set(`content ${key}`, normaliseContent(key, Buffer.from(value, 'base64').toString('utf8'), o.address));
    else if (KIND_NAMES[kind]) state.set(`${KIND_NAMES[kind]} ${key}`, value);
  }
  return state;
}

/** The end state of one node, read with docker exec (never through the tools' SSH). */
export async function captureEndState(set: NodeSet, name: string): Promise<EndState> {
  const r = await set.exec(name, ['sh', '-c', CAPTURE_SCRIPT], { timeoutMs: 60_000 });
  if (r.exitCode !== 0) throw new Error(`reading the end state of ${name} failed (exit ${r.exitCode}): ${r.stderr.trim()}`);
  return parseEndState(r.stdout, { address: set.node(name).address });
}

/** The end states of every node of a set, by node name. */
export async function captureSet(set: NodeSet): Promise<Map<string, EndState>> {
  const entries = await Promise.all(set.nodes.map(async (n) => [n.name, await captureEndState(set, n.name)] as const));
  return new Map(entries);
}
