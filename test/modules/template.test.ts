/**
 * template, as a specification: the escapers (each proven by parsing its output back), EJS
 * rendering with variables as data (strict undefined with file:line, no option injection,
 * no re-templating, secrets), then facts in, plan out, and a run through the engine.
 *
 *   node --import tsx --test test/modules/template.test.ts
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { Secret } from '../../src/commands/secret.ts';
import { definePlaybook } from '../../src/define/playbook.ts';
import type { PutSpec } from '../../src/define/plan.ts';
import { lineinfile } from '../../src/modules/lineinfile.ts';
import { template, templateArgs } from '../../src/modules/template.ts';
import { escapers, type EscapeName } from '../../src/modules/template/escapers.ts';
import { renderTemplate, TemplateError } from '../../src/modules/template/render.ts';
import { HOSTILE } from '../connectors/support/hostile.ts';
import { testInventory } from '../support/inventory.ts';
import { runWithFakes } from '../support/run.ts';

const FIXTURES = fileURLToPath(new URL('../fixtures/templates/', import.meta.url));
const render = (text: string, vars: Record<string, unknown> = {}, escape: EscapeName = 'none') => renderTemplate({ text, file: 't.ejs', vars, escape }).text;
const renderError = (text: string, vars: Record<string, unknown> = {}, escape: EscapeName = 'none'): TemplateError => {
  try {
    renderTemplate({ text, file: 't.ejs', vars, escape });
  } catch (e) {
    if (e instanceof TemplateError) return e;
    throw e;
  }
  throw new Error('rendered without an error');
};
const PRINTABLE = HOSTILE.filter((s) => !s.includes('\0'));

describe('escapers', () => {
  it('yaml: every hostile string reads back as the same string, under YAML 1.2 and 1.1', () => {
    for (const s of PRINTABLE) {
      const doc = `key: ${escapers.yaml(s)}\n`;
      assert.equal(parseYaml(doc).key, s, doc.slice(0, 80));
      assert.equal(parseYaml(doc, { version: '1.1' }).key, s, doc.slice(0, 80));
    }
  });

  it('yaml: plain when unambiguous, quoted when a plain scalar would change type', () => {
    const table: [unknown, string][] = [
      ['web1', 'web1'], ['no', '"no"'], ['On', '"On"'], ['null', '"null"'], ['~', '"~"'], ['0644', '"0644"'], ['1.10', '"1.10"'],
      ['', '""'], ['a: b', '"a: b"'], ['tab\tx', '"tab\\tx"'], ['ANSI\u001b[31m', '"ANSI\\x1b[31m"'], ['it\'s', '"it\'s"'],
      [8080, '8080'], [NaN, '.nan'], [-Infinity, '-.inf'], [true, 'true'], [null, 'null'],
      [['a', 'b c', 1], '[a, "b c", 1]'], [{ port: 1, 'x y': ['z'] }, '{port: 1, "x y": [z]}'],
    ];
    for (const [v, want] of table) assert.equal(escapers.yaml(v), want, String(v));
    assert.deepEqual(parseYaml(`v: ${escapers.yaml({ a: [1, 'no', null], b: { c: 'x: y' } })}`).v, { a: [1, 'no', null], b: { c: 'x: y' } });
  });

  it('json: every hostile string reads back; values are JSON literals', () => {
    for (const s of HOSTILE) assert.equal(JSON.parse(escapers.json(s)), s);
    assert.equal(escapers.json({ a: [1, null] }), '{"a":[1,null]}');
    assert.throws(() => escapers.json(10n), /cannot be written as JSON: Do not know how to serialize a BigInt/);
  });

  it('shell: every hostile string reaches a POSIX shell as one word, byte for byte', () => {
    for (const s of PRINTABLE) {
      assert.equal(execFileSync('sh', ['-c', `printf '%s' ${escapers.shell(s)}`], { encoding: 'utf8', maxBuffer: 1 << 24 }), s);
    }
    assert.equal(execFileSync('sh', ['-c', `printf '[%s]' ${escapers.shell(['a b', '', "it's", 7])}`], { encoding: 'utf8' }), "[a b][][it's][7]");
    assert.throws(() => escapers.shell('a\0b'), /NUL/);
  });

  it('ini: plain text passes, newlines, control characters and edge whitespace are refused', () => {
    assert.equal(escapers.ini('a b; #c'), 'a b; #c');
    assert.equal(escapers.ini('tab\tx'), 'tab\tx');
    for (const s of ['line1\nline2', 'cr\r', 'ANSI\u001b[31m', 'a\u2028b', 'a\0b']) assert.throws(() => escapers.ini(s), /newline or control character/);
    for (const s of [' ', ' x', 'x ']) assert.throws(() => escapers.ini(s), /whitespace/);
  });

  it('haproxy: one word, single-quoted when needed; newlines and tabs refused', () => {
    const table: [string, string][] = [
      ['web1', 'web1'], ['10.0.0.1:6443', '10.0.0.1:6443'], ['a b', "'a b'"], ["it's", "'it'\\''s'"], ['#comment', "'#comment'"],
      ['$HOME', "'$HOME'"], ['"', `'"'`], ['\\', "'\\'"], ['', "''"], ['%s%n', '%s%n'], ['*', '*'], ['é中😀', 'é中😀'],
    ];
    for (const [v, want] of table) assert.equal(escapers.haproxy(v), want);
    for (const s of ['line1\nline2', 'cr\r', 'tab\tx']) assert.throws(() => escapers.haproxy(s), /newline, tab or control character/);
  });

  it('every escaper refuses undefined, and the text ones refuse objects with a hint', () => {
    for (const name of ['none', 'yaml', 'json', 'shell', 'ini', 'haproxy'] as const) {
      assert.throws(() => escapers[name](undefined), /undefined \(a missing variable or property\)/, name);
    }
    assert.throws(() => escapers.none({ a: 1 }), /an object, which cannot be written as text; render it with json\(v\) or yaml\(v\)/);
    assert.throws(() => escapers.none(null), /null/);
    assert.throws(() => escapers.none(() => 1), /function/);
    assert.throws(() => escapers.none(NaN), /NaN/);
  });
});

describe('rendering: variables are data', () => {
  it('<%= never HTML-escapes by default', () => {
    assert.equal(render('<%= v %>', { v: `<a href="x">&'` }), `<a href="x">&'`);
  });

  it('applies the chosen escaper to <%= and never escapes a helper result twice', () => {
    assert.equal(render('k: <%= v %>\n', { v: 'no' }, 'yaml'), 'k: "no"\n');
    assert.equal(render('k: <%= yaml(v) %>\n', { v: 'no' }, 'yaml'), 'k: "no"\n');
    assert.equal(render('ExecStart=/bin/app <%= shell(v) %> <%= json(n) %>', { v: ['a b'], n: 'x' }), `ExecStart=/bin/app 'a b' "x"`);
  });

  it('renders every hostile string byte for byte, and never renders template code in data', () => {
    for (const s of HOSTILE) assert.equal(render('[<%= v %>]', { v: s }), `[${s}]`);
    assert.equal(render('<%= a %> <%- b %>', { a: '<%= process.env %>', b: '<%- 7*7 %>' }), '<%= process.env %> <%- 7*7 %>');
  });

  it('a variable named like an EJS option (or __proto__, constructor) changes nothing', () => {
    const text = 'a=<%= a %>\n<% if (a) { -%>\nyes\n<% } -%>\n';
    const options = {
      delimiter: '?', openDelimiter: '[', closeDelimiter: ']', debug: true, client: true, escape: 'x', escapeFunction: 'x', compileDebug: false,
      strict: true, _with: false, localsName: 'data', filename: '/etc/passwd', root: '/', views: ['/'], outputFunctionName: 'x;process.exit(1)',
      destructuredLocals: ['a;process.exit(1)'], async: true, cache: true, context: {}, rmWhitespace: true, includer: 'x', legacyInclude: false,
    };
    const hostile = Object.assign(JSON.parse('{"__proto__": {"polluted": 1}, "constructor": "c"}') as Record<string, unknown>, options, { a: 1 });
    assert.equal(render(text, hostile), render(text, { a: 1 }));
    assert.equal(render('<%= delimiter %> <%= debug %> <%= constructor %> <%= json(__proto__) %>', hostile), '? true c {"polluted":1}');
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it('keeps the template bytes: CRLF, no final newline, multibyte', () => {
    assert.equal(render('a\r\n<%= v %>\r\nz', { v: 'é中😀' }), 'a\r\né中😀\r\nz');
  });
});

describe('rendering: strict undefined, with file and line', () => {
  it('names the missing variable and the template file:line', () => {
    const path = join(FIXTURES, 'undefined.ejs');
    const e = (() => {
      try {
        renderTemplate({ text: readFileSync(path, 'utf8'), file: path, path, vars: { port: 1 }, escape: 'none' });
      } catch (err) {
        return err as TemplateError;
      }
      throw new Error('rendered');
    })();
    assert.equal(e.variable, 'prot');
    assert.equal(e.line, 4);
    assert.match(e.message, new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:4: undefined variable "prot" \\(not in vars\\)\\n  4 \\| value <%= prot %>$`));
  });

  it('refuses host globals that are not variables', () => {
    for (const name of ['process', 'console', 'require', 'escape', 'global', 'constructor', '__proto__']) {
      assert.equal(renderError(`<%= ${name} %>`).variable, name);
    }
  });

  it('refuses an undefined property, naming the expression, with <%= and <%- alike', () => {
    assert.match(renderError('a\n<%= s.port %>', { s: {} }).message, /^t\.ejs:2: "s\.port": the value is undefined/);
    assert.match(renderError('<%- s.port %>', { s: {} }).message, /^t\.ejs:1: "s\.port": the value is undefined/);
    assert.match(renderError('<%- obj %>', { obj: { a: 1 } }).message, /an object, which cannot be written as text/);
  });

  it('tests optional variables with typeof or defined()', () => {
    assert.equal(render('<%= typeof tls === "undefined" ? "off" : tls %> <%= defined("tls") %>'), 'off false');
    assert.equal(render('<%= defined("tls") ? tls : "off" %>', { tls: 'on' }), 'on');
  });

  it('lets template code use its own variables and standard globals', () => {
    assert.equal(render('<% var total = 0; for (const x of xs) total += x; %><%= total %> <%= Math.max(...xs) %> <%= JSON.stringify(xs) %>', { xs: [1, 2] }), '3 2 [1,2]');
  });

  it('reports template code that does not compile', () => {
    const e = renderError('<% if (a) { %>x');
    assert.equal(e.line, undefined);
    assert.match(e.message, /^t\.ejs: the template does not compile: .*is every \{ or \( opened/);
    assert.match(renderError('<%= a').message, /matching close tag/);
  });
});

describe('rendering: includes and secrets', () => {
  const renderFile = (name: string, vars: Record<string, unknown>) => {
    const path = join(FIXTURES, name);
    return renderTemplate({ text: readFileSync(path, 'utf8'), file: path, path, vars, escape: 'none' });
  };

  it('includes a partial beside the template, with extra variables', () => {
    assert.equal(renderFile('main.ejs', { name: 'app' }).text, '[main]\n[extra]\nname = app\nend app\n');
  });

  it('reports an undefined variable in a partial with the partial file:line', () => {
    assert.throws(() => renderFile('broken-partial.ejs', {}), (e: TemplateError) => {
      assert.equal(e.file, join(FIXTURES, 'partial-undefined.ejs'));
      assert.equal(e.line, 2);
      assert.match(e.message, /undefined variable "nope"[\s\S]*included from .*broken-partial\.ejs:2/);
      return true;
    });
  });

  it('refuses include() in inline content', () => {
    assert.match(renderError("<%- include('x') %>").message, /include\(\) needs a template file/);
  });

  it('renders Secrets as their values and marks the output secret', () => {
    const r = renderTemplate({ text: '<%= a %> <%= db.pw %> <%= list[0] %>', file: 't', vars: { a: 'x', db: { pw: new Secret('s3cret-pw') }, list: [new Secret('tok-1234')] }, escape: 'none' });
    assert.deepEqual(r, { text: 'x s3cret-pw tok-1234', secret: true });
    assert.equal(renderTemplate({ text: '<%= a %>', file: 't', vars: { a: 'x' }, escape: 'none' }).secret, false);
  });
});

describe('template: facts in, plan out', () => {
  const args = (a: Record<string, unknown>) => templateArgs.parse({ dest: '/etc/app.env', ...a });
  const plan = (a: Record<string, unknown>, st: unknown = null) => template.definition.plan(args(a) as never, { st } as never);
  const sha = (s: string) => execFileSync('sh', ['-c', 'printf %s "$0" | sha256sum | cut -d" " -f1', s], { encoding: 'utf8' }).trim();

  it('renders at plan time and writes like copy, with the diff', () => {
    const p = plan({ content: 'A=<%= a %>\n', vars: { a: 1 } });
    const spec = (p.changes[0]!.actions[0] as { file: PutSpec }).file;
    assert.deepEqual([String(spec.content), spec.mode], ['A=1\n', '0644']);
    assert.deepEqual(p.changes[0]!.diff, { path: '/etc/app.env', before: null, after: 'A=1\n' });
  });

  it('changes nothing when the file already has the rendered content', () => {
    const st = { type: 'file', mode: '0644', owner: 'root', group: 'root', size: 4, sha256: sha('A=1\n') };
    assert.deepEqual(plan({ content: 'A=<%= a %>\n', vars: { a: 1 } }, st), { changes: [], noop: '/etc/app.env has the wanted content, mode and owner' });
  });

  it('fails the plan with file:line and the variable, in check mode too', () => {
    const p = plan({ src: join(FIXTURES, 'undefined.ejs') });
    assert.match(p.error ?? '', /^template .*undefined\.ejs:4: undefined variable "prot"/);
    assert.match(plan({ src: join(FIXTURES, 'nope.ejs') }).error ?? '', /^cannot read template .*nope\.ejs/);
  });

  it('keeps a __proto__ variable given as data', () => {
    const p = plan({ content: '<%= __proto__ %>', vars: JSON.parse('{"__proto__": "kept"}') });
    assert.equal(String((p.changes[0]!.actions[0] as { file: PutSpec }).file.content), 'kept');
  });

  it('a Secret makes the file secret: Secret content, 0600, hashes in the diff', () => {
    const st = { type: 'file', mode: '0600', owner: 'root', group: 'root', size: 3, sha256: 'old-sha' };
    const p = plan({ src: join(FIXTURES, 'app.env.ejs'), vars: { name: 'app', token: new Secret('canary-token-1') } }, st);
    const spec = (p.changes[0]!.actions[0] as { file: PutSpec }).file;
    assert.ok(spec.content instanceof Secret);
    assert.equal(spec.mode, '0600');
    const diff = p.changes[0]!.diff!;
    assert.equal(diff.secret, true);
    assert.equal(diff.before, 'old-sha');
    assert.doesNotMatch(JSON.stringify(diff), /canary-token-1/);
  });

  it('refuses src and content together, bad escapes and non-object vars', () => {
    assert.equal(templateArgs.safeParse({ dest: '/x', src: 'a', content: 'b' }).success, false);
    assert.equal(templateArgs.safeParse({ dest: '/x', content: 'b', escape: 'html' }).success, false);
    assert.equal(templateArgs.safeParse({ dest: '/x', content: 'b', vars: ['a'] }).success, false);
  });
});

describe('template through the engine, on real files', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'capstan-template-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const run = (steps: ReturnType<typeof template>[], check = false, diff = false) =>
    runWithFakes(definePlaybook({ plays: [{ name: 'p', hosts: 'all', gatherFacts: false, steps }] }), testInventory({ all: ['h'] }), { check, diff });

  it('check shows a later lineinfile the rendered file; apply converges', async () => {
    const dest = join(dir, 'haproxy.cfg');
    const vars = { maxconn: 100, name: 'k3s', bind: '*', port: 6443, servers: [{ name: 'node 1', address: '10.0.0.1' }] };
    const steps = [
      template({ src: join(FIXTURES, 'haproxy.cfg.ejs'), dest, vars, escape: 'haproxy', validate: 'grep -q backend %s' }),
      lineinfile({ path: dest, regexp: '^\\s+mode ', line: '    mode tcp' }),
    ];
    const check = await run(steps, true);
    assert.deepEqual(check.stepEvents('h').map((e) => [e.result.status, e.result.reason]), [['changed', undefined], ['ok', 'line 6 already reads as wanted']]);
    assert.equal((await run(steps)).recap.hosts.h?.changed, 1);
    const text = readFileSync(dest, 'utf8');
    assert.match(text, /^# managed by capstan\nglobal\n {4}maxconn 100\n/);
    assert.match(text, /\n {4}bind \*:6443\n/);
    assert.match(text, /\nbackend k3s_servers\n {4}server 'node 1' 10\.0\.0\.1:6443 check\n$/);
    assert.equal((await run(steps)).recap.hosts.h?.changed, 0);
    assert.equal((await run(steps, true)).recap.hosts.h?.changed, 0);
  });

  it('a secret variable never appears in events, diffs or check output', async () => {
    const dest = join(dir, 'app.env');
    const steps = [template({ src: join(FIXTURES, 'app.env.ejs'), dest, vars: { name: 'app', token: new Secret('canary-9f8e7d6c') } })];
    const check = await run(steps, true, true);
    const applied = await run(steps, false, true);
    assert.doesNotMatch(JSON.stringify([check.events, applied.events]), /canary-9f8e7d6c/);
    assert.equal(readFileSync(dest, 'utf8'), '# environment for the app, read by sh\nAPP_NAME=app\nAPP_TOKEN=canary-9f8e7d6c\n');
    assert.equal(statSync(dest).mode & 0o777, 0o600);
  });
});
