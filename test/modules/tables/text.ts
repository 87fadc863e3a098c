/** `lineinfile`, `blockinfile` and `replace`: one row or more for each documented option. */
import { lineinfile } from '../../../src/modules/lineinfile.ts';
import { blockinfile } from '../../../src/modules/blockinfile.ts';
import { replace } from '../../../src/modules/replace.ts';
import { textFileValue } from '../../../src/facts/content.ts';
import type { ModuleTable } from '../../support/module-table.ts';

const text = (t: string, o: { mode?: string; owner?: string; group?: string } = {}) => ({ content: textFileValue(t, { mode: '0644', owner: 'root', group: 'root', ...o }) });
const missing = { content: { exists: false } };
const exact = (s: string) => new RegExp(`^${s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);

export const lineinfileTable: ModuleTable = { module: lineinfile, rows: [
  { name: 'path and line: added at the end when absent', args: { path: '/etc/hosts', line: '10.0.0.5 db1' }, facts: text('127.0.0.1 localhost\n'),
    want: { changes: [/./] }, diff: exact('127.0.0.1 localhost\n10.0.0.5 db1\n'), runs: /^put \/etc\/hosts mode=0644/ },
  { name: 'regexp: the last matching line is replaced', args: { path: '/c', regexp: '^Port ', line: 'Port 2222' }, facts: text('Port 1\nx\nPort 2\n'), want: { changes: [/./] }, diff: exact('Port 1\nx\nPort 2222\n') },
  { name: 'firstMatch: the first matching line instead', args: { path: '/c', regexp: '^Port ', line: 'Port 2222', firstMatch: true }, facts: text('Port 1\nx\nPort 2\n'), want: { changes: [/./] }, diff: exact('Port 2222\nx\nPort 2\n') },
  { name: 'insertafter: a new line after the last match', args: { path: '/c', line: 'b', insertafter: '^a' }, facts: text('a\nc\n'), want: { changes: [/./] }, diff: exact('a\nb\nc\n') },
  { name: 'insertbefore BOF', args: { path: '/c', line: 'first', insertbefore: 'BOF' }, facts: text('a\n'), want: { changes: [/./] }, diff: exact('first\na\n') },
  { name: 'backrefs: the line uses the match, and nothing is added without one', args: { path: '/c', regexp: '^(X=.*)"$', line: '$1 q"', backrefs: true }, facts: text('X="a"\n'), want: { changes: [/./] }, diff: exact('X="a q"\n') },
  { name: 'backrefs without a match changes nothing', args: { path: '/c', regexp: '^Y=', line: 'Y=1', backrefs: true }, facts: text('X=1\n'), want: { noop: /./ } },
  { name: 'state absent: every matching line goes', args: { path: '/c', regexp: '^#', state: 'absent' }, facts: text('#a\nb\n#c\n'), want: { changes: [/./] }, diff: exact('b\n') },
  { name: 'create: a missing file is created', args: { path: '/new', line: 'x', create: true }, facts: missing, want: { changes: [/./] }, diff: exact('x\n'), runs: /mkdir -p -- \/\nput \/new mode=0644/ },
  { name: 'without create a missing file is an error', args: { path: '/new', line: 'x' }, facts: missing, want: { error: /./ } },
  { name: 'mode, owner and group of an unchanged file are corrected', args: { path: '/c', line: 'a', mode: '0600', owner: 'app', group: 'app' }, facts: text('a\n'),
    want: { changes: [/0600/, /app:app/] } },
  { name: 'validate and backup travel with the write', args: { path: '/etc/sudoers', line: 'x', validate: 'visudo -cf %s', backup: true }, facts: text('a\n'), want: { changes: [/./] }, runs: /validate=visudo -cf %s backup=true$/ },
] };

export const blockinfileTable: ModuleTable = { module: blockinfile, rows: [
  { name: 'path and block: added at the end between the default markers', args: { path: '/etc/hosts', block: '10.0.0.5 db1' }, facts: text('a\n'), want: { changes: [/./] },
    diff: exact('a\n# BEGIN MANAGED BLOCK\n10.0.0.5 db1\n# END MANAGED BLOCK\n') },
  { name: 'marker, markerBegin and markerEnd name the markers', args: { path: '/c', block: 'x', marker: '## {mark} app', markerBegin: 'START', markerEnd: 'STOP' }, facts: text(''), want: { changes: [/./] }, diff: exact('## START app\nx\n## STOP app\n') },
  { name: 'insertbefore puts a new block before the last match', args: { path: '/c', block: 'x', insertbefore: '^Match ' }, facts: text('a\nMatch all\n'), want: { changes: [/./] },
    diff: exact('a\n# BEGIN MANAGED BLOCK\nx\n# END MANAGED BLOCK\nMatch all\n') },
  { name: 'insertafter puts a new block after the last match', args: { path: '/c', block: 'x', insertafter: '^a' }, facts: text('a\nb\n'), want: { changes: [/./] },
    diff: exact('a\n# BEGIN MANAGED BLOCK\nx\n# END MANAGED BLOCK\nb\n') },
  { name: 'state absent removes the block', args: { path: '/c', state: 'absent' }, facts: text('a\n# BEGIN MANAGED BLOCK\nx\n# END MANAGED BLOCK\n'), want: { changes: [/./] }, diff: exact('a\n') },
  { name: 'create: a missing file gets the block', args: { path: '/n', block: 'x', create: true }, facts: missing, want: { changes: [/./] }, diff: exact('# BEGIN MANAGED BLOCK\nx\n# END MANAGED BLOCK\n') },
  { name: 'mode, owner, group, validate and backup', args: { path: '/c', block: 'x', mode: '0600', owner: 'a', group: 'b', validate: 'true %s', backup: true }, facts: text(''), want: { changes: [/./] },
    runs: /^put \/c mode=0600 owner=a group=b validate=true %s backup=true$/ },
] };

export const replaceTable: ModuleTable = { module: replace, rows: [
  { name: 'path, regexp and replace: every match, with groups', args: { path: '/c', regexp: '(\\s+)old(\\s|$)', replace: '$1new$2' }, facts: text('a old\nb old x\n'), want: { changes: [/./] }, diff: exact('a new\nb new x\n') },
  { name: 'replace defaults to empty: matches are removed', args: { path: '/c', regexp: ' #.*$' }, facts: text('a # c\n'), want: { changes: [/./] }, diff: exact('a\n') },
  { name: 'after limits the edit to the text after its first match', args: { path: '/c', regexp: '^Listen 80$', replace: 'Listen 8080', after: '<IfModule' }, facts: text('Listen 80\n<IfModule>\nListen 80\n'),
    want: { changes: [/./] }, diff: exact('Listen 80\n<IfModule>\nListen 8080\n') },
  { name: 'before limits the edit to the text before its last match', args: { path: '/c', regexp: '^debug=1$', replace: 'debug=0', before: '^\\[logging\\]' }, facts: text('debug=1\n[logging]\ndebug=1\n'),
    want: { changes: [/./] }, diff: exact('debug=0\n[logging]\ndebug=1\n') },
  { name: 'nothing matches: ok', args: { path: '/c', regexp: 'zzz', replace: 'y' }, facts: text('a\n'), want: { noop: /./ } },
  { name: 'mode, owner, group, validate and backup', args: { path: '/c', regexp: 'a', replace: 'b', mode: '0640', owner: 'o', group: 'g', validate: 'test -s %s', backup: true }, facts: text('a\n'), want: { changes: [/./] },
    runs: /^put \/c mode=0640 owner=o group=g validate=test -s %s backup=true$/ },
] };
