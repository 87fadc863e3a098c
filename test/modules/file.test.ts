import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { planFile } from '../../src/modules/file.ts';
import type { FileStat } from '../../src/facts/file.ts';
import type { Plan } from '../../src/define/plan.ts';
import { HOSTILE } from '../connectors/support/hostile.ts';

const base = { state: 'file' as const, recursive: false, force: false };
const dir = (o: Partial<FileStat> = {}): FileStat => ({ type: 'directory', mode: '0755', owner: 'root', group: 'root', size: 4096, ...o });
const scripts = (p: Plan) => p.changes.flatMap((c) => c.actions.map((a) => (a.kind === 'exec' ? a.command.script : a.kind)));

describe('file: facts in, plan out', () => {
  it('creates a missing directory, giving created parents the same owner and mode', () => {
    const p = planFile({ ...base, path: '/opt/app/bin', state: 'directory', mode: '0755', group: 'app' }, null);
    assert.deepEqual(p.changes.map((c) => c.summary), ['create directory /opt/app/bin (and missing parents, with the same owner and mode)']);
    assert.match(scripts(p)[0] ?? '', /chown :app -- "\$m" && chmod 0755 -- "\$m"/);
  });

  it('is a no-op, with its reason, when the directory is as wanted', () => {
    const p = planFile({ ...base, path: '/opt/app', state: 'directory', mode: '0755' }, dir());
    assert.deepEqual(p, { changes: [], noop: 'nothing to change' });
  });

  it('corrects only what differs', () => {
    const p = planFile({ ...base, path: '/opt/app', state: 'directory', mode: '0750', owner: 'root', group: 'app' }, dir());
    assert.deepEqual(p.changes.map((c) => c.summary), ['mode 0755 -> 0750', 'owner root:root -> root:app']);
  });

  it('refuses a path of the wrong type instead of replacing it', () => {
    assert.match(planFile({ ...base, path: '/etc/motd', state: 'directory' }, dir({ type: 'file' })).error ?? '', /is a file, not a directory/);
    assert.match(planFile({ ...base, path: '/nope', state: 'file' }, null).error ?? '', /does not exist/);
  });

  it('removes, links and touches', () => {
    assert.deepEqual(planFile({ ...base, path: '/tmp/x', state: 'absent' }, null).noop, '/tmp/x is already absent');
    assert.deepEqual(scripts(planFile({ ...base, path: '/tmp/x', state: 'absent' }, dir())), ['rm -rf -- /tmp/x']);
    const link = { ...base, path: '/usr/local/bin/kubectl', state: 'link' as const, src: '/usr/local/bin/k3s' };
    assert.deepEqual(planFile(link, { ...dir({ type: 'link' }), target: '/usr/local/bin/k3s' }).changes, []);
    assert.deepEqual(scripts(planFile(link, null)), ['ln -sfn -- /usr/local/bin/k3s /usr/local/bin/kubectl']);
    assert.equal(planFile({ ...base, path: '/tmp/t', state: 'touch' }, null).changes[0]?.summary, 'create empty file /tmp/t');
  });

  it('quotes every hostile path as one argument', () => {
    for (const h of HOSTILE.filter((x) => !x.includes('\0'))) {
      const path = `/tmp/${h}`;
      const s = scripts(planFile({ ...base, path, state: 'absent' }, dir()))[0] ?? '';
      assert.ok(s.startsWith('rm -rf -- '), s);
      assert.doesNotMatch(s.slice('rm -rf -- '.length), /^[^']*[;&|`$]/, `unquoted: ${s}`);
    }
  });
});

describe('file: links over existing paths', () => {
  it('refuses to replace a file with a link unless forced', () => {
    const link = { ...base, path: '/etc/x', state: 'link' as const, src: '/opt/x' };
    assert.match(planFile(link, dir({ type: 'file' })).error ?? '', /give force: true/);
    assert.deepEqual(scripts(planFile({ ...link, force: true }, dir({ type: 'file' }))), ['ln -sfn -- /opt/x /etc/x']);
  });
});
