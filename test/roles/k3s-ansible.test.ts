/**
 * Teams coming from k3s-ansible bring their inventories: every k3s-ansible variable the K3s
 * roles can honour is read under its k3s-ansible name, one they cannot is an error naming it
 * and what to write instead, and Jinja that a role would use is an error with the literal to
 * write. Nothing is silently ignored.
 *
 *   node --import tsx --test test/roles/k3s-ansible.test.ts
 */
import assert from 'node:assert/strict';
import { cp, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { k3sAgent } from '@capstan/k3s-agent';
import { k3sArgsToConfig, k3sServer } from '@capstan/k3s-server';
import { etcdJoin, etcdMigrate, etcdRestore } from '@capstan/etcd-migrate';
import { helmMonitoring } from '@capstan/helm-monitoring';
import { k3sReset, k3sUpgrade } from '@capstan/k3s-lifecycle';
import { Secret as SecretValue, type Secret } from '../../src/index.ts';
import { ConfigError, definePlaybook, validatePlaybook } from '../../src/index.ts';
import { roleVars } from '../../src/engine/role-vars.ts';
import { jinjaIdiomLiteral } from '../../src/engine/jinja-idioms.ts';
import { loadInventoryView } from '../../src/inventory/view.ts';
import stage1 from '../../playbooks/stage1-single-node.ts';
import stage3 from '../../playbooks/stage3-multi-node.ts';

const fx = (p: string) => fileURLToPath(new URL(`../fixtures/inventory/k3s-ansible/${p}`, import.meta.url));
const opts = { extraVars: {}, tags: [], skipTags: [] };

function validationError(f: () => unknown): ConfigError {
  try {
    f();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  assert.fail('expected a validation error');
}

describe('k3s-ansible command-line arguments as config.yaml keys', () => {
  const cases: [string, Record<string, unknown>][] = [
    ['--disable traefik --disable servicelb', { disable: ['traefik', 'servicelb'] }],
    ['--tls-san=k3s.lan --cluster-init', { 'tls-san': ['k3s.lan'], 'cluster-init': true }],
    ["--node-taint 'CriticalAddonsOnly=true:NoExecute' --flannel-backend=none", { 'node-taint': ['CriticalAddonsOnly=true:NoExecute'], 'flannel-backend': 'none' }],
    ['--kubelet-arg max-pods=150 --kubelet-arg=eviction-hard=memory.available<100Mi', { 'kubelet-arg': ['max-pods=150', 'eviction-hard=memory.available<100Mi'] }],
    ['--node-label a=1#x', { 'node-label': ['a=1#x'] }],
    ['', {}],
  ];
  for (const [args, want] of cases) it(JSON.stringify(args), () => assert.deepEqual(k3sArgsToConfig(args), want));
  it('refuses a word that is not a flag', () => assert.throws(() => k3sArgsToConfig('traefik --disable'), /"traefik" is not a --flag/));
});

describe('the Jinja idioms of k3s-ansible inventories, read to the literal they stand for', () => {
  const inv = { groupHosts: (g: string) => (g === 'server' ? ['s1', 's2'] : []), hostVars: (h: string) => (h === 's1' ? { ansible_host: '10.0.0.1' } : {}) };
  const cases: [string, string | undefined][] = [
    ["{{ hostvars[groups['server'][0]]['ansible_host'] | default(groups['server'][0]) }}", '10.0.0.1'],
    ["{{ hostvars[groups['server'][1]]['ansible_host'] | default(groups['server'][1]) }}", 's2'],
    ['{{ groups["server"][0] }}', 's1'],
    ["{{ hostvars['s1'].ansible_host }}", '10.0.0.1'],
    ["{{ hostvars['s2'].ansible_host | default('fallback') }}", 'fallback'],
    ["{{ lookup('env', 'X') }}", undefined],
  ];
  for (const [expr, want] of cases) it(expr, () => assert.equal(jinjaIdiomLiteral(expr, inv), want));
});

describe("k3s-ansible's sample inventory", () => {
  for (const [name, pb] of [['stage 1', stage1], ['stage 3', stage3]] as const) {
    it(`${name}: api_endpoint's Jinja is an error with the first server's address as the fix`, async () => {
      const inv = await loadInventoryView([fx('sample/inventory.yml')]);
      const e = validationError(() => validatePlaybook(pb, inv, opts));
      assert.match(e.message, /role k3s-server: "api_endpoint" \(.*sample\/inventory\.yml:\d+:\d+\) holds a Jinja expression, which Capstan does not evaluate/);
      assert.match(e.message, /write the value itself: api_endpoint: "192\.16\.35\.11"/);
      if (name === 'stage 3') assert.match(e.message, /host 192\.16\.35\.12: role k3s-agent: "api_endpoint"/);
    });
  }

  it('with api_endpoint written as the literal, stage 3 validates and the agents join that address', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'capstan-k3s-ansible-'));
    await cp(fx('sample/inventory.yml'), join(dir, 'inventory.yml'));
    const { readFile } = await import('node:fs/promises');
    const text = (await readFile(join(dir, 'inventory.yml'), 'utf8')).replace(/api_endpoint: .*/, 'api_endpoint: 192.16.35.11');
    await writeFile(join(dir, 'inventory.yml'), text);
    const inv = await loadInventoryView([join(dir, 'inventory.yml')]);
    const p = validatePlaybook(stage3, inv, opts);
    assert.deepEqual([...p.allHosts].sort(), ['192.16.35.11', '192.16.35.12', '192.16.35.13']);
    const agent = roleVars(k3sAgent.use(), inv.hostVars('192.16.35.12', []), {}, '192.16.35.12');
    assert.ok(agent.ok);
    assert.equal(agent.vars.server_url, 'https://192.16.35.11:6443');
    assert.equal((agent.vars.token as Secret).reveal(), 'changeme!');
  });
});

