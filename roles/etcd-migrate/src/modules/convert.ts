/**
 * Converts the SQLite server to embedded etcd: writes config.yaml with `cluster-init: true`
 * (rendered by k3s-server, so a later k3s-server run finds it unchanged), starts k3s and waits
 * for the migration: server/db/etcd present, state.db renamed to state.db.migrated, API ready.
 * Fails fast when K3s comes up on etcd with state.db still in place (the migration failed and
 * K3s skipped it on the restart), with the journal's last lines.
 *
 *   etcdConvert({ config: new Secret(yaml, 'k3s config.yaml'), backupDir, timeoutS: 300 }, { ignoreErrors: true })
 */
import { createHash } from 'node:crypto';
import { change, changes, defineModule, digestOf, exec, fail, noop, predict, predictHashed, put, Secret, secretDiff, sh, z } from 'capstan';
import { DEFAULT_DATA_DIR, K3S_BIN, k3sInstallState, k3sPaths } from '@capstan/k3s-server';
import { CONFIG_FILE, etcdHostState } from '../facts.ts';

export function convertScript(timeoutS: number, dataDir: string = DEFAULT_DATA_DIR) {
  return sh`b=${K3S_BIN}; d=${k3sPaths(dataDir).db}; t=${String(timeoutS)}; end=$(( $(date +%s) + t )); ` + [
    'systemctl start k3s || true',
    'while :; do ' +
      'up=no; [ "$("$b" kubectl get --raw=/readyz 2>/dev/null)" = ok ] && up=yes; ' +
      'if [ -d "$d/etcd" ] && [ -f "$d/state.db.migrated" ] && [ ! -f "$d/state.db" ] && [ $up = yes ]; then echo "migrated to etcd"; exit 0; fi; ' +
      'if [ -d "$d/etcd" ] && [ -f "$d/state.db" ] && [ $up = yes ]; then echo "K3s runs on etcd but state.db was not migrated (the migration failed; K3s skips it once server/db/etcd exists)" >&2; break; fi; ' +
      'if [ "$(date +%s)" -ge "$end" ]; then echo "the migration did not finish within ${t}s" >&2; break; fi; ' +
      'sleep 2; done',
    'journalctl -u k3s -n 20 --no-pager -o cat >&2 || true',
    'exit 1',
  ].join('; ');
}

export const etcdConvert = defineModule({
  name: 'etcd.convert',
  args: z.object({ config: z.instanceof(Secret), backupDir: z.string().min(1), timeoutS: z.number().int().positive(), dataDir: z.string().min(1).default(DEFAULT_DATA_DIR) }).strict(),
  describe: () => 'convert the SQLite datastore to embedded etcd',
  facts: (a) => ({ st: etcdHostState({ backupDir: a.backupDir, dataDir: a.dataDir }), k3s: k3sInstallState({ unit: 'k3s' }) }),
  plan: (a, { st }) => {
    if (st.datastore === 'etcd') return noop('already on embedded etcd (server/db/etcd exists)');
    if (st.datastore !== 'sqlite') return fail(`cannot convert datastore ${st.datastore}: only SQLite converts to etcd`);
    if (!st.backupPresent) return fail(`no verified backup in ${a.backupDir}: refusing to convert without one`);
    return changes({
      ...change('write config.yaml with cluster-init, start k3s and wait for the migration from SQLite to etcd',
        put({ dest: CONFIG_FILE, content: a.config, mode: '0600' }),
        exec(convertScript(a.timeoutS, a.dataDir), { timeoutMs: (a.timeoutS + 60) * 1000 })),
      diff: secretDiff(CONFIG_FILE, undefined, digestOf(a.config.reveal())),
    });
  },
  // config.yaml as written and k3s running, so that a k3s-server run later in the same --check
  // sees both unchanged; the etcd facts (datastore, inventory, members) are known after apply
  predicts: (a, { k3s }) => {
    const body = Buffer.from(a.config.reveal(), 'utf8');
    return [
      ...predictHashed(CONFIG_FILE, { type: 'file', mode: '0600', owner: 'root', group: 'root', size: body.length, sha256: createHash('sha256').update(body).digest('hex') }),
      predict(k3sInstallState({ unit: 'k3s' }), { ...k3s, active: true }),
    ];
  },
  affects: ['etcd'],
});
