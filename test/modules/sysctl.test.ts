import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import assert from 'node:assert/strict';
import { editSysctlConf, planSysctl, sysctl, sysctlArgs } from '../../src/modules/sysctl.ts';
import type { SysctlFile } from '../../src/facts/sysctl.ts';
import type { Plan } from '../../src/define/plan.ts';
import type { Prediction } from '../../src/define/module.ts';
import { HOSTILE, PWNED } from '../connectors/support/hostile.ts';
import { stepName } from '../../src/define/step.ts';

const FILE = '/etc/sysctl.d/99-capstan.conf';
const file = (content: string | null, dirExists = true): SysctlFile => ({ dirExists, content });

function plan(args: Record<string, unknown>, live: string | null, f: SysctlFile): Plan {
  return planSysctl(sysctlArgs.parse(args), { live, file: f });
}

/** Each change as `summary: script` (or `put <dest>: <content>`). */
const commands = (p: Plan) => p.changes.flatMap((c) => c.actions.map((a) =>
  `${c.summary}: ${a.kind === 'exec' ? a.command.script : a.kind === 'put' ? `put ${a.file.dest} ${a.file.mode} ${JSON.stringify(String(a.file.content))}` : a.kind}`));

describe('sysctl', () => {
  describe('plans from the live value and the file', () => {
    it('sets the live value first, then persists it', () => {
      assert.deepEqual(commands(plan({ name: 'net.core.somaxconn', value: 1024 }, '4096', file(null))), [
        'set net.core.somaxconn 4096 -> 1024 (live): sysctl -q -w -- net.core.somaxconn=1024',
        `set net.core.somaxconn in ${FILE}: put ${FILE} 0644 "net.core.somaxconn=1024\\n"`,
      ]);
    });

    it('only persists when the live value is already right', () => {
      assert.deepEqual(plan({ name: 'net.core.somaxconn', value: '1024' }, '1024', file('# tuning\n')).changes.map((c) => c.summary), [`set net.core.somaxconn in ${FILE}`]);
    });

    it('only sets the live value when the file is already right', () => {
      assert.deepEqual(plan({ name: 'net.core.somaxconn', value: '1024' }, '128', file('net.core.somaxconn=1024\n')).changes.map((c) => c.summary), ['set net.core.somaxconn 128 -> 1024 (live)']);
    });

    it('does nothing when both match, blanks normalised, and says so', () => {
      assert.deepEqual(plan({ name: 'net.ipv4.ip_local_port_range', value: '32768 60999' }, '32768\t60999', file('net.ipv4.ip_local_port_range = 32768   60999\n')), {
        changes: [], noop: `net.ipv4.ip_local_port_range = 32768 60999 in ${FILE} and live`,
      });
    });

    it('with reload false, leaves the live value alone', () => {
      assert.deepEqual(plan({ name: 'vm.swappiness', value: 10, reload: false }, '60', file('vm.swappiness = 10\n')), {
        changes: [], noop: `vm.swappiness = 10 in ${FILE}`,
      });
    });

    it('creates the directory of a custom file', () => {
      const p = plan({ name: 'vm.swappiness', value: 10, reload: false, sysctlFile: '/etc/capstan/sysctl/10-vm.conf' }, '60', file(null, false));
      assert.deepEqual(commands(p)[0], 'create directory of /etc/capstan/sysctl/10-vm.conf: mkdir -p -- /etc/capstan/sysctl');
    });

    it('quotes a hostile value on the command line and writes it as is to the file', () => {
      const p = plan({ name: 'net.core.somaxconn', value: '$(touch /tmp/PWNED)' }, '4096', file(null));
      assert.equal(commands(p)[0], "set net.core.somaxconn 4096 -> $(touch /tmp/PWNED) (live): sysctl -q -w -- 'net.core.somaxconn=$(touch /tmp/PWNED)'");
    });

    it('removes the line with state absent; the live value stays', () => {
      assert.deepEqual(commands(plan({ name: 'net.core.somaxconn', state: 'absent' }, '1024', file('a.b = 1\nnet.core.somaxconn = 1024\n'))), [
        `remove net.core.somaxconn in ${FILE}: put ${FILE} 0644 "a.b = 1\\n"`,
      ]);
      assert.deepEqual(plan({ name: 'net.core.somaxconn', state: 'absent' }, '1024', file(null)), { changes: [], noop: `net.core.somaxconn is not in ${FILE}` });
    });

    it('fails clearly on a key the kernel does not have', () => {
      assert.equal(plan({ name: 'net.ipv4.no_such', value: 1 }, null, file(null)).error,
        'the kernel has no net.ipv4.no_such (/proc/sys/net/ipv4/no_such does not exist): misspelt, or the module that provides it is not loaded');
    });

    it('shows the file change as a diff', () => {
      const p = plan({ name: 'a.b', value: 2 }, '2', file('a.b = 1\n'));
      assert.deepEqual(p.changes[0]?.diff, { path: FILE, before: 'a.b = 1\n', after: 'a.b=2\n' });
    });
  });

  describe('edits the file line by line', () => {
    const table: [string, string | null, string, string | null, string][] = [
      ['appends to a missing file', null, 'a.b', '1', 'a.b=1\n'],
      ['appends after other lines, adding the final newline', '# hi\nc.d = 2', 'a.b', '1', '# hi\nc.d = 2\na.b=1\n'],
      ['replaces a line with another value', 'a.b=0\nc.d = 2\n', 'a.b', '1', 'a.b=1\nc.d = 2\n'],
      ['keeps a line with the same value as written', 'a.b=1\n', 'a.b', '1', 'a.b=1\n'],
      ['matches the slash form and the "-" prefix', '-a/b = 0\n', 'a.b', '1', 'a.b=1\n'],
      ['drops duplicate lines of the key', 'a.b = 1\nx = 0\na.b = 2\n', 'a.b', '1', 'a.b = 1\nx = 0\n'],
      ['leaves comments mentioning the key', '# a.b = 0\n', 'a.b', '1', '# a.b = 0\na.b=1\n'],
      ['does not confuse a longer key', 'a.bc = 0\n', 'a.b', '1', 'a.bc = 0\na.b=1\n'],
      ['removes every line of the key', 'a.b = 1\nx = 0\na.b=2\n', 'a.b', null, 'x = 0\n'],
      ['removing the only line leaves an empty file', 'a.b = 1\n', 'a.b', null, ''],
    ];
    for (const [title, before, name, value, after] of table) it(title, () => assert.equal(editSysctlConf(before, name, value), after));
  });

  describe('arguments', () => {
    const refused: [string, Record<string, unknown>, string][] = [
      ['a name starting with "-"', { name: '-w', value: 1 }, 'name'],
      ['"..": a path out of /proc/sys', { name: 'net/../../etc/passwd', value: 1 }, 'name'],
      ['a value with a newline (a second line in the file)', { name: 'a.b', value: '1\nkernel.panic = 1' }, 'value'],
      ['an empty value', { name: 'a.b', value: '  ' }, 'value'],
      ['state present without a value', { name: 'a.b' }, 'value'],
      ['a file sysctl.d would not read', { name: 'a.b', value: 1, sysctlFile: '/etc/sysctl.d/x' }, 'sysctlFile'],
      ['a relative file', { name: 'a.b', value: 1, sysctlFile: 'x.conf' }, 'sysctlFile'],
    ];
    for (const [title, args, path] of refused) {
      it(`refuses ${title}`, () => assert.equal(sysctlArgs.safeParse(args).error?.issues[0]?.path.join('.'), path));
    }

    it('rejects hostile names with a field error; hostile one-line values reach sysctl byte for byte', () => {
      for (const s of HOSTILE) {
        const byName = sysctlArgs.safeParse({ name: s, value: 1 });
        if (byName.success) assert.match(s, /^[A-Za-z0-9_][A-Za-z0-9_./-]*$/, `accepted ${JSON.stringify(s)}`);
        else assert.equal(byName.error.issues[0]?.path[0], 'name');
        const byValue = sysctlArgs.safeParse({ name: 'net.core.somaxconn', value: s });
        if (!byValue.success) {
          assert.equal(byValue.error.issues[0]?.path[0], 'value');
          continue;
        }
        const action = planSysctl(byValue.data, { live: 'other', file: file(null) }).changes[0]?.actions[0];
        const script = action?.kind === 'exec' ? action.command.script : '';
        const r = spawnSync('sh', ['-c', `sysctl() { printf '%s\\0' "$@"; }; ${script}`], { encoding: 'utf8', cwd: tmpdir() });
        assert.deepEqual(r.stdout.split('\0').slice(0, -1), ['-q', '-w', '--', `net.core.somaxconn=${s.trim()}`], JSON.stringify(s).slice(0, 80));
      }
      assert.equal(existsSync(PWNED), false);
    });
  });

  it('check mode predicts the file, its stat and the live value', () => {
    const predictions = (sysctl.definition.predicts as unknown as (a: unknown, f: unknown) => Prediction[])(
      sysctlArgs.parse({ name: 'net.core.somaxconn', value: 1024 }), { live: '4096', file: file(null) });
    assert.deepEqual(predictions.map((p) => [p.fact.name, p.unknown ? '?' : p.value && typeof p.value === 'object' && 'content' in p.value ? p.value.content : p.fact.name === 'file.stat' ? 'stat' : p.value]), [
      ['sysctl.file', 'net.core.somaxconn=1024\n'], ['file.stat', 'stat'], ['file.sha256', createHash('sha256').update('net.core.somaxconn=1024\n').digest('hex')], ['file.exists', true], ['sysctl.live', '1024'],
    ]);
  });

  it('names its steps from the arguments as written', () => {
    assert.equal(stepName(sysctl({ name: 'net.core.somaxconn', value: 1024 })), 'sysctl net.core.somaxconn');
  });
});
