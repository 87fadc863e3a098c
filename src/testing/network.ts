/**
 * A private bridge network per node set, with a subnet of its own so that every node keeps
 * its address when it is stopped and started again.
 *
 *   const net = await createLabNetwork('capstan-3fa9c1', { 'capstan.lab': '3fa9c1' });
 *   net.addressFor(0);   // '10.213.47.2'
 */
import { readFile } from 'node:fs/promises';
import { randomInt } from 'node:crypto';
import { InternalError } from '../errors.ts';
import { docker } from './docker.ts';

export interface LabNetwork {
  name: string;
  id: string;
  subnet: string;
  gateway: string;
  /** The address of the node with this index (0-based); at most 252 nodes. */
  addressFor(index: number): string;
}

interface Range {
  start: number;
  end: number;
}

function toInt(ip: string): number {
  return ip.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

function cidrRange(cidr: string): Range | undefined {
  const [ip, bits] = cidr.split('/');
  if (!ip || !bits || ip.includes(':')) return undefined;
  const size = 2 ** (32 - Number(bits));
  const start = toInt(ip) - (toInt(ip) % size);
  return { start, end: start + size - 1 };
}

/** Parses /proc/net/route (little-endian hex) into address ranges, default route excluded. */
export function routeRanges(text: string): Range[] {
  const ranges: Range[] = [];
  for (const line of text.split('\n').slice(1)) {
    const [, dest, , , , , , mask] = line.trim().split(/\s+/);
    if (!dest || !mask || mask === '00000000') continue;
    const le = (hex: string) => Buffer.from(hex, 'hex').readUInt32LE();
    const start = le(dest) >>> 0;
    const size = 2 ** 32 - (le(mask) >>> 0);
    ranges.push({ start, end: start + size - 1 });
  }
  return ranges;
}

async function usedRanges(): Promise<Range[]> {
  const routes = routeRanges(await readFile('/proc/net/route', 'utf8').catch(() => ''));
  const networks = await docker().listNetworks();
  const subnets = networks.flatMap((n) => (n.IPAM?.Config ?? []).map((c) => c.Subnet ?? ''));
  return [...routes, ...subnets.map(cidrRange).filter((r): r is Range => r !== undefined)];
}

function pickSubnet(used: Range[]): string {
  for (let attempt = 0; attempt < 200; attempt++) {
    const third = randomInt(0, 256);
    const start = toInt(`10.213.${third}.0`);
    if (!used.some((r) => r.start <= start + 255 && start <= r.end)) return `10.213.${third}.0/24`;
  }
  throw new InternalError('no free /24 left in 10.213.0.0/16 for a test network');
}

function isOverlap(error: unknown): boolean {
  return /overlap/i.test(String((error as Error).message ?? error));
}

/** Creates the network, retrying on a subnet that another process took meanwhile. */
export async function createLabNetwork(name: string, labels: Record<string, string>): Promise<LabNetwork> {
  for (let attempt = 0; ; attempt++) {
    const subnet = pickSubnet(await usedRanges());
    const prefix = subnet.split('.').slice(0, 3).join('.');
    const gateway = `${prefix}.1`;
    try {
      const network = await docker().createNetwork({
        Name: name,
        Driver: 'bridge',
        CheckDuplicate: true,
        Labels: labels,
        IPAM: { Driver: 'default', Config: [{ Subnet: subnet, Gateway: gateway }] },
      });
      const addressFor = (index: number) => {
        if (index < 0 || index > 251) throw new InternalError(`node index ${index} does not fit a /24`);
        return `${prefix}.${index + 2}`;
      };
      return { name, id: network.id, subnet, gateway, addressFor };
    } catch (error) {
      if (!isOverlap(error) || attempt >= 5) throw error;
    }
  }
}

/** Removes a network; a network that is already gone is fine. */
export async function removeNetwork(nameOrId: string): Promise<void> {
  try {
    await docker().getNetwork(nameOrId).remove();
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode !== 404) throw error;
  }
}
