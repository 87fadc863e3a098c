/**
 * Reboots a host and waits for it: start the reboot in the background, drop the connection,
 * reconnect with a bounded wait until the host answers with a new boot id, then run the
 * test command.
 *
 *   await rebootHost(session, { timeoutMs: 600_000, testCommand: 'systemctl is-system-running --wait' }, become);
 */
import type { RebootSpec } from '../define/plan.ts';
import type { Become, Connector } from '../connectors/connector.ts';
import { CommandError, ConnectionError } from '../errors.ts';
import type { HostSession } from './session.ts';

/** The kernel's boot id plus PID 1's start time: changes on a reboot, and on a container restart too. */
const BOOT_ID = `printf '%s %s\\n' "$(cat /proc/sys/kernel/random/boot_id)" "$(cut -d' ' -f22 /proc/1/stat)"`;
const DEFAULT_COMMAND = 'systemctl reboot || shutdown -r now || reboot';

export async function rebootHost(session: HostSession, spec: RebootSpec, become: Become | undefined, pollMs = 2000): Promise<void> {
  if (!session.newConnector) throw new CommandError(session.host, 'reboot', null, '', '', 0, `${session.host}: cannot reconnect after a reboot with this connector`);
  const before = (await session.exec({ script: BOOT_ID, become })).stdout.trim();
  const start = `nohup sh -c ${shellWord(`sleep 1; ${spec.command ?? DEFAULT_COMMAND}`)} >/dev/null 2>&1 &`;
  await session.exec({ script: start, become, timeoutMs: 15_000 }).catch((e: unknown) => {
    if (!(e instanceof ConnectionError)) throw e;
  });
  await session.connector.close().catch(() => undefined);
  const deadline = Date.now() + spec.timeoutMs;
  let lastError = 'no answer yet';
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, pollMs));
    const next: Connector = session.newConnector();
    try {
      await next.connect();
      const id = (await next.exec({ script: BOOT_ID, become, timeoutMs: 10_000 })).stdout.trim();
      if (id && id !== before) {
        session.replaceConnector(next);
        return await testAfter(session, spec, become);
      }
      lastError = 'the host answers with the same boot id (it has not rebooted yet)';
    } catch (e) {
      lastError = (e as Error).message;
    }
    await next.close().catch(() => undefined);
  }
  throw new ConnectionError(session.host, `did not come back within ${spec.timeoutMs} ms after the reboot: ${lastError}`, 'timeout');
}

async function testAfter(session: HostSession, spec: RebootSpec, become: Become | undefined): Promise<void> {
  if (!spec.testCommand) return;
  const r = await session.exec({ script: spec.testCommand, become, timeoutMs: Math.max(10_000, spec.timeoutMs) });
  if (r.exitCode !== 0) throw new CommandError(session.host, spec.testCommand, r.exitCode, r.stdout, r.stderr, r.durationMs, `${session.host}: back after the reboot, but "${spec.testCommand}" failed (exit ${r.exitCode}): ${r.stderr.trim()}`);
}

function shellWord(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
