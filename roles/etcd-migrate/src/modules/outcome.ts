/**
 * After the conversion: verify it, or roll it back. The decision is `decideOutcome` (pure);
 * this module gathers its inputs (datastore files, API answer, the node's etcd role, the token,
 * the nodes, the objects without an owner and their UIDs) and, for a rollback, runs the rollback script, which ends by failing the step with
 * what was wrong and what was restored: a rolled-back conversion is never reported as success.
 *
 *   etcdOutcome({ node: 'server1', backupDir, rollbackOnFailure: true, timeoutS: 300,
 *     convert: deferred((ctx) => ctx.result(convert)?.status ?? 'skipped'),
 *     before: deferred((ctx) => ctx.result(inventory)?.data ?? undefined) })
 */
import { change, changes, defineModule, exec, fail, noop, sh, z } from 'capstan';
import { clusterNodes, DEFAULT_DATA_DIR, K3S_BIN, k3sPaths } from '@capstan/k3s-server';
import { clusterInventory, CONFIG_FILE, etcdHostState } from '../facts.ts';
import { INVENTORY_PIPELINE, describeInventory, keptText } from '../inventory.ts';
import { decideOutcome } from '../rollback.ts';

/**
 * The rollback. Its stdin is the `Kind/namespace/name uid` list of the objects that must be back
 * (keptText): after the restore, each must exist with that UID, or the rollback fails saying which.
 */
export function rollbackScript(backupDir: string, problems: readonly string[], timeoutS: number, dataDir: string = DEFAULT_DATA_DIR) {
  const reasons = problems.join('; ');
  return sh`set -e; want=$(cat); b=${backupDir}; s=${k3sPaths(dataDir).server}; c=${CONFIG_FILE}; k=${K3S_BIN}; t=${String(timeoutS)}; why=${reasons}; ts=$(date +%s); ` + [
    'systemctl stop k3s',
    '(cd "$b" && sha256sum -c --quiet SHA256SUMS)',
    'mv "$s/db" "$s/db.failed-etcd-$ts"',
    'cp -a "$b/db" "$s/db"',
    'install -m 0600 "$b/token" "$s/token"',
    'if [ -f "$b/config.yaml" ]; then install -m 0600 "$b/config.yaml" "$c"; else rm -f "$c"; fi',
    '(cd "$s" && sha256sum -c --quiet "$b/SHA256SUMS")',
    'systemctl start k3s || true',
    'end=$(( $(date +%s) + t )); until [ "$("$k" kubectl get --raw=/readyz 2>/dev/null)" = ok ]; do [ "$(date +%s)" -lt "$end" ] || { echo "rolled back the files, but K3s did not become ready within ${t}s" >&2; exit 1; }; sleep 2; done',
    `got=$(${INVENTORY_PIPELINE})`,
    'wf=$(mktemp)', 'printf "%s\\n" "$want" > "$wf"',
    'missing=$(printf "%s\\n" "$got" | awk \'FNR == NR { if ($0 != "") need[$0] = 1; next } { delete need[$1 " " $2] } END { for (x in need) print x }\' "$wf" - | head -n 5 | tr "\\n" " ")',
    'rm -f "$wf"',
    'if [ -n "$missing" ]; then echo "rolled back, but objects taken in the inventory before the migration are not back: $missing" >&2; exit 1; fi',
    'echo "conversion to etcd failed: $why. Rolled back: server/db, the token and config.yaml restored from $b (manifest verified), k3s running on SQLite, every object without an owner from the inventory taken before is back with its UID. The failed etcd data is kept in $s/db.failed-etcd-$ts." >&2',
    'exit 1',
  ].join(' && ');
}

const status = z.enum(['changed', 'ok', 'failed', 'skipped', 'unreachable']).transform((s) => (s === 'unreachable' ? 'failed' : s));

export const etcdOutcome = defineModule({
  name: 'etcd.outcome',
  args: z.object({
    node: z.string().min(1),
    backupDir: z.string().min(1),
    dataDir: z.string().min(1).default(DEFAULT_DATA_DIR),
    rollbackOnFailure: z.boolean(),
    timeoutS: z.number().int().positive(),
    convert: status,
    before: z.object({
      total: z.number(), counts: z.record(z.string(), z.number()), sha256: z.string(), kept: z.array(z.string()), rv: z.record(z.string(), z.string()),
      nodes: z.array(z.string()).optional(),
    }).nullable().optional(),
  }).strict(),
  describe: () => 'verify the conversion (or roll it back)',
  facts: (a) => ({ st: etcdHostState({ backupDir: a.backupDir, dataDir: a.dataDir }), inv: clusterInventory(), nodes: clusterNodes() }),
  plan: (a, { st, inv, nodes }) => {
    const before = a.before ?? undefined;
    const etcdRole = nodes?.some((n) => n.name === a.node && n.etcd) ?? false;
    const o = decideOutcome({
      convert: a.convert, host: st, before, after: inv, etcdRole, rollbackOnFailure: a.rollbackOnFailure, backupPresent: st.backupPresent,
      nodesBefore: before?.nodes ?? [], nodesAfter: nodes?.map((n) => n.name) ?? null,
    });
    if (o.action === 'keep') return noop(`${o.summary}${inv ? `; ${describeInventory(inv)}` : ''}`);
    if (o.action === 'halt') return fail(`the conversion is not healthy: ${o.problems.join('; ')}. ${o.remediation}`);
    return changes(change(`roll back to SQLite from ${a.backupDir} (${o.problems.join('; ')})`, exec(rollbackScript(a.backupDir, o.problems, a.timeoutS, a.dataDir), { stdin: keptText(before), timeoutMs: (a.timeoutS + 120) * 1000 })));
  },
  affects: ['k3s', 'etcd', 'file'],
});
