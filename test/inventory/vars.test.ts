/**
 * Variable precedence and provenance: which layer sets what, in which order, and who wins.
 * The merged values for every fixture host are also compared with ansible-inventory's
 * output in output.test.ts.
 *
 *   node --import tsx --test test/inventory/vars.test.ts
 */
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../../src/errors.ts';
import { explainVar, formatExplanation } from '../../src/inventory/explain.ts';
import { loadInventory, withPlaybookDir } from '../../src/inventory/load.ts';
import { hostVars } from '../../src/inventory/vars.ts';

const fx = (p: string) => fileURLToPath(new URL(`../fixtures/inventory/${p}`, import.meta.url));

async function tree(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'capstan-inv-'));
  for (const [path, text] of Object.entries(files)) {
    await mkdir(join(dir, path, '..'), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  return dir;
}

describe('hostVars precedence', async () => {
  const inv = await loadInventory(fx('yaml/hosts.yml'));

  it('applies all < parent group < child group < host_vars', () => {
    const hv = hostVars(inv, 'web01');
    assert.equal(hv.vars.http_port, 8081);
    assert.deepEqual(hv.provenance.get('http_port')?.sources.map((s) => [s.label, s.value]), [
      ['inventory group all', 80],
      ['inventory group dc', 81],
      ['inventory group web', 8080],
      ['host_vars/web01', 8081],
    ]);
  });

  it('lets group_vars/all beat inventory-file vars of any group, as Ansible does', () => {
    assert.equal(hostVars(inv, 'db-a').vars.motd, 'from group_vars/all');
    const region = hostVars(inv, 'db-a').provenance.get('region');
    assert.deepEqual(region?.sources.map((s) => [s.label, s.value]), [['inventory group dc', 'eu-west'], ['group_vars/all', 'from group_vars/all']]);
    const tier = hostVars(inv, 'web02').provenance.get('tier');
    assert.deepEqual(tier?.sources.map((s) => s.kind), ['inventory group', 'inventory group', 'group_vars']);
    assert.equal(tier?.value, 'web-base');
  });

  it('orders groups by depth, then ansible_group_priority, then name', () => {
    assert.deepEqual(hostVars(inv, 'web02').groups, ['dc', 'web', 'canary']);
  });

  it('merges a group_vars directory in lexical order, replacing values whole', () => {
    const p = hostVars(inv, 'web03').provenance.get('packages');
    assert.deepEqual(p?.value, ['nginx', 'certbot']);
    assert.deepEqual(p?.sources.map((s) => s.file?.split('/').slice(-2).join('/')), ['web/10-base.yml', 'web/20-extra.yaml']);
  });

  it('reads group_vars JSON files and host_vars directories', () => {
    const hv = hostVars(inv, 'db-a');
    assert.equal(hv.vars.http_port, 5432);
    assert.equal(hv.vars.db_engine, 'postgres');
    assert.equal(hv.vars.role, 'replica-a');
    assert.equal(hv.vars.backup, true);
  });

  it('puts host vars from the inventory file below host_vars', () => {
    const r = hostVars(inv, 'db-a').provenance.get('role');
    assert.deepEqual(r?.sources.map((s) => [s.kind, s.value]), [['inventory host', 'replica'], ['host_vars', 'replica-a']]);
  });

  it('places role defaults below and play vars and extra vars above the inventory', () => {
    const hv = hostVars(inv, 'web01', {
      roleDefaults: { label: 'role nginx defaults', vars: { http_port: 1, worker_count: 4 } },
      playVars: { label: 'play "site" vars', vars: { http_port: 2 } },
      extraVars: [{ label: 'extra vars (-e)', vars: { http_port: 3 } }, { label: 'extra vars (-e @x.yml)', vars: { http_port: 4 } }],
    });
    assert.equal(hv.vars.worker_count, 4);
    assert.equal(hv.vars.http_port, 4);
    const kinds = hv.provenance.get('http_port')?.sources.map((s) => s.kind);
    assert.deepEqual(kinds, ['role defaults', 'inventory all', 'inventory group', 'inventory group', 'host_vars', 'play vars', 'extra vars', 'extra vars']);
  });

  it('names file, line and column of the winning value', () => {
    const w = hostVars(inv, 'web-extra').provenance.get('http_port')?.winner;
    assert.deepEqual([w?.file, w?.line, w?.col, w?.keyPath], [fx('yaml/hosts.yml'), 26, 15, 'all.children.dc.children.web.hosts.web-extra:2222.http_port']);
  });

  it('rejects an unknown host with the nearest name', () => {
    assert.throws(() => hostVars(inv, 'web1'), (e: unknown) => e instanceof ConfigError && /did you mean "web01"/.test(e.message));
  });

  it("gives Ansible's implicit localhost a local connection and the all vars", () => {
    const hv = hostVars(inv, 'localhost');
    assert.equal(hv.vars.ansible_connection, 'local');
    assert.equal(hv.vars.ntp_server, 'ntp.internal');
  });
});

describe('group priority', () => {
  it('lets a higher ansible_group_priority win between groups of the same depth', async () => {
    const dir = await tree({
      'hosts.yml': 'all:\n  children:\n    a:\n      hosts: { h: }\n      vars: { x: a, ansible_group_priority: 5 }\n    b:\n      hosts: { h: }\n      vars: { x: b }\n',
    });
    const hv = hostVars(await loadInventory(join(dir, 'hosts.yml')), 'h');
    assert.equal(hv.vars.x, 'a');
    assert.deepEqual(hv.groups, ['b', 'a']);
  });

  it('otherwise breaks ties by group name', async () => {
    const dir = await tree({ 'hosts.ini': '[b]\nh\n[a]\nh\n[a:vars]\nx=a\n[b:vars]\nx=b\n' });
    assert.equal(hostVars(await loadInventory(join(dir, 'hosts.ini')), 'h').vars.x, 'b');
  });
});

describe('group_vars and host_vars beside the playbook', () => {
  it('rank above those beside the inventory', async () => {
    const dir = await tree({
      'inv/hosts.ini': '[web]\nweb1\n',
      'inv/group_vars/web.yml': 'x: inventory\ny: inventory\n',
      'inv/host_vars/web1.yml': 'z: inventory\n',
      'play/group_vars/web.yml': 'x: playbook\n',
      'play/host_vars/web1.yml': 'z: playbook\n',
      'play/group_vars/all.yml': 'y: playbook all\n',
    });
    const inv = await withPlaybookDir(await loadInventory(join(dir, 'inv/hosts.ini')), join(dir, 'play'));
    const hv = hostVars(inv, 'web1');
    assert.deepEqual([hv.vars.x, hv.vars.y, hv.vars.z], ['playbook', 'inventory', 'playbook']);
    assert.deepEqual(hv.provenance.get('y')?.sources.map((s) => s.kind), ['playbook group_vars/all', 'group_vars']);
  });

  it('warn about files that match no group or host', async () => {
    const dir = await tree({ 'hosts.ini': '[web]\nweb1\n', 'group_vars/webservers.yml': 'x: 1\n' });
    const inv = await loadInventory(join(dir, 'hosts.ini'));
    assert.ok(inv.warnings.some((w) => /webservers\* matches no group/.test(w.message)));
  });

  it('report YAML problems in variable files with file:line:col', async () => {
    const dir = await tree({ 'hosts.ini': '[web]\nweb1\n', 'group_vars/web.yml': 'ok: 1\nmode: 0755\n' });
    await assert.rejects(loadInventory(join(dir, 'hosts.ini')), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.deepEqual([e.problems[0]?.file, e.problems[0]?.line, e.problems[0]?.col, e.problems[0]?.keyPath], [join(dir, 'group_vars/web.yml'), 2, 7, 'mode']);
      return true;
    });
  });

  it('refuse vault-encrypted variable files when no vault password is given (test/vault opens them)', async () => {
    const dir = await tree({ 'hosts.ini': '[web]\nweb1\n', 'group_vars/web.yml': '$ANSIBLE_VAULT;1.1;AES256\n3131\n' });
    await assert.rejects(loadInventory(join(dir, 'hosts.ini')), /group_vars\/web\.yml:1:1: this file is vault-encrypted, and no vault password was given/);
  });
});