describe('a k3s-ansible inventory with group_vars/', () => {
  it('validates for stage 3, each k3s-ansible variable read into the role variable it stands for', async () => {
    const inv = await loadInventoryView([fx('group-vars/hosts.yml')]);
    validatePlaybook(stage3, inv, opts);
    const server = roleVars(k3sServer.use({ mode: 'single' }), inv.hostVars('k3s-1', []), {}, 'k3s-1');
    assert.ok(server.ok, JSON.stringify(!server.ok && server.problems));
    assert.deepEqual(server.vars.extra_config, {
      disable: ['traefik'], 'tls-san': ['k3s.internal'], 'node-taint': ['CriticalAddonsOnly=true:NoExecute'],
      'etcd-snapshot-retention': 10, 'write-kubeconfig-mode': '0600',
    });
    assert.match(String(server.vars.registries_yaml), /registry\.internal:5000/);
    assert.deepEqual(server.vars.fetch_kubeconfig, { dest: '~/.kube/prod-k3s.yaml', context: 'prod-k3s' });
    const agent = roleVars(k3sAgent.use(), inv.hostVars('k3s-2', []), {}, 'k3s-2');
    assert.ok(agent.ok, JSON.stringify(!agent.ok && agent.problems));
    assert.deepEqual(agent.vars.extra_config, { 'node-label': ['tier=workers', 'zone=a'] });
    assert.equal(agent.vars.server_url, 'https://10.20.0.11:6443');
  });

  it('reads k3s_server_location, user_kubectl and cluster_context into the data directory, kubectl for the user and the context name', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'capstan-k3s-ansible-'));
    await cp(fx('group-vars'), dir, { recursive: true });
    const { readFile } = await import('node:fs/promises');
    const all = (await readFile(join(dir, 'group_vars', 'k3s_cluster.yml'), 'utf8')).replace('k3s_server_location: /var/lib/rancher/k3s', 'k3s_server_location: /data/k3s').replace('user_kubectl: false', 'user_kubectl: true');
    await writeFile(join(dir, 'group_vars', 'k3s_cluster.yml'), all);
    const inv = await loadInventoryView([join(dir, 'hosts.yml')]);
    validatePlaybook(stage3, inv, opts);
    const server = roleVars(k3sServer.use({ mode: 'auto' }), inv.hostVars('k3s-1', []), {}, 'k3s-1');
    assert.ok(server.ok, JSON.stringify(!server.ok && server.problems));
    assert.equal(server.vars.k3s_data_dir, '/data/k3s');
    assert.equal(server.vars.user_kubectl, true);
    assert.equal((server.vars.fetch_kubeconfig as { context: string }).context, 'prod-k3s');
    const agent = roleVars(k3sAgent.use(), inv.hostVars('k3s-2', []), {}, 'k3s-2');
    assert.ok(agent.ok);
    assert.equal(agent.vars.k3s_data_dir, '/data/k3s');
    // Every role that touches the data directory reads k3s_server_location too.
    const others = {
      'etcd-migrate': etcdMigrate.use({ etcd_offsite_backup: 'none-i-accept-the-risk' }), 'etcd-join': etcdJoin.use({ etcd_offsite_backup: 'none-i-accept-the-risk' }),
      'etcd-restore': etcdRestore.use({ snapshot: 'on-demand-1', confirm_restore: 'yes' }), 'helm-monitoring': helmMonitoring.use({ grafana: { admin_password: new SecretValue('pw-for-the-spec') } }),
      'k3s-upgrade': k3sUpgrade.use({ k3s_version: 'v1.32.12+k3s1' }), 'k3s-reset': k3sReset.use({ confirm_reset: 'yes' }),
    };
    for (const [name, use] of Object.entries(others)) {
      const r = roleVars(use as never, inv.hostVars('k3s-1', []), {}, 'k3s-1');
      assert.ok(r.ok, `${name}: ${JSON.stringify(!r.ok && r.problems)}`);
      assert.equal(r.vars.k3s_data_dir, '/data/k3s', name);
    }
  });

  it("Capstan's own variable name wins over the k3s-ansible one", async () => {
    const inv = await loadInventoryView([fx('group-vars/hosts.yml')]);
    const r = roleVars(k3sServer.use({ mode: 'single', extra_config: { 'node-name': 'mine' } }), inv.hostVars('k3s-1', []), {}, 'k3s-1');
    assert.ok(r.ok);
    assert.deepEqual(r.vars.extra_config, { 'node-name': 'mine' });
  });

  const refusals: [string, string, RegExp][] = [
    ['server.yml', 'use_external_database: true\n', /cannot honour the k3s-ansible variable "use_external_database" \(.*group_vars\/server\.yml:\d+:\d+\)[^]*→ Capstan's stages use SQLite/],
    ['server.yml', 'user_kubectl: "yes"\n', /the k3s-ansible variable "user_kubectl" \(.*\) cannot be read: must be true or false/],
    ['k3s_cluster.yml', "extra_service_envs: ['HTTP_PROXY=http://proxy:3128']\n", /cannot honour the k3s-ansible variable "extra_service_envs"/],
    ['server.yml', 'server_group: k3s_servers\n', /cannot honour the k3s-ansible variable "server_group"[^]*rename your group to server/],
    ['server.yml', 'extra_server_args: "traefik"\n', /the k3s-ansible variable "extra_server_args" \(.*\) cannot be read: "traefik" is not a --flag/],
  ];
  for (const [file, line, want] of refusals) {
    it(`refuses ${line.trim()} with the variable, its file and line, and what to do`, async () => {
      const dir = await mkdtemp(join(tmpdir(), 'capstan-k3s-ansible-'));
      await cp(fx('group-vars'), dir, { recursive: true });
      const { appendFile } = await import('node:fs/promises');
      if (line.startsWith('extra_server_args')) await writeFile(join(dir, 'group_vars', file), line);
      else await appendFile(join(dir, 'group_vars', file), line);
      const inv = await loadInventoryView([join(dir, 'hosts.yml')]);
      assert.match(validationError(() => validatePlaybook(stage3, inv, opts)).message, want);
    });
  }
});

