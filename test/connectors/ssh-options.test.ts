/**
 * The SSH connector's option defaults, as documented in src/connectors/ssh/options.ts.
 *
 *   parseSshOptions({}).keepaliveIntervalMs * parseSshOptions({}).keepaliveCountMax   // 60000
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseSshOptions } from '../../src/connectors/ssh/options.ts';
import { ConfigError } from '../../src/errors.ts';

describe('SSH options', () => {
  it('declares a silent peer dead after a minute of keepalives, not 15 s: a starved live node survives', () => {
    const o = parseSshOptions({});
    assert.equal(o.keepaliveIntervalMs * o.keepaliveCountMax, 60_000);
    assert.equal(o.keepaliveIntervalMs, 15_000);
  });

  it('keeps a host\'s own keepalive settings', () => {
    const o = parseSshOptions({ keepaliveIntervalMs: 500, keepaliveCountMax: 2 });
    assert.deepEqual([o.keepaliveIntervalMs, o.keepaliveCountMax], [500, 2]);
  });

  it('names the host and the option that is wrong', () => {
    assert.throws(() => parseSshOptions({ keepaliveCountMax: 0 }, 'web1'), (e: unknown) =>
      e instanceof ConfigError && /web1: ssh option keepaliveCountMax/.test(e.message));
  });
});
