/**
 * `haproxy.exporter-guard`: before a metrics frontend is rendered, makes sure the installed
 * HAProxy has the built-in Prometheus exporter (`haproxy -vv` lists the
 * `prometheus-exporter` service; Debian's 2.6 does). Read-only; fails with the version and
 * what to do instead of letting `haproxy -c` refuse an unknown service.
 *
 *   haproxyExporterGuard({}, { name: 'HAProxy has the Prometheus exporter' })
 *
 * Its fact is in the `tools` family, so under --check on a host where the package step
 * would install HAProxy, the guard reports "depends on an earlier change" instead of failing.
 */
import { defineFact, defineModule, fail, noop, z, type Plan } from 'capstan';

export interface HaproxyBuild {
  installed: boolean;
  /** `2.6.12-1+deb12u4`, or null when not installed or unreadable. */
  version: string | null;
  prometheusExporter: boolean;
}

export const haproxyBuild = defineFact<Record<string, never>, HaproxyBuild>({
  name: 'tools.haproxy-build',
  command: () => 'if command -v haproxy >/dev/null 2>&1; then haproxy -vv 2>&1 </dev/null || true; else echo no-haproxy; fi',
  parse: (out) => parseHaproxyBuild(out),
});

/** Pure parser of `haproxy -vv` output. */
export function parseHaproxyBuild(out: string): HaproxyBuild {
  if (out.trim() === 'no-haproxy') return { installed: false, version: null, prometheusExporter: false };
  const version = /^HA-?Proxy version (\S+)/m.exec(out)?.[1] ?? null;
  const services = /^Available services\s*:(.*)$/m.exec(out)?.[1]?.trim().split(/\s+/) ?? [];
  return { installed: true, version, prometheusExporter: services.includes('prometheus-exporter') };
}

export function planExporterGuard(b: HaproxyBuild): Plan {
  if (!b.installed) return fail('haproxy is not installed on this host, so its Prometheus exporter cannot be checked');
  if (!b.prometheusExporter) {
    return fail(`HAProxy ${b.version ?? '(unknown version)'} is built without the Prometheus exporter (haproxy -vv lists no prometheus-exporter service): set metrics_frontend.enabled to false, or install a build that has it`);
  }
  return noop(`HAProxy ${b.version ?? '(unknown version)'} has the Prometheus exporter`);
}

export const haproxyExporterGuard = defineModule({
  name: 'haproxy.exporter-guard',
  args: z.object({}).strict(),
  describe: () => 'HAProxy has the Prometheus exporter',
  facts: () => ({ build: haproxyBuild({}) }),
  plan: (_a, { build }) => planExporterGuard(build),
});
