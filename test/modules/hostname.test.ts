/**
 * Table tests of `hostname`: the host name fact in, hostnamectl or /etc/hostname + hostname
 * out, the no-op reason, and the honest failure inside a container whose /etc/hostname is
 * a bind mount.
 *
 *   node --import tsx --test test/modules/hostname.test.ts
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hostnameArgs, planHostname } from '../../src/modules/hostname.ts';
import type { HostnameState } from '../../src/facts/hostname.ts';
import type { Plan } from '../../src/define/plan.ts';
import { HOSTILE } from '../connectors/support/hostile.ts';

const plain: HostnameState = { static: 'old', live: 'old', hostnamectl: false, bindMounted: false };

function actions(p: Plan): string[] {
  return p.changes.flatMap((c) => c.actions.map((a) => (a.kind === 'exec' ? a.command.script : a.kind === 'put' ? `put ${a.file.dest} ${JSON.stringify(a.file.content)} ${a.file.mode}` : a.kind)));
}

describe('hostname: planning', () => {
  const table: { name: string; st: HostnameState; want?: string[]; noop?: string; error?: RegExp }[] = [
    { name: 'already named: no-op', st: { ...plain, static: 'web1', live: 'web1' }, noop: 'the host is already called web1' },
    { name: 'systemd: hostnamectl sets both', st: { ...plain, hostnamectl: true }, want: ['hostnamectl set-hostname -- web1'] },
    { name: 'no systemd: write /etc/hostname, then the live name', st: plain, want: ['put /etc/hostname "web1\\n" 0644', 'hostname -- web1'] },
    { name: 'no systemd, only the live name differs', st: { ...plain, static: 'web1' }, want: ['hostname -- web1'] },
    { name: 'no systemd, only the static name differs', st: { ...plain, live: 'web1' }, want: ['put /etc/hostname "web1\\n" 0644'] },
    { name: 'a bind-mounted /etc/hostname fails with the reason', st: { ...plain, hostnamectl: true, bindMounted: true }, error: /bind mount .*docker run --hostname web1/ },
    { name: 'a bind mount does not matter when only the live name differs', st: { ...plain, static: 'web1', hostnamectl: true, bindMounted: true }, want: ['hostnamectl set-hostname -- web1'] },
  ];
  for (const row of table) {
    it(row.name, () => {
      const p = planHostname(hostnameArgs.parse({ name: 'web1' }), row.st);
      if (row.error) return assert.match(p.error ?? '', row.error);
      assert.deepEqual(actions(p), row.want ?? []);
      if (row.noop) assert.equal(p.noop, row.noop);
    });
  }
});

describe('hostname: arguments', () => {
  it('accepts RFC 1123 names and refuses every hostile string by field', () => {
    for (const ok of ['web1', 'db-1.example.internal', 'A', '1host']) assert.equal(hostnameArgs.safeParse({ name: ok }).success, true, ok);
    for (const s of [...HOSTILE, '-web', 'web-', 'a..b', 'x'.repeat(65), 'a_b']) {
      const r = hostnameArgs.safeParse({ name: s });
      if (r.success) {
        assert.ok(/^[A-Za-z0-9]+$/.test(s), `accepted ${JSON.stringify(s)}`);
        continue;
      }
      assert.equal(r.error.issues[0]?.path[0], 'name');
    }
  });
});
