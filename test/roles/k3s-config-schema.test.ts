/**
 * K3s configuration is typed: `extra_config` (and k3s-ansible's server_config_yaml /
 * agent_config_yaml, which fill it) is checked against the flags of the pinned K3s release
 * before anything connects. A misspelt key, which K3s would skip with a log line, is an error
 * with a did-you-mean; a value of the wrong type is an error naming the key and the file and
 * line it came from.
 *
 *   node --import tsx --test test/roles/k3s-config-schema.test.ts
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DEFAULT_K3S_VERSION, K3S_CONFIG_KEYS, K3S_CONFIG_SOURCE, k3sConfigProblems, k3sValueFits, type K3sFlagType } from '@capstan/k3s-server';
import { main } from '../../src/cli/main.ts';
import { parseFlagFiles, renderSchema } from '../../scripts/k3s-config-schema.ts';

const root = new URL('../..', import.meta.url).pathname;

async function capstan(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => void (out += s), err: (s) => void (err += s) });
  return { code, out, err };
}

describe('the K3s configuration schema', () => {
  it('is read from the K3s release the roles install by default (regenerate it when the pin moves)', () => {
    assert.equal(K3S_CONFIG_SOURCE.tag, DEFAULT_K3S_VERSION);
  });

  it('types the keys the roles themselves write', () => {
    const want: Record<string, K3sFlagType> = {
      token: 'string', 'agent-token': 'string', 'tls-san': 'stringSlice', 'write-kubeconfig-mode': 'string', 'node-name': 'string', 'node-label': 'stringSlice',
      'node-taint': 'stringSlice', disable: 'stringSlice', 'cluster-init': 'bool', server: 'string', 'cluster-cidr': 'stringSlice', 'service-cidr': 'stringSlice',
      'https-listen-port': 'int', 'etcd-snapshot-retention': 'int', 'etcd-s3-timeout': 'duration', 'etcd-expose-metrics': 'bool',
    };
    for (const [k, t] of Object.entries(want)) assert.equal(K3S_CONFIG_KEYS.server[k], t, k);
    for (const k of ['server', 'token', 'node-name', 'node-label', 'node-taint', 'kubelet-arg']) assert.ok(K3S_CONFIG_KEYS.agent[k], k);
    for (const k of ['cluster-init', 'etcd-snapshot-retention', 'tls-san', 'disable']) assert.equal(K3S_CONFIG_KEYS.agent[k], undefined, `${k} is a server flag`);
  });
});

describe('values are judged as K3s parses them', () => {
  const rows: [K3sFlagType, unknown, boolean][] = [
    ['bool', true, true], ['bool', 'false', true], ['bool', 'yes', false], ['bool', 1, false], ['bool', ['true'], false],
    ['int', 10, true], ['int', '10', true], ['int', 1.5, false], ['int', 'five', false], ['int', true, false],
    ['duration', '5m', true], ['duration', '1h30m', true], ['duration', '300', false], ['duration', 300, false],
    ['string', '0644', true], ['string', 644, true], ['string', ['a'], false], ['string', { a: 1 }, false],
    ['stringSlice', 'a', true], ['stringSlice', ['a', 'b'], true], ['stringSlice', [{ a: 1 }], false], ['stringSlice', { a: 1 }, false],
  ];
  for (const [type, value, fits] of rows) it(`${type} ${JSON.stringify(value)} → ${fits ? 'accepted' : 'refused'}`, () => assert.equal(k3sValueFits(type, value), fits));

  it('an unknown key names the closest flag; the append form key+ is the key', () => {
    const p = k3sConfigProblems('server', { 'etcd-snapshot-retntion': 10, 'tls-san+': ['x'] });
    assert.equal(p.length, 1);
    assert.match(p[0]?.message ?? '', /unknown K3s server configuration key "etcd-snapshot-retntion".*Unknown flag --etcd-snapshot-retntion found in config\.yaml, skipping.*did you mean "etcd-snapshot-retention"\?/);
  });

  it('a server-only key is unknown to an agent; a key listed as unchecked passes', () => {
    assert.match(k3sConfigProblems('agent', { 'cluster-init': true })[0]?.message ?? '', /unknown K3s agent configuration key "cluster-init"/);
    assert.deepEqual(k3sConfigProblems('server', { 'etcd-s3-bucket-lookup-type': 'path' }, ['etcd-s3-bucket-lookup-type']), []);
  });
});

describe('capstan validate refuses mistyped K3s configuration, before connecting', () => {
  async function inventory(groupVars: string, agentVars = ''): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'capstan-k3sconf-'));
    await writeFile(join(dir, 'hosts.yml'), 'all:\n  children:\n    server:\n      hosts:\n        s1: { ansible_host: 10.255.0.1 }\n    agent:\n      hosts:\n        a1: { ansible_host: 10.255.0.2 }\n');
    await import('node:fs/promises').then((fs) => fs.mkdir(join(dir, 'group_vars')));
    await writeFile(join(dir, 'group_vars', 'server.yml'), groupVars);
    if (agentVars) await writeFile(join(dir, 'group_vars', 'agent.yml'), agentVars);
    return join(dir, 'hosts.yml');
  }
  const stage3 = join(root, 'playbooks/stage3-multi-node.ts');

  it('a misspelt key fails with the did-you-mean, the variable path and its file:line', async () => {
    const inv = await inventory('k3s_version: v1.32.11+k3s3\nextra_config:\n  etcd-snapshot-retntion: 10\n');
    const r = await capstan(['validate', stage3, '-i', inv]);
    assert.equal(r.code, 5, r.out + r.err);
    assert.match(r.err, /host s1: role k3s-server: unknown K3s server configuration key "etcd-snapshot-retntion".*did you mean "etcd-snapshot-retention"\?/);
    assert.match(r.err, /group_vars\/server\.yml:2/);
    assert.match(r.err, /extra_config\.etcd-snapshot-retntion/);
  });

  it('a wrong type fails naming the key and where the value came from, through k3s-ansible\'s server_config_yaml too', async () => {
    const inv = await inventory('server_config_yaml: |\n  etcd-snapshot-retention: five\n  cluster-init: true\n', 'agent_config_yaml: |\n  kubelet-arg: { max-pods: 150 }\n');
    const r = await capstan(['validate', stage3, '-i', inv]);
    assert.equal(r.code, 5, r.out + r.err);
    assert.match(r.err, /host s1: role k3s-server: K3s server configuration key "etcd-snapshot-retention" must be an integer \(flag type int\), got "five" \(value from the k3s-ansible variable "server_config_yaml" \(.*group_vars\/server\.yml:1/);
    assert.match(r.err, /host a1: role k3s-agent: K3s agent configuration key "kubelet-arg" must be a value or a list of values .*got a mapping .*agent_config_yaml.*group_vars\/agent\.yml:1/);
  });

  it('correct keys and types validate', async () => {
    const inv = await inventory('extra_config:\n  etcd-snapshot-retention: 10\n  etcd-s3-timeout: 5m\n  kube-apiserver-arg: [audit-log-maxage=30]\n');
    const r = await capstan(['validate', stage3, '-i', inv]);
    assert.equal(r.code, 0, r.out + r.err);
  });
});

describe('scripts/k3s-config-schema.ts reads urfave/cli flag definitions', () => {
  const server = `package cmds
var (
\tServerConfig Server
\tDataDirFlag = &cli.StringFlag{
\t\tName:        "data-dir,d",
\t\tUsage:       "(data) Folder {with braces} to hold state",
\t\tDestination: &ServerConfig.DataDir,
\t}
)
var ServerFlags = []cli.Flag{
\tConfigFlag,
\tDataDirFlag,
\t&cli.IntFlag{Name: "https-listen-port", Value: 6443},
\t&cli.BoolTFlag{Name: "tls-san-security"},
\t&cli.DurationFlag{Name: "etcd-s3-timeout", Value: 5 * time.Minute},
\t// &cli.StringFlag{Name: "commented-out"},
\tNodeLabels,
}
func NewServerCommand(action func(*cli.Context) error) cli.Command {
\treturn cli.Command{Name: "server", Flags: ServerFlags}
}
`;
  const agent = `package cmds
var (
\tNodeLabels = &cli.StringSliceFlag{
\t\tName:  "node-label",
\t\tValue: &AgentConfig.Labels,
\t}
\tConfigFlag = &cli.StringFlag{Name: "config", Aliases: []string{"c"}, Usage: "(config) Load configuration from FILE"}
)
func NewAgentCommand(action func(ctx *cli.Context) error) *cli.Command {
\treturn &cli.Command{
\t\tName:  "agent",
\t\tFlags: []cli.Flag{
\t\t\tConfigFlag,
\t\t\tNodeLabels,
\t\t\t&cli.StringFlag{
\t\t\t\tName:    "server",
\t\t\t\tAliases: []string{"s"},
\t\t\t},
\t\t},
\t}
}
`;
  it('finds each command\'s flags, named or inline, with aliases, in v1 and v2 syntax', () => {
    const keys = parseFlagFiles({ 'pkg/cli/cmds/server.go': server, 'pkg/cli/cmds/agent.go': agent });
    assert.deepEqual(keys.server, { c: 'string', config: 'string', d: 'string', 'data-dir': 'string', 'etcd-s3-timeout': 'duration', 'https-listen-port': 'int', 'node-label': 'stringSlice', 'tls-san-security': 'bool' });
    assert.deepEqual(keys.agent, { c: 'string', config: 'string', 'node-label': 'stringSlice', s: 'string', server: 'string' });
  });

  it('renders a schema module whose keys are what it read', async () => {
    const text = renderSchema(parseFlagFiles({ 'pkg/cli/cmds/server.go': server, 'pkg/cli/cmds/agent.go': agent }), { tag: 'v9.9.9+k3s1', commit: 'abc', files: ['pkg/cli/cmds/server.go'] });
    assert.match(text, /tag: 'v9\.9\.9\+k3s1'/);
    assert.match(text, /'https-listen-port': 'int',/);
    const current = await readFile(join(root, 'roles/k3s-server/src/k3s-config-schema.ts'), 'utf8');
    assert.match(current, /export const K3S_CONFIG_KEYS/, 'the checked-in schema has the shape the script writes');
  });
});

describe('stage 4 checks the same K3s configuration', () => {
  it('etcd-migrate (and etcd-join) refuse a misspelt extra_config key before connecting', async () => {
    const { etcdMigrateVars } = await import('@capstan/etcd-migrate');
    const r = etcdMigrateVars.safeParse({ extra_config: { 'etcd-snapshot-retntion': 10 } });
    assert.equal(r.success, false);
    assert.match(r.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n') ?? '', /^extra_config\.etcd-snapshot-retntion: unknown K3s server configuration key .*did you mean "etcd-snapshot-retention"\?$/m);
    const good = etcdMigrateVars.safeParse({ extra_config: { 'etcd-snapshot-retention': 10 }, etcd_offsite_backup: 'none-i-accept-the-risk' });
    assert.equal(good.success, true, good.error?.message);
  });
});
