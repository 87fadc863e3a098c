/**
 * `reboot`: reboots the host and waits until it is back (a new boot id), then runs
 * `testCommand`.
 *
 *   reboot({ timeoutMs: 600_000, testCommand: 'systemctl is-system-running --wait' },
 *          { when: (ctx) => ctx.result(kernel)?.changed === true })
 *   reboot({ preRebootDelayMs: 5000, rebootCommand: 'shutdown -r now "capstan: new kernel"' })
 *
 * It always reboots when it runs, so it always reports a change (check mode says "would
 * reboot"): guard it with `when` or run it as a handler. The engine starts the reboot,
 * reconnects with a bounded wait and fails the step, with the last connection error, when
 * the host is not back within `timeoutMs`. A container's "reboot" ends its PID 1: the
 * container must be started again by its runtime for the step to see it come back.
 */
import { z } from 'zod';
import { defineModule } from '../define/module.ts';
import { change, changes, exec, reboot as rebootAction, type Action, type Plan } from '../define/plan.ts';
import { sh } from '../commands/quote.ts';

const shellText = (what: string) => z.string().min(1, `${what} must not be empty`).refine((s) => !s.includes('\0'), `${what} must not contain a NUL byte`);

export const rebootArgs = z
  .object({
    timeoutMs: z.number().int().min(1000).max(86_400_000).default(600_000),
    /** Shell text run once the host is back; the step fails when it fails. */
    testCommand: shellText('testCommand').optional(),
    /** Wait this long on the host before rebooting (lets a message reach logged-in users). */
    preRebootDelayMs: z.number().int().min(0).max(3_600_000).default(0),
    /** Shell text that starts the reboot (default: systemctl reboot, then shutdown -r now, then reboot). */
    rebootCommand: shellText('rebootCommand').optional(),
  })
  .strict();

export type RebootArgs = z.output<typeof rebootArgs>;

export const reboot = defineModule({
  name: 'reboot',
  args: rebootArgs,
  describe: () => 'reboot',
  plan: (a) => planReboot(a),
  affects: ['net', 'hostname'],
});

export function planReboot(a: RebootArgs): Plan {
  const actions: Action[] = [];
  if (a.preRebootDelayMs > 0) actions.push(exec(sh`sleep ${(a.preRebootDelayMs / 1000).toFixed(3)}`, { timeoutMs: a.preRebootDelayMs + 15_000 }));
  actions.push(rebootAction({
    timeoutMs: a.timeoutMs,
    ...(a.testCommand ? { testCommand: a.testCommand } : {}),
    ...(a.rebootCommand ? { command: a.rebootCommand } : {}),
  }));
  return changes(change(`reboot, then wait up to ${Math.ceil(a.timeoutMs / 1000)} s for the host to come back`, ...actions));
}
