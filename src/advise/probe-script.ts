/**
 * The one read-only command the advisor sends to each host: batch sections for CPU (sampled
 * once a second over the window), memory, disk, load and the K3s layout. Nothing is written.
 *
 *   const sections = adviseSections(5);
 *   const { script, marker } = buildBatch(sections);   // one exec, one round trip
 *   // cpu:  t <ns> / cpu <jiffies...> / cg <ns>   repeated 6 times, one second apart
 *   // mem:  MemTotal / MemAvailable lines, and `cg LIMIT USAGE INACTIVE_FILE` in a container
 *   // disk: the df -Pk line of /var/lib/rancher/k3s (or /)
 *   // load: /proc/loadavg and the CPU count
 *   // k3s:  `unit server`, `datastore etcd`, `manifest monitoring-loki.yaml`, `alerting receivers`,
 *   //       `offsite s3`, `offsite copy-timer`, `active server`...
 *
 * A node that is a container (PID 1 in a cgroup of its own, as with systemd in Docker or
 * LXC) shares /proc/stat and /proc/meminfo with its host machine, so its CPU is read from
 * its cgroup's usage against its CPU quota and its memory against its memory limit.
 */
import type { BatchSection } from '../engine/batch.ts';

export const K3S_DATA_DIR = '/var/lib/rancher/k3s';

/** Prints the cgroup path of PID 1 for a v1 controller ($1), or for v2 when $1 is empty; /init.scope dropped. */
const CGROUP_PATH = [
  `cgpath() { awk -F: -v c="$1" 'c=="" && $1=="0" {print $3; exit} c!="" {n=split($2,a,","); for(i=1;i<=n;i++) if(a[i]==c){print $3; exit}}' /proc/1/cgroup 2>/dev/null | sed 's#/init\\.scope$##'; }`,
  `own() { [ -n "$1" ] && [ "$1" != / ]; }`,
].join('\n');

function cpuScript(seconds: number): string {
  return [
    CGROUP_PATH,
    `V1=; V2=; p=$(cgpath cpuacct)`,
    `if own "$p"; then for m in /sys/fs/cgroup/cpuacct /sys/fs/cgroup/cpu,cpuacct; do [ -r "$m$p/cpuacct.usage" ] && V1=$m$p && break; done; fi`,
    `if [ -z "$V1" ] && [ -e /sys/fs/cgroup/cgroup.controllers ]; then p=$(cgpath ''); own "$p" && [ -r "/sys/fs/cgroup$p/cpu.stat" ] && V2=/sys/fs/cgroup$p; fi`,
    `if [ -n "$V1" ]; then q=$(cgpath cpu); for m in /sys/fs/cgroup/cpu /sys/fs/cgroup/cpu,cpuacct; do [ -r "$m$q/cpu.cfs_quota_us" ] && echo "quota $(cat "$m$q/cpu.cfs_quota_us") $(cat "$m$q/cpu.cfs_period_us")" && break; done; fi`,
    `[ -n "$V2" ] && echo "quota $(cat "$V2/cpu.max" 2>/dev/null || echo max 100000)"`,
    `echo "cpus $(nproc 2>/dev/null || grep -c ^processor /proc/cpuinfo)"`,
    `use() { if [ -n "$V1" ]; then cat "$V1/cpuacct.usage"; else awk '$1=="usage_usec" {printf "%.0f\\n", $2 * 1000}' "$V2/cpu.stat"; fi; }`,
    `i=0`,
    `while :; do`,
    `  echo "t $(date +%s%N)"; head -n1 /proc/stat`,
    `  if [ -n "$V1$V2" ]; then echo "cg $(use)"; fi`,
    `  [ "$i" -ge ${seconds} ] && break`,
    `  i=$((i + 1)); sleep 1`,
    `done`,
  ].join('\n');
}

const MEMORY_SCRIPT = [
  CGROUP_PATH,
  `grep -E '^(MemTotal|MemAvailable):' /proc/meminfo`,
  `p=$(cgpath memory)`,
  `if own "$p" && [ -r "/sys/fs/cgroup/memory$p/memory.limit_in_bytes" ]; then d=/sys/fs/cgroup/memory$p`,
  `  echo "cg $(cat "$d/memory.limit_in_bytes") $(cat "$d/memory.usage_in_bytes") $(awk '$1=="total_inactive_file" {print $2}' "$d/memory.stat")"`,
  `elif [ -e /sys/fs/cgroup/cgroup.controllers ]; then p=$(cgpath '')`,
  `  if own "$p" && [ -r "/sys/fs/cgroup$p/memory.max" ]; then d=/sys/fs/cgroup$p`,
  `    echo "cg $(cat "$d/memory.max") $(cat "$d/memory.current") $(awk '$1=="inactive_file" {print $2}' "$d/memory.stat")"`,
  `  fi`,
  `fi`,
].join('\n');

const DISK_SCRIPT = `t=/; [ -d ${K3S_DATA_DIR} ] && t=${K3S_DATA_DIR}; df -Pk "$t" | tail -n 1`;

const LOAD_SCRIPT = `cat /proc/loadavg; echo "cpus $(nproc 2>/dev/null || grep -c ^processor /proc/cpuinfo)"`;

const K3S_SCRIPT = [
  `K=${K3S_DATA_DIR}`,
  `{ [ -e /etc/systemd/system/k3s.service ] || [ -e /etc/init.d/k3s ]; } && echo 'unit server'`,
  `{ [ -e /etc/systemd/system/k3s-agent.service ] || [ -e /etc/init.d/k3s-agent ]; } && echo 'unit agent'`,
  `if [ -d "$K/server" ]; then`,
  `  if [ -x "$K/server" ] && { [ ! -d "$K/server/db" ] || [ -x "$K/server/db" ]; }; then`,
  `    echo 'server-dir'`,
  `    [ -d "$K/server/db/etcd" ] && echo 'datastore etcd'`,
  `    [ -e "$K/server/db/state.db" ] && echo 'datastore sqlite'`,
  `    for f in "$K"/server/manifests/monitoring-*.yaml; do [ -e "$f" ] && echo "manifest \${f##*/}"; done
    grep -qs 'useExistingSecret: true' "$K"/server/manifests/monitoring-*.yaml && echo 'alerting receivers'`,
  `  else echo 'unreadable'; fi`,
  `fi`,
  `grep -Eqs '^etcd-s3: *true' /etc/rancher/k3s/config.yaml && echo 'offsite s3'`,
  `[ -e /etc/systemd/system/k3s-etcd-snapshot-copy.timer ] && echo 'offsite copy-timer'`,
  `command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet k3s && echo 'active server'`,
  `command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet k3s-agent && echo 'active agent'`,
  `true`,
].join('\n');

/** The sections of the advisor's batch; `sampleSeconds` is the CPU window (whole seconds, at least 1). */
export function adviseSections(sampleSeconds: number): BatchSection[] {
  const seconds = Math.max(1, Math.round(sampleSeconds));
  return [
    { id: 'k3s', script: K3S_SCRIPT },
    { id: 'mem', script: MEMORY_SCRIPT },
    { id: 'disk', script: DISK_SCRIPT },
    { id: 'load', script: LOAD_SCRIPT },
    { id: 'cpu', script: cpuScript(seconds) },
  ];
}
