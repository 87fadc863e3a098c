/**
 * Pure parsers for the advisor's probe output (see probe-script.ts): text in, typed values out.
 *
 *   parseMemory('MemTotal: 2000000 kB\nMemAvailable: 500000 kB\n')   // { percent: 75, source: 'meminfo' }
 *   parseDisk('/dev/sda1 1000 250 750 25% /\n')                       // { percent: 25, mount: '/' }
 *   parseLoad('0.52 0.40 0.30 1/123 456\ncpus 2\n')                    // { one: 0.52, five: 0.4, fifteen: 0.3, cpus: 2 }
 *   parseK3s('unit server\nserver-dir\ndatastore sqlite\nactive server\n')
 *   // { role: 'server', datastore: 'sqlite', active: true, monitoringManifests: [], dataDirReadable: true }
 *
 * CPU samples are parsed in cpu.ts. Every parser throws an Error naming what it expected
 * when the text does not fit, so a host with an odd kernel is reported, not misjudged.
 */
import type { K3sProbe, NodeMetrics } from './types.ts';

export function parseMemory(text: string): NodeMetrics['memory'] {
  const kb = (key: string) => {
    const m = new RegExp(`^${key}:\\s+(\\d+)\\s*kB`, 'm').exec(text);
    return m ? Number(m[1]) : undefined;
  };
  const total = kb('MemTotal');
  const available = kb('MemAvailable');
  if (!total || available === undefined) throw new Error(`expected MemTotal and MemAvailable in /proc/meminfo (kernel 3.14 or later), got ${JSON.stringify(text.slice(0, 120))}`);
  const cg = /^cg (\S+) (\d+) (\d*)\s*$/m.exec(text);
  if (cg && /^\d+$/.test(cg[1] ?? '')) {
    const limit = Number(cg[1]);
    const used = Number(cg[2]) - Number(cg[3] || 0);
    // A limit at or above the machine's memory is no limit (cgroup v1 writes a huge number).
    if (limit > 0 && limit < total * 1024) return { percent: clamp((100 * Math.max(0, used)) / limit), source: 'cgroup' };
  }
  return { percent: clamp((100 * (total - available)) / total), source: 'meminfo' };
}

export function parseDisk(text: string): NonNullable<NodeMetrics['disk']> {
  const line = text.trim().split('\n').pop() ?? '';
  const m = /^\S+\s+(\d+)\s+(\d+)\s+(\d+)\s+\d+%\s+(.+)$/.exec(line);
  if (!m) throw new Error(`expected a df -Pk line (filesystem, blocks, used, available, capacity, mount), got ${JSON.stringify(line)}`);
  const used = Number(m[2]);
  const avail = Number(m[3]);
  // Like df's Capacity column: blocks reserved for root count as neither used nor available.
  const percent = used + avail === 0 ? 0 : (100 * used) / (used + avail);
  return { percent: clamp(percent), mount: m[4] ?? '/' };
}

export function parseLoad(text: string): NonNullable<NodeMetrics['load']> {
  const m = /^(\d+(?:\.\d+)?)\s+(\d+(?:\.\d+)?)\s+(\d+(?:\.\d+)?)\s/m.exec(text);
  const cpus = /^cpus (\d+)\s*$/m.exec(text);
  if (!m || !cpus) throw new Error(`expected /proc/loadavg and a CPU count, got ${JSON.stringify(text.slice(0, 120))}`);
  return { one: Number(m[1]), five: Number(m[2]), fifteen: Number(m[3]), cpus: Number(cpus[1]) };
}

export function parseK3s(text: string): K3sProbe {
  const lines = new Set(text.split('\n').map((l) => l.trim()).filter(Boolean));
  const serverDir = lines.has('server-dir');
  const role = lines.has('unit server') || lines.has('datastore etcd') || lines.has('datastore sqlite') ? 'server' : lines.has('unit agent') ? 'agent' : null;
  const datastore = lines.has('datastore etcd') ? 'etcd' : lines.has('datastore sqlite') ? 'sqlite' : role === 'server' && serverDir ? 'external' : null;
  const monitoringManifests = [...lines].filter((l) => l.startsWith('manifest ')).map((l) => l.slice('manifest '.length)).sort();
  const active = role === 'server' ? lines.has('active server') : role === 'agent' ? lines.has('active agent') : false;
  const offsite = (['s3', 'copy-timer'] as const).filter((o) => lines.has(`offsite ${o}`));
  return {
    role, datastore, active, monitoringManifests, dataDirReadable: !lines.has('unreadable'),
    ...(monitoringManifests.length ? { alertReceivers: lines.has('alerting receivers') } : {}),
    ...(datastore === 'etcd' ? { offsiteSnapshots: offsite } : {}),
  };
}

export function clamp(n: number): number {
  return Math.min(100, Math.max(0, n));
}
