/**
 * Off-host copies of etcd snapshots that work everywhere: a systemd timer on each server runs
 * a script that copies the snapshot directory and the token (without which no snapshot can be
 * restored) to a backup host over SSH (scp, BatchMode, host key checked against known_hosts).
 *
 *   snapshotCopySteps({ target: 'backup@10.0.0.9:/srv/k3s', identity_file: '/root/.ssh/k3s_backup', port: 22, on_calendar: '*-*-* 00/12:30:00' }, dir, dataDir)
 *   renderCopyScript(cfg, '/var/lib/rancher/k3s/server/db/snapshots')   // the script text (token of the default data directory)
 */
import { copy, systemd, type Step } from 'capstan';
import { DEFAULT_DATA_DIR, k3sPaths } from '@capstan/k3s-server';

export interface SnapshotCopy {
  target: string;
  identity_file: string;
  port: number;
  on_calendar: string;
}

export const COPY_SCRIPT = '/usr/local/sbin/k3s-etcd-snapshot-copy';
export const COPY_UNIT = 'k3s-etcd-snapshot-copy';

const squote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export function splitTarget(target: string): { login: string; dir: string } {
  const i = target.indexOf(':');
  return { login: target.slice(0, i), dir: target.slice(i + 1) };
}

export function renderCopyScript(c: SnapshotCopy, snapshotDir: string, dataDir: string = DEFAULT_DATA_DIR): string {
  const { login, dir } = splitTarget(c.target);
  return [
    '#!/bin/sh',
    '# Managed by Capstan (role etcd-migrate): copies K3s etcd snapshots and the token off this host.',
    'set -eu',
    `src=${squote(snapshotDir)}`,
    `token=${squote(k3sPaths(dataDir).token)}`,
    `login=${squote(login)}`,
    `dir=${squote(dir)}/"$(hostname)"`,
    `key=${squote(c.identity_file)}`,
    `port=${c.port}`,
    'opts="-o BatchMode=yes -o StrictHostKeyChecking=yes -o ConnectTimeout=20"',
    '[ -d "$src" ] || { echo "no snapshot directory $src" >&2; exit 1; }',
    'ssh -i "$key" -p "$port" $opts "$login" "mkdir -p -m 0700 \'$dir\'"',
    'scp -q -p -i "$key" -P "$port" $opts "$token" "$src"/* "$login:$dir/"',
    'echo "copied $(ls -1 "$src" | wc -l) snapshots and the token to $login:$dir"',
    '',
  ].join('\n');
}

export function renderCopyService(): string {
  return ['[Unit]', 'Description=Copy K3s etcd snapshots and the token to the backup host (Capstan etcd-migrate)', 'After=network-online.target', 'Wants=network-online.target', '',
    '[Service]', 'Type=oneshot', `ExecStart=${COPY_SCRIPT}`, ''].join('\n');
}

export function renderCopyTimer(c: SnapshotCopy): string {
  return ['[Unit]', 'Description=Copy K3s etcd snapshots off this host on a schedule', '', '[Timer]', `OnCalendar=${c.on_calendar}`, 'Persistent=true', 'RandomizedDelaySec=5min', '',
    '[Install]', 'WantedBy=timers.target', ''].join('\n');
}

export function snapshotCopySteps(c: SnapshotCopy, snapshotDir: string, dataDir: string = DEFAULT_DATA_DIR): Step[] {
  return [
    copy({ dest: COPY_SCRIPT, content: renderCopyScript(c, snapshotDir, dataDir), mode: '0700' }, { name: 'snapshot copy script' }),
    copy({ dest: `/etc/systemd/system/${COPY_UNIT}.service`, content: renderCopyService(), mode: '0644' }, { name: 'snapshot copy service' }),
    copy({ dest: `/etc/systemd/system/${COPY_UNIT}.timer`, content: renderCopyTimer(c), mode: '0644' }, { name: 'snapshot copy timer' }),
    systemd({ name: `${COPY_UNIT}.timer`, state: 'started', enabled: true, daemonReload: true }, { name: 'snapshot copy timer enabled and running' }),
  ];
}