describe('explainVar', async () => {
  const inv = await loadInventory(fx('yaml/hosts.yml'));

  it('lists each layer with its value and source, and marks the winner', () => {
    const e = explainVar(inv, 'web01', 'http_port', { extraVars: { label: 'extra vars (-e)', vars: { http_port: 1 } } });
    assert.equal(e.value, 1);
    assert.deepEqual(e.layers.map((l) => [l.label, l.value, l.wins]), [
      ['inventory group all', 80, false],
      ['inventory group dc', 81, false],
      ['inventory group web', 8080, false],
      ['host_vars/web01', 8081, false],
      ['extra vars (-e)', 1, true],
    ]);
    const text = formatExplanation(e, { cwd: fx('yaml') });
    assert.match(text, /^web01: http_port = 1\n/);
    assert.match(text, /host_vars\/web01 +8081 +host_vars\/web01\.yml:1:1 \(key http_port\)$/m);
    assert.match(text, /extra vars \(-e\) +1 +<- wins/);
  });

  it('surfaces the Jinja warning of the variable', () => {
    const e = explainVar(inv, 'web01', 'greeting');
    assert.equal(e.layers[0]?.jinja, true);
    assert.equal(e.warnings.length, 1);
    assert.match(formatExplanation(e), /Jinja text, not evaluated/);
  });

  it('suggests a close name for an undefined variable', () => {
    const e = explainVar(inv, 'web01', 'http_prot');
    assert.equal(e.defined, false);
    assert.equal(e.suggestion, 'http_port');
  });
});
