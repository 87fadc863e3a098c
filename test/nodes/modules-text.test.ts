/**
 * template, lineinfile, blockinfile and replace on a throwaway node, through the whole
 * lifecycle: check (changes nothing: filesystem snapshot), apply, apply again (zero
 * changes), check again (zero changes), then every file compared byte for byte. Hostile
 * strings travel as file contents, template values and parts of paths.
 *
 *   node --import tsx --test test/nodes/modules-text.test.ts
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { quote } from '../../src/commands/quote.ts';
import { Secret } from '../../src/commands/secret.ts';
import { definePlaybook } from '../../src/define/playbook.ts';
import type { Step } from '../../src/define/step.ts';
import { blockinfile } from '../../src/modules/blockinfile.ts';
import { shell } from '../../src/modules/command.ts';
import { file } from '../../src/modules/file.ts';
import { lineinfile } from '../../src/modules/lineinfile.ts';
import { replace } from '../../src/modules/replace.ts';
import { template } from '../../src/modules/template.ts';
import { renderTemplate } from '../../src/modules/template/render.ts';
import { dockerSkipReason, runScenario, startNodes, type NodeSet } from '../../src/testing/index.ts';
import { HOSTILE, HOSTILE_FILE_NAMES, PWNED } from '../connectors/support/hostile.ts';

const skip = await dockerSkipReason();
const HAPROXY_TEMPLATE = fileURLToPath(new URL('../fixtures/templates/haproxy.cfg.ejs', import.meta.url));

const DIR = `/opt/capstan text/é中😀 it's $(touch ${PWNED}) #x`;
const NAMES_DIR = `${DIR}/names`;
const NAMES = HOSTILE_FILE_NAMES.filter((n) => n.length < 100);
const ENV_VALUES = HOSTILE.filter((s) => !s.includes('\0'));
const HAPROXY_NAMES = ["it's", `$(touch ${PWNED})`, '#comment', 'a b', '"', '\\', 'é中😀', '*', '-rf', '{{ 7*7 }}'];
const MARKER = `# {mark} capstan $(touch ${PWNED})`;
const SEEDED = `${DIR}/seeded.conf`;
const SEED = 'Port 22\r\n#PasswordAuthentication yes\r\nServerName old.example.com\r\nlast line without newline';

const haproxyVars = {
  maxconn: 100, name: 'k3s', bind: '*', port: 6443,
  servers: HAPROXY_NAMES.map((name, i) => ({ name, address: `10.0.0.${i + 1}` })),
};

function steps(): Step[] {
  return [
    file({ path: NAMES_DIR, state: 'directory' }, { name: 'directories' }),
    template({ src: HAPROXY_TEMPLATE, dest: `${DIR}/haproxy.cfg`, vars: haproxyVars, escape: 'haproxy', validate: 'grep -q "^backend " %s' }, { name: 'haproxy.cfg' }),
    template({
      content: `${ENV_VALUES.map((_, i) => `V${i}=<%= v[${i}] %>`).join('\n')}\nTOKEN=<%= token %>\n`,
      dest: `${DIR}/app.env`, vars: { v: ENV_VALUES, token: new Secret('canary-5e6f7a8b') }, escape: 'shell', validate: 'sh -n %s',
    }, { name: 'app.env' }),
    lineinfile({ path: `${DIR}/sshd_config`, regexp: '^#?Port ', line: 'Port 2222', create: true }, { name: 'port' }),
    lineinfile({ path: `${DIR}/sshd_config`, regexp: '^#?PasswordAuthentication ', line: 'PasswordAuthentication no' }, { name: 'password auth' }),
    lineinfile({ path: `${DIR}/sshd_config`, line: `AllowUsers it's $(touch ${PWNED}) \${IFS}`, insertafter: '^Port ' }, { name: 'allow users' }),
    blockinfile({ path: `${DIR}/hosts`, block: `${HOSTILE.join('\n')}\n`, marker: MARKER, create: true, validate: 'grep -q . %s' }, { name: 'hostile block' }),
    shell({ script: `printf '%s' ${quote(SEED)} > ${quote(SEEDED)}`, creates: SEEDED }, { name: 'seed' }),
    lineinfile({ path: SEEDED, regexp: '^#?PasswordAuthentication ', line: 'PasswordAuthentication no' }, { name: 'seeded: password auth' }),
    replace({ path: SEEDED, regexp: '^ServerName old\\.(.*)$', replace: 'ServerName new.$1' }, { name: 'seeded: server name' }),
    blockinfile({ path: SEEDED, block: 'Match User ops\n  X11Forwarding no', insertafter: '^Port ' }, { name: 'seeded: block' }),
    lineinfile({ path: SEEDED, line: 'Banner none' }, { name: 'seeded: banner' }),
    ...NAMES.map((name, i) => lineinfile({ path: `${NAMES_DIR}/${name}`, line: HOSTILE[i % HOSTILE.length]!.replace(/[\r\n]/g, ' '), create: true }, { name: `name ${i}` })),
  ];
}

function expected(): Map<string, string> {
  const files = new Map<string, string>();
  const tpl = readFileSync(HAPROXY_TEMPLATE, 'utf8');
  files.set(`${DIR}/haproxy.cfg`, renderTemplate({ text: tpl, file: HAPROXY_TEMPLATE, vars: haproxyVars, escape: 'haproxy' }).text);
  files.set(`${DIR}/sshd_config`, `Port 2222\nAllowUsers it's $(touch ${PWNED}) \${IFS}\nPasswordAuthentication no\n`);
  const mark = (m: string) => MARKER.replace('{mark}', m);
  files.set(`${DIR}/hosts`, `${mark('BEGIN')}\n${HOSTILE.join('\n')}\n${mark('END')}\n`);
  files.set(SEEDED, 'Port 22\r\n# BEGIN MANAGED BLOCK\r\nMatch User ops\n  X11Forwarding no\r\n# END MANAGED BLOCK\r\n'
    + 'PasswordAuthentication no\r\nServerName new.example.com\r\nlast line without newline\r\nBanner none\r\n');
  NAMES.forEach((name, i) => files.set(`${NAMES_DIR}/${name}`, `${HOSTILE[i % HOSTILE.length]!.replace(/[\r\n]/g, ' ')}\n`));
  return files;
}

describe('text modules on a throwaway node', { skip }, () => {
  let set: NodeSet;
  before(async () => {
    set = await startNodes({ count: 1 });
  }, { timeout: 15 * 60_000 });
  after(async () => set?.destroy());

  const bytes = async (path: string) => {
    const r = await set.exec('node1', ['base64', '-w0', '--', path]);
    assert.equal(r.exitCode, 0, `${path}: ${r.stderr}`);
    return Buffer.from(r.stdout, 'base64');
  };

  it('converge through check, apply, apply again and check again; files match byte for byte', { timeout: 10 * 60_000 }, async () => {
    const list = steps();
    const playbook = definePlaybook({ name: 'text modules', plays: [{ name: 'text', hosts: 'all', gatherFacts: false, steps: list }] });
    const report = await runScenario({ playbook, nodes: set });
    assert.equal(report.apply.recap.hosts.node1?.changed, list.length);
    assert.equal(report.applyAgain.recap.hosts.node1?.ok, list.length);
    const checked = report.check.events.filter((e) => e.type === 'host.step');
    assert.ok(checked.every((e) => e.type === 'host.step' && e.result.status === 'changed'), 'check reports every step as a change');

    for (const [path, text] of expected()) assert.deepEqual((await bytes(path)).toString('utf8'), text, path);
    const cfg = (await bytes(`${DIR}/haproxy.cfg`)).toString('utf8');
    assert.match(cfg, /\n {4}bind \*:6443\n/);
    assert.ok(cfg.includes(`\n    server 'it'\\''s' 10.0.0.1:6443 check\n    server '$(touch ${PWNED})' 10.0.0.2:6443 check\n`), cfg);

    const script = `. "$1" && printf '%s\\0' ${ENV_VALUES.map((_, i) => `"$V${i}"`).join(' ')} "$TOKEN"`;
    const env = await set.exec('node1', ['sh', '-c', script, 'sh', `${DIR}/app.env`]);
    assert.equal(env.exitCode, 0, env.stderr);
    assert.deepEqual(env.stdout.split('\0').slice(0, -1), [...ENV_VALUES, 'canary-5e6f7a8b']);
    assert.equal((await set.exec('node1', ['stat', '-c', '%a', '--', `${DIR}/app.env`])).stdout.trim(), '600');
    assert.doesNotMatch(JSON.stringify([report.check.events, report.apply.events]), /canary-5e6f7a8b/);
    assert.equal((await set.exec('node1', ['test', '-e', PWNED])).exitCode, 1, `${PWNED} must not exist`);
  });
});