/** The group_vars inventory with `count` hosts in group server (k3s-1, k3s-4, k3s-5, ...). */
async function serversInventory(count: number) {
  const dir = await mkdtemp(join(tmpdir(), 'capstan-k3s-ansible-'));
  await cp(fx('group-vars'), dir, { recursive: true });
  const { readFile } = await import('node:fs/promises');
  const extra = Array.from({ length: count - 1 }, (_, i) => `        k3s-${i + 4}:\n          ansible_host: 10.20.0.${i + 14}\n`).join('');
  const hosts = (await readFile(join(dir, 'hosts.yml'), 'utf8')).replace('          ansible_host: 10.20.0.11\n', `          ansible_host: 10.20.0.11\n${extra}`);
  await writeFile(join(dir, 'hosts.yml'), hosts);
  return loadInventoryView([join(dir, 'hosts.yml')]);
}

const stepNames = (p: ReturnType<typeof validatePlaybook>, host: string) =>
  p.plays.find((play) => play.definition.name === 'k3s server')?.perHost.get(host)?.steps.map((s) => s.step.options.name ?? '') ?? [];

const configOf = (p: ReturnType<typeof validatePlaybook>, host: string) => {
  const step = p.plays.find((play) => play.definition.name === 'k3s server')?.perHost.get(host)?.steps.find((s) => s.step.options.name === 'K3s config.yaml')?.step;
  return step?.kind === 'module' ? (step.args as { content: Secret }).content.reveal() : '';
};

