/**
 * The K3s systemd unit: enabled and running, and the restart handler.
 *
 *   k3sService({ unit: 'k3s' })                       // enable and start when needed
 *   handlers: { 'restart k3s': k3sRestart({ unit: 'k3s' }) }
 *
 * A start or restart that fails reports the last lines of the unit's journal, so the reason
 * (a refused token, a crash) is in the step's error.
 */
import { change, changes, defineModule, exec, noop, predict, sh, z } from 'capstan';
import { k3sInstallState } from '../facts.ts';

const unit = z.enum(['k3s', 'k3s-agent']);

function withJournal(action: string, name: string) {
  return sh`systemctl ${action} ${name} || { rc=$?; echo ${`systemctl ${action} ${name} failed; last journal lines:`} >&2; journalctl -u ${name} -n 15 --no-pager -o cat >&2 || true; exit $rc; }`;
}

export const k3sService = defineModule({
  name: 'k3s.service',
  args: z.object({ unit }).strict(),
  describe: (a) => `${a.unit} service enabled and running`,
  facts: (a) => ({ st: k3sInstallState({ unit: a.unit }) }),
  plan: (a, { st }) => {
    if (st.enabled && st.active) return noop(`${a.unit} is enabled and active`);
    return changes(
      !st.enabled && change(`enable ${a.unit}`, exec(sh`systemctl enable ${a.unit}`)),
      !st.active && change(`start ${a.unit}`, exec(withJournal('start', a.unit), { timeoutMs: 300_000 })),
    );
  },
  predicts: (a, { st }) => [predict(k3sInstallState({ unit: a.unit }), { ...st, enabled: true, active: true })],
  affects: ['k3s'],
});

export const k3sRestart = defineModule({
  name: 'k3s.restart',
  args: z.object({ unit }).strict(),
  describe: (a) => `restart ${a.unit}`,
  plan: (a) => changes(change(`restart ${a.unit}`, exec(sh`systemctl daemon-reload && ${withJournal('restart', a.unit)}`, { timeoutMs: 300_000 }))),
  affects: ['k3s'],
});
