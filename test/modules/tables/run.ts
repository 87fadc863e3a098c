/** `command`, `shell` and `group`: one row or more for each documented option. */
import { command, shell } from '../../../src/modules/command.ts';
import { group } from '../../../src/modules/group.ts';
import { Secret } from '../../../src/commands/secret.ts';
import type { ModuleTable } from '../../support/module-table.ts';

const none = { guards: { creates: null, removes: null } };

export const commandTable: ModuleTable = { module: command, rows: [
  { name: 'argv: each word quoted, and without creates/removes it cannot be predicted', args: { argv: ['echo', "it's"] }, facts: none,
    want: { changes: [/^run echo /] }, runs: /^exec echo 'it'\\''s'$/ },
  { name: 'chdir, env and timeoutMs reach the command', args: { argv: ['make'], chdir: '/src', env: { CC: 'gcc' }, timeoutMs: 5000 }, facts: none,
    want: { changes: ['run make'] }, runs: /^export CC=gcc && cd -- \/src && \{ exec make\n\} timeout=5000$/ },
  { name: 'stdin is given to the command, a Secret included', args: { argv: ['cat'], stdin: new Secret('pw') }, facts: none, want: { changes: ['run cat'] }, runs: /stdin=\*\*\*$/ },
  { name: 'creates: a no-op when the path exists', args: { argv: ['init'], creates: '/var/lib/app/ok' }, facts: { guards: { creates: true, removes: null } }, want: { noop: /\/var\/lib\/app\/ok exists/ } },
  { name: 'creates: runs when it does not, and predicts the path', args: { argv: ['init'], creates: '/var/lib/app/ok' }, facts: { guards: { creates: false, removes: null } }, want: { changes: ['run init'] },
    predicts: { 'file.exists': true, 'file.stat': 'unknown' } },
  { name: 'removes: a no-op when the path is already gone', args: { argv: ['cleanup'], removes: '/tmp/lock' }, facts: { guards: { creates: null, removes: false } }, want: { noop: /\/tmp\/lock does not exist/ } },
] };

export const shellTable: ModuleTable = { module: shell, rows: [
  { name: 'script runs as shell text', args: { script: 'echo $HOME | wc -c' }, facts: none, want: { changes: ['run echo $HOME | wc -c'] }, runs: /^echo \$HOME \| wc -c$/ },
  { name: 'chdir, env, stdin and timeoutMs', args: { script: 'cat', chdir: '/srv', env: { A: '1' }, stdin: 'in', timeoutMs: 1000 }, facts: none, want: { changes: ['run cat'] }, runs: /^export A=1 && cd -- \/srv && \{ cat\n\} timeout=1000 stdin=in$/ },
  { name: 'creates and removes together', args: { script: 'mv a b', creates: '/b', removes: '/a' }, facts: { guards: { creates: false, removes: true } }, want: { changes: ['run mv a b'] },
    predicts: { 'file.guards': { creates: true, removes: false } } },
] };

export const groupTable: ModuleTable = { module: group, rows: [
  { name: 'name and gid: a missing group is created with its gid', args: { name: 'app', gid: 2345 }, facts: { current: null }, want: { changes: ['create group app (gid 2345)'] },
    runs: /^groupadd -g 2345 -- app$/, predicts: { 'group.info': { name: 'app', gid: 2345 } } },
  { name: 'system: a system group', args: { name: 'app', system: true }, facts: { current: null }, want: { changes: ['create group app'] }, runs: /^groupadd -r -- app$/ },
  { name: 'gid differs: changed in place', args: { name: 'app', gid: 2000 }, facts: { current: { name: 'app', gid: 1000 } }, want: { changes: ['gid of app 1000 -> 2000'] }, runs: /^groupmod -g 2000 -- app$/ },
  { name: 'state absent removes it', args: { name: 'app', state: 'absent' }, facts: { current: { name: 'app', gid: 1000 } }, want: { changes: ['remove group app'] }, runs: /^groupdel -- app$/ },
  { name: 'an all-digit name is refused', args: { name: '1000' }, want: { invalid: /must not be all digits/ } },
] };
