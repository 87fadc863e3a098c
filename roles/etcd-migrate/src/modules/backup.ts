/**
 * The pre-migration backup on the SQLite server: stop k3s (a consistent copy), copy server/db,
 * the token and config.yaml into `backupDir`, write SHA256SUMS of the originals and check the
 * copies against it, and pack everything into premigration-backup.tar.gz (0600) for the
 * controller. Without the token the backup cannot be restored, so it is always included.
 *
 *   etcdBackup({ backupDir: '/var/lib/rancher/k3s-premigration' })
 *
 * Nothing to do once the datastore is etcd (the backup from the conversion stays in place).
 */
import { DEFAULT_DATA_DIR, k3sInstallState, k3sPaths } from '@capstan/k3s-server';
import { change, changes, defineModule, exec, fail, fileStat, noop, predict, predictUnknown, sh, z } from 'capstan';
import { CONFIG_FILE, etcdHostState } from '../facts.ts';

export const BACKUP_ARCHIVE = 'premigration-backup.tar.gz';

export function backupScript(dir: string, dataDir: string = DEFAULT_DATA_DIR) {
  return sh`set -e; umask 077; b=${dir}; s=${k3sPaths(dataDir).server}; c=${CONFIG_FILE}; t="$b.capstan-tmp"; ` + [
    'systemctl stop k3s',
    'rm -rf "$t"; mkdir -p "$t"',
    'cp -a "$s/db" "$t/db"; cp -a "$s/token" "$t/token"',
    'if [ -f "$c" ]; then cp -a "$c" "$t/config.yaml"; fi',
    '(cd "$s" && find db token -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) > "$t/SHA256SUMS"',
    '(cd "$t" && sha256sum -c --quiet SHA256SUMS)',
    'if [ -f "$c" ]; then cmp -s "$c" "$t/config.yaml"; fi',
    'files="db token SHA256SUMS"; if [ -f "$t/config.yaml" ]; then files="$files config.yaml"; fi',
    `tar -C "$t" -czf "$t/${BACKUP_ARCHIVE}" $files`,
    'chmod 0700 "$t"; rm -rf "$b"; mv "$t" "$b"',
    'echo "backed up $(wc -l < "$b/SHA256SUMS") files, manifest verified"',
  ].join(' && ');
}

export const etcdBackup = defineModule({
  name: 'etcd.backup',
  args: z.object({ backupDir: z.string().min(1), dataDir: z.string().min(1).default(DEFAULT_DATA_DIR) }).strict(),
  describe: (a) => `pre-migration backup in ${a.backupDir}`,
  facts: (a) => ({ st: etcdHostState({ backupDir: a.backupDir, dataDir: a.dataDir }), k3s: k3sInstallState({ unit: 'k3s' }) }),
  plan: (a, { st }) => {
    if (st.datastore === 'etcd') return noop(`already on embedded etcd${st.backupPresent ? `; the pre-migration backup stays in ${a.backupDir}` : ''}`);
    if (st.datastore !== 'sqlite') return fail(`no SQLite datastore to back up (datastore ${st.datastore})`);
    return changes(change(`stop k3s and back up server/db, the token and config.yaml to ${a.backupDir} (SHA-256 manifest verified, archive ${BACKUP_ARCHIVE})`,
      exec(backupScript(a.backupDir, a.dataDir), { timeoutMs: 900_000 })));
  },
  // exactly what changes: k3s stopped, the backup present (later steps under --check stay certain)
  predicts: (a, { st, k3s }) => [
    predict(etcdHostState({ backupDir: a.backupDir, dataDir: a.dataDir }), { ...st, active: false, backupPresent: true }),
    predict(k3sInstallState({ unit: 'k3s' }), { ...k3s, active: false }),
    predictUnknown(fileStat(`${a.backupDir}/${BACKUP_ARCHIVE}`)),
  ],
});
