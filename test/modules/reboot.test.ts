/**
 * Table tests of `reboot`: always one change carrying the engine's reboot action, with the
 * optional pre-reboot pause first; argument checks.
 *
 *   node --import tsx --test test/modules/reboot.test.ts
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planReboot, reboot, rebootArgs } from '../../src/modules/reboot.ts';

describe('reboot: planning', () => {
  it('always plans one change: the reboot action with its timeout', () => {
    const p = planReboot(rebootArgs.parse({}));
    assert.equal(p.noop, undefined);
    assert.equal(p.changes[0]?.summary, 'reboot, then wait up to 600 s for the host to come back');
    assert.deepEqual(p.changes[0]?.actions, [{ kind: 'reboot', reboot: { timeoutMs: 600_000 } }]);
    assert.equal(p.changes[0]?.unpredictable, undefined, 'check mode can say for sure that it would reboot');
  });

  it('passes the test and reboot commands, and pauses first when asked', () => {
    const p = planReboot(rebootArgs.parse({ timeoutMs: 120_000, testCommand: 'systemctl is-system-running --wait', preRebootDelayMs: 2500, rebootCommand: "shutdown -r now 'kernel update'" }));
    const [pause, boot] = p.changes[0]?.actions ?? [];
    assert.equal(pause?.kind === 'exec' && pause.command.script, 'sleep 2.500');
    assert.deepEqual(boot, { kind: 'reboot', reboot: { timeoutMs: 120_000, testCommand: 'systemctl is-system-running --wait', command: "shutdown -r now 'kernel update'" } });
  });

  it('refuses empty or NUL commands, tiny timeouts and unknown keys', () => {
    const field = (raw: Record<string, unknown>) => rebootArgs.safeParse(raw).error?.issues[0]?.path[0];
    assert.equal(field({ testCommand: '' }), 'testCommand');
    assert.equal(field({ rebootCommand: 'a\0b' }), 'rebootCommand');
    assert.equal(field({ timeoutMs: 10 }), 'timeoutMs');
    assert.equal(field({ preRebootDelayMs: -1 }), 'preRebootDelayMs');
    assert.equal(rebootArgs.safeParse({ msg: 'x' }).success, false);
  });

  it('later probes of ports and the host name depend on it under --check', () => {
    assert.deepEqual(reboot.definition.affects, ['net', 'hostname']);
  });
});
