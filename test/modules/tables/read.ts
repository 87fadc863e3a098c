/** `waitFor`, `slurp`, `fetch` and `template`: one row or more for each documented option. */
import { createHash } from 'node:crypto';
import { waitFor } from '../../../src/modules/wait-for.ts';
import { slurp } from '../../../src/modules/slurp.ts';
import { fetch } from '../../../src/modules/fetch.ts';
import { template } from '../../../src/modules/template.ts';
import { Secret } from '../../../src/commands/secret.ts';
import type { FileStat } from '../../../src/facts/file.ts';
import type { ModuleTable } from '../../support/module-table.ts';

const sha = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');
const reg = (size: number): FileStat => ({ type: 'file', mode: '0644', owner: 'root', group: 'root', size });
const tpl = new URL('../../fixtures/', import.meta.url).pathname;

export const waitForTable: ModuleTable = { module: waitFor, rows: [
  { name: 'port, host, timeoutMs and delayMs: a closed port is waited for on the host, in one command', args: { port: 5432, host: '10.0.0.5', timeoutMs: 60_000, delayMs: 500 }, facts: { port: 'closed' },
    want: { changes: ['wait up to 60 s for port 5432 on 10.0.0.5 to be open'] }, runs: /h='?10\.0\.0\.5'?; p='?5432'?[\s\S]*end=\$\(\( \$\(date \+%s\) \+ 60 \)\)[\s\S]*sleep 0\.500[\s\S]* timeout=75000$/, predicts: { 'net.port': 'open' } },
  { name: 'an open port: no wait', args: { port: 22 }, facts: { port: 'open' }, want: { noop: /no wait: port 22 on 127\.0\.0\.1 is open/ } },
  { name: 'state absent: waits for the port to close', args: { port: 22, state: 'absent' }, facts: { port: 'open' }, want: { changes: ['wait up to 300 s for port 22 on 127.0.0.1 to be closed'] } },
  { name: 'path: waits for it to exist', args: { path: '/run/app.sock' }, facts: { exists: false }, want: { changes: [/to exist$/] }, predicts: { 'file.exists': true } },
  { name: 'path and search: waits for a matching line', args: { path: '/var/log/app.log', search: 'listening on [0-9]+' }, facts: { matches: false }, want: { changes: [/to match "listening on \[0-9\]\+"$/] }, runs: /grep -Eq/ },
  { name: 'search with state absent is refused', args: { path: '/l', search: 'x', state: 'absent' }, want: { invalid: /search waits for a match/ } },
] };

export const slurpTable: ModuleTable = { module: slurp, rows: [
  { name: 'path: reads the bytes, changes nothing', args: { path: '/etc/hostname' }, facts: { st: reg(4), sha: sha('web\n'), content: { kind: 'ok', base64: Buffer.from('web\n').toString('base64') } },
    want: { noop: /read 4 bytes of \/etc\/hostname/ }, data: (d) => { if ((d as { text: string }).text !== 'web\n') throw new Error(JSON.stringify(d)); } },
  { name: 'maxBytes: a larger file fails the step', args: { path: '/big', maxBytes: 10 }, facts: { st: reg(100), sha: null, content: { kind: 'too-large', size: 100 } }, want: { error: /100 bytes, more than maxBytes \(10\)/ } },
  { name: 'secret: the data is masked everywhere once read', args: { path: '/etc/k', secret: true }, facts: { st: reg(3), sha: sha('tok'), content: { kind: 'ok', base64: Buffer.from('tok').toString('base64') } },
    want: { noop: /read 3 bytes/ }, data: (d) => { if ((d as { text: string }).text !== 'tok') throw new Error('the data keeps the value for the steps that read it'); } },
] };

export const fetchTable: ModuleTable = { module: fetch, rows: [
  { name: 'src and dest with flat: one file to one local path', args: { src: '/etc/hostname', dest: '/tmp/capstan-table-nowhere/h', flat: true }, facts: { st: reg(4), sha: sha('web\n') },
    want: { changes: ['fetch /etc/hostname -> /tmp/capstan-table-nowhere/h (4 bytes)'] }, runs: /^fetch \/etc\/hostname -> \/tmp\/capstan-table-nowhere\/h$/ },
  { name: 'failOnMissing: false makes a missing src ok', args: { src: '/nope', dest: '/tmp/x', flat: true, failOnMissing: false }, facts: { st: null, sha: null }, want: { noop: /does not exist on the host \(failOnMissing: false\)/ } },
  { name: 'failOnMissing defaults to true', args: { src: '/nope', dest: '/tmp/x', flat: true }, facts: { st: null, sha: null }, want: { error: /\/nope does not exist on the host/ } },
  { name: 'without flat the copy goes under dest/<host name>/<src>', args: { src: '/etc/hostname', dest: '/tmp/capstan-table-nowhere' }, facts: { st: reg(4), sha: sha('x'), name: { static: 'web1', live: 'web1', hostnamectl: true, bindMounted: false } },
    want: { changes: [/-> \/tmp\/capstan-table-nowhere\/web1\/etc\/hostname/] } },
] };

export const templateTable: ModuleTable = { module: template, rows: [
  { name: 'content, dest and vars: rendered on the controller, written like copy', args: { content: 'port=<%= port %>\n', dest: '/etc/app.conf', vars: { port: 8080 } }, facts: { st: null, sha: null },
    want: { changes: ['create /etc/app.conf (10 bytes)'] }, diff: /^port=8080\n$/, predicts: { 'file.sha256': sha('port=8080\n') } },
  { name: 'src: a template file', args: { src: `${tpl}nowhere.ejs`, dest: '/etc/x' }, facts: { st: null, sha: null }, want: { error: /cannot read template/ } },
  { name: 'escape: values written for the file\'s format', args: { content: 'v: <%= v %>\n', dest: '/etc/x.yaml', vars: { v: 'a: b' }, escape: 'yaml' }, facts: { st: null, sha: null },
    want: { changes: [/^create/] }, diff: /^v: ["']a: b["']\n$/ },
  { name: 'mode, owner, group, validate and backup', args: { content: 'x', dest: '/etc/x', mode: '0640', owner: 'o', group: 'g', validate: 'true %s', backup: true }, facts: { st: null, sha: null },
    want: { changes: [/^create/] }, runs: /^put \/etc\/x mode=0640 owner=o group=g validate=true %s backup=true$/ },
  { name: 'secret: diffs show hashes only, mode 0600 by default', args: { content: 'k=<%= k %>', dest: '/etc/k', vars: { k: new Secret('s') } }, facts: { st: null, sha: null },
    want: { changes: [/^create/] }, runs: /mode=0600/, diff: new RegExp(`^${sha('k=s')}$`) },
  { name: 'secret: true without a Secret in vars', args: { content: 'k', dest: '/etc/k', secret: true }, facts: { st: null, sha: null }, want: { changes: [/^create/] }, diff: new RegExp(`^${sha('k')}$`) },
  { name: 'an unknown variable fails, in check mode too', args: { content: '<%= nope %>', dest: '/etc/x' }, facts: { st: null, sha: null }, want: { error: /nope/ } },
] };
