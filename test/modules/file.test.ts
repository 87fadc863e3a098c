import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { file, planFile } from '../../src/modules/file.ts';
import { treeDiffers } from '../../src/facts/file.ts';
import type { FileStat } from '../../src/facts/file.ts';
import type { Plan } from '../../src/define/plan.ts';
import { HOSTILE } from '../connectors/support/hostile.ts';

const base = { state: 'file' as const, recursive: false, force: false };
const dir = (o: Partial<FileStat> = {}): FileStat => ({ type: 'directory', mode: '0755', owner: 'root', group: 'root', size: 4096, ...o });
const fileArgs = (a: Record<string, unknown>) => file.definition.args.parse(a as never);
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

describe('file: recursive converges the whole tree', () => {
  const tree = { ...base, path: '/srv/app', state: 'directory' as const, recursive: true, owner: 'app', group: 'app', mode: '0750' };
  const top = dir({ owner: 'app', group: 'app', mode: '0750' });

  it('asks for the first path below that differs, and reads nothing more', () => {
    const refs = Object.values(file.definition.facts!(fileArgs(tree) as never) as Record<string, { key: string }>).map((r) => r.key);
    assert.deepEqual(refs, ['file.stat("/srv/app")', 'file.tree({"group":"app","mode":"0750","owner":"app","path":"/srv/app"})']);
    assert.match(treeDiffers({ path: '/srv/app', owner: 'app', mode: '0750' }).script, /find "\$d" -mindepth 1 \\\( ! -user app -o \\\( ! -type l ! -perm 0750 \\\) \\\) -print -quit/);
  });

  it('changes the tree when the top matches but a child differs', () => {
    const p = planFile(tree, top, { below: '/srv/app/data/x' });
    assert.deepEqual(p.changes.map((c) => c.summary), ['mode -> 0750 below /srv/app (/srv/app/data/x differs)', 'owner -> app:app below /srv/app (/srv/app/data/x differs)']);
    assert.deepEqual(scripts(p), ['chmod -R 0750 /srv/app', 'chown -R app:app /srv/app']);
  });

  it('is ok when neither the top nor any child differs', () => {
    assert.deepEqual(planFile(tree, top, { below: null }), { changes: [], noop: 'nothing to change' });
  });

  it('predicts a converged tree for later steps under --check', () => {
    const predicted = file.definition.predicts!(fileArgs(tree) as never, { st: top, below: '/srv/app/x' } as never);
    assert.deepEqual(predicted.map((p) => [p.fact.name, p.value]), [['file.stat', top], ['file.tree', null]]);
  });

  it('without recursive, only the top is looked at', () => {
    const refs = Object.keys(file.definition.facts!(fileArgs({ ...tree, recursive: false }) as never) as object);
    assert.deepEqual(refs, ['st']);
  });
});

describe('file: hard links', () => {
  const hard = { ...base, path: '/usr/local/bin/kubectl', state: 'hard' as const, src: '/usr/local/bin/k3s' };
  const bin = (inode: number, device = 2049): FileStat => ({ type: 'file', mode: '0755', owner: 'root', group: 'root', size: 9, device, inode });

  it('is done only when path and src are the same file (device and inode)', () => {
    assert.deepEqual(planFile(hard, bin(7), { source: bin(7) }), { changes: [], noop: 'nothing to change' });
    assert.deepEqual(scripts(planFile(hard, bin(8), { source: bin(7) })), ['ln -f -- /usr/local/bin/k3s /usr/local/bin/kubectl']);
    assert.equal(planFile(hard, bin(7, 2050), { source: bin(7) }).changes.length, 1, 'the same inode on another device is another file');
  });

  it('creates the link, and refuses a missing source or a directory in the way', () => {
    assert.deepEqual(planFile(hard, null, { source: bin(7) }).changes.map((c) => c.summary), ['hard link /usr/local/bin/kubectl => /usr/local/bin/k3s']);
    assert.match(planFile(hard, null, { source: null }).error ?? '', /\/usr\/local\/bin\/k3s does not exist/);
    assert.match(planFile(hard, dir(), { source: bin(7) }).error ?? '', /is a directory; give force: true/);
  });

  it('predicts the source file under the new name', () => {
    const predicted = file.definition.predicts!(fileArgs(hard) as never, { st: null, source: bin(7) } as never);
    assert.deepEqual(predicted[0]?.value, bin(7));
  });
});