describe('several servers in stage 1 or 3: one cluster on embedded etcd, never separate clusters', () => {
  it('three servers: the first starts the cluster (cluster-init), the others join it and are waited for as etcd members, one at a time', async () => {
    const inv = await serversInventory(3);
    for (const pb of [stage1, stage3]) {
      const p = validatePlaybook(pb, inv, opts);
      assert.equal(p.plays.find((play) => play.definition.name === 'k3s server')?.definition.serial, 1);
      assert.match(configOf(p, 'k3s-1'), /^cluster-init: true$/m);
      assert.doesNotMatch(configOf(p, 'k3s-1'), /^server:/m);
      for (const h of ['k3s-4', 'k3s-5']) {
        assert.match(configOf(p, h), /^server: https:\/\/10\.20\.0\.11:6443$/m);
        assert.doesNotMatch(configOf(p, h), /cluster-init/);
        assert.ok(stepNames(p, h).includes('etcd member and Ready on k3s-1'), h);
        assert.equal(stepNames(p, h)[0], 'refuse a SQLite datastore in a 3-server cluster');
      }
      assert.equal(stepNames(p, 'k3s-1')[0], 'refuse a SQLite datastore in a 3-server cluster');
      assert.ok(!stepNames(p, 'k3s-1').some((n) => n.startsWith('etcd member')));
    }
  });

  it('the first server stays the one that starts the cluster under --limit (the group decides, not the selection)', async () => {
    const p = validatePlaybook(stage3, await serversInventory(3), { ...opts, limit: 'k3s-1:agent' });
    assert.deepEqual([...p.allHosts].sort(), ['k3s-1', 'k3s-2', 'k3s-3']);
    assert.match(configOf(p, 'k3s-1'), /^cluster-init: true$/m);
  });

  for (const count of [2, 4]) {
    it(`${count} servers are refused, naming the group and the count (etcd needs an odd number)`, async () => {
      const inv = await serversInventory(count);
      for (const pb of [stage1, stage3]) {
        const e = validationError(() => validatePlaybook(pb, inv, opts));
        assert.match(e.message, new RegExp(`role k3s-server: group "server" has ${count} servers \\(k3s-1, k3s-4[^)]*\\); embedded etcd needs an odd number of servers \\(1, 3, 5, \\.\\.\\.\\)`));
      }
    });
  }

  it('mode single on several hosts of one play is still refused instead of installing separate one-server clusters', async () => {
    const single = definePlaybook({ name: 'single', plays: [{ name: 'k3s server', hosts: 'server', become: true, roles: [k3sServer.use({ mode: 'single' })] }] });
    const inv = await serversInventory(3);
    const e = validationError(() => validatePlaybook(single, inv, opts));
    assert.match(e.message, /role k3s-server: mode single on 3 hosts \(k3s-1, k3s-4, k3s-5\) would make 3 separate one-server clusters\n {2}→ use mode auto/);
  });
});
