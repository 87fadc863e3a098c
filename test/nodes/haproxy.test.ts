import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { haproxy } from '@capstan/haproxy';
import { definePlaybook, type RunEvent } from '../../src/index.ts';
import { connectorFactory } from '../../src/cli/connectors.ts';
import { runPlaybook } from '../../src/engine/run.ts';
import { loadInventoryView } from '../../src/inventory/view.ts';
import { dockerSkipReason, runScenario, startNodes, type NodeSet } from '../../src/testing/index.ts';
import { waitFor } from '../support/wait.ts';

const skip = await dockerSkipReason();

/** A K3s API stand-in: answers every connection with its hostname, then echoes lines prefixed with it. */
const STAND_IN = `
import socket, socketserver
NAME = socket.gethostname()
class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        try:
            self.wfile.write((NAME + "\\n").encode())
            for line in self.rfile:
                self.wfile.write((NAME + " " + line.decode().strip() + "\\n").encode())
        except OSError:
            pass
class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
Server(("0.0.0.0", 6443), Handler).serve_forever()
`;
const UNIT = 'k3s-api-stand-in';
const SERVERS = ['server1', 'server2', 'server3'];
/** Fast checks so that a stopped server is marked DOWN within seconds. */
const PARAMS = { check_inter: '1s', check_downinter: '1s', check_fall: 2, metrics_frontend: { enabled: true, bind: ':8404' } } as const;

const lbPlaybook = (params: Parameters<typeof haproxy.use>[0]) =>
  definePlaybook({ name: 'haproxy for the K3s API', plays: [{ name: 'load balancer', hosts: 'lb', become: true, roles: [haproxy.use(params)] }] });

type StepEvent = Extract<RunEvent, { type: 'host.step' }>;

async function runOnce(set: NodeSet, params: Parameters<typeof haproxy.use>[0], check = false) {
  const inventory = await set.writeInventory(join(set.workDir, 'haproxy-inventory.yml'));
  const events: RunEvent[] = [];
  const recap = await runPlaybook(lbPlaybook(params), await loadInventoryView([inventory]), {
    check, diff: false, forks: 5, tags: [], skipTags: [], extraVars: {}, playbookId: 'haproxy-test', connectorFactory: connectorFactory({}),
  }, (e) => events.push(e));
  return { recap, steps: events.filter((e): e is StepEvent => e.type === 'host.step') };
}

/** A TCP connection to the load balancer: the server's greeting, then line-by-line echo. */
interface Conn {
  greeting: string;
  ask(line: string): Promise<string>;
  close(): void;
}

function open(host: string, port = 6443, timeoutMs = 15_000): Promise<Conn> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect({ host, port });
    let buffer = '';
    const waiting: ((line: string) => void)[] = [];
    const timer = setTimeout(() => fail(new Error(`no greeting from ${host}:${port} within ${timeoutMs} ms`)), timeoutMs);
    const fail = (e: Error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(e);
    };
    const nextLine = () => new Promise<string>((res) => waiting.push(res));
    socket.setEncoding('utf8');
    socket.on('error', fail);
    socket.on('close', () => fail(new Error(`connection to ${host}:${port} closed`)));
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      let i;
      while ((i = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, i);
        buffer = buffer.slice(i + 1);
        waiting.shift()?.(line);
      }
    });
    void nextLine().then((greeting) => {
      clearTimeout(timer);
      resolve({
        greeting,
        ask: (line) => {
          const answer = nextLine();
          socket.write(`${line}\n`);
          return Promise.race([answer, new Promise<string>((_, rej) => setTimeout(() => rej(new Error(`no answer to ${line}`)), timeoutMs))]);
        },
        close: () => {
          socket.removeAllListeners('close');
          socket.destroy();
        },
      });
    });
  });
}

/** Greetings (server hostnames) of `n` connections made one after the other. */
async function greetings(host: string, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const c = await open(host);
    out.push(c.greeting);
    c.close();
  }
  return out;
}

async function metrics(host: string): Promise<string> {
  const r = await fetch(`http://${host}:8404/metrics`, { signal: AbortSignal.timeout(5000) });
  assert.equal(r.status, 200);
  return r.text();
}

const statusLine = (server: string, state: string) => `haproxy_server_status{proxy="k3s-backend",server="${server}",state="${state}"} 1`;

/** Waits for `probe` to hold (a probe that throws, e.g. before HAProxy listens, counts as not yet). */
function until(what: string, probe: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  return waitFor(what, () => probe().catch(() => false), { timeoutMs, intervalMs: 250 });
}

describe('haproxy role on throwaway nodes: three K3s API stand-ins behind one load balancer', { skip }, () => {
  let set: NodeSet;
  let lb: string;
  const hostnames = new Map<string, string>();
  before(async () => {
    set = await startNodes({ groups: { server: 3, lb: 1 }, withPython: true });
    lb = set.node('lb1').address;
    for (const s of SERVERS) {
      const r = await set.exec(s, ['systemd-run', `--unit=${UNIT}`, 'python3', '-c', STAND_IN]);
      assert.equal(r.exitCode, 0, r.stderr);
      hostnames.set(s, (await set.exec(s, ['hostname'])).stdout.trim());
    }
  });
  after(async () => set?.destroy());

  const liveConfig = async () => (await set.exec('lb1', ['sha256sum', '/etc/haproxy/haproxy.cfg'])).stdout;
  const haproxyActive = async () => (await set.exec('lb1', ['systemctl', 'is-active', 'haproxy'])).stdout.trim();

  it('check predicts and touches nothing; apply installs and balances over every server; apply and check again change nothing', async () => {
    const report = await runScenario({
      playbook: lbPlaybook(PARAMS), nodes: set,
      verify: async () => {
        assert.equal(await haproxyActive(), 'active');
        await until('every server UP in the Prometheus metrics', async () => {
          const text = await metrics(lb);
          return SERVERS.every((s) => text.includes(statusLine(s, 'UP')));
        });
        const seen = new Set(await greetings(lb, 9));
        assert.deepEqual([...seen].sort(), [...hostnames.values()].sort(), 'round robin reaches all three servers');
      },
    });
    assert.equal(report.apply.recap.hosts.lb1?.changed !== 0, true);
    assert.equal(report.applyAgain.recap.hosts.lb1?.changed, 0);
    assert.equal(report.checkAgain.recap.hosts.lb1?.changed, 0);
    const cfg = await set.exec('lb1', ['cat', '/etc/haproxy/haproxy.cfg']);
    for (const s of SERVERS) assert.match(cfg.stdout, new RegExp(`^ {4}server ${s} ${set.node(s).address.replace(/\./g, '\\.')}:6443 check$`, 'm'));
  });

  it('a changed config: check predicts the new file and the reload and touches nothing; apply reloads without dropping an open connection', async () => {
    const c = await open(lb);
    try {
      const pid = (await set.exec('lb1', ['systemctl', 'show', '-p', 'MainPID', '--value', 'haproxy'])).stdout.trim();
      const expected = ['haproxy.cfg: 3 K3s API backends (checked with haproxy -c)', 'reload haproxy'];
      const before = await liveConfig();
      const predicted = await runOnce(set, { ...PARAMS, balance: 'leastconn' }, true);
      assert.equal(predicted.recap.exitCode, 0);
      assert.deepEqual(predicted.steps.filter((s) => s.result.status === 'changed').map((s) => s.step), expected);
      assert.equal(await liveConfig(), before, 'check leaves the live file alone');
      const r = await runOnce(set, { ...PARAMS, balance: 'leastconn' });
      assert.equal(r.recap.exitCode, 0, r.steps.map((s) => `${s.step}: ${s.result.msg ?? ''}`).join('\n'));
      assert.deepEqual(r.steps.filter((s) => s.result.status === 'changed').map((s) => s.step), expected);
      assert.match((await set.exec('lb1', ['cat', '/etc/haproxy/haproxy.cfg'])).stdout, /^ {4}balance leastconn$/m);
      assert.equal((await set.exec('lb1', ['systemctl', 'show', '-p', 'MainPID', '--value', 'haproxy'])).stdout.trim(), pid, 'reloaded, not restarted');
      assert.equal(await c.ask('still there?'), `${c.greeting} still there?`);
      assert.ok(hostnames.size && [...hostnames.values()].includes((await greetings(lb, 1))[0] ?? ''));
    } finally {
      c.close();
    }
  });

  it('a config that fails haproxy -c never reaches the live file, and the running proxy keeps serving', async () => {
    const before = await liveConfig();
    const backends = [...SERVERS.map((s) => ({ name: s, address: set.node(s).address })), { name: 'typo', address: 'no-such-server.invalid' }];
    const r = await runOnce(set, { ...PARAMS, backends });
    assert.notEqual(r.recap.exitCode, 0);
    const failed = r.steps.filter((s) => s.result.status === 'failed');
    assert.deepEqual(failed.map((s) => s.step), ['haproxy.cfg: 4 K3s API backends (checked with haproxy -c)']);
    assert.match(failed[0]?.result.msg ?? '', /could not resolve address 'no-such-server\.invalid'/);
    assert.ok(!r.steps.some((s) => s.step === 'reload haproxy'), 'no reload after a failed check');
    assert.equal(await liveConfig(), before, 'the live file is unchanged');
    assert.deepEqual((await set.exec('lb1', ['ls', '-A', '/etc/haproxy'])).stdout.split('\n').filter((f) => f.startsWith('.capstan')), [], 'no temp file left');
    assert.equal(await haproxyActive(), 'active');
    assert.equal((await greetings(lb, 3)).length, 3);
  });

  it('one server stops: no connection fails, and once it is marked DOWN every connection goes to the other two', async () => {
    assert.equal((await set.exec('server2', ['systemctl', 'stop', UNIT])).exitCode, 0);
    const right = await greetings(lb, 6);
    assert.ok(!right.includes(hostnames.get('server2') ?? ''), `answers right after the stop: ${right.join(', ')}`);
    await until('server2 DOWN in the metrics', async () => (await metrics(lb)).includes(statusLine('server2', 'DOWN')));
    const seen = new Set(await greetings(lb, 8));
    assert.deepEqual([...seen].sort(), [hostnames.get('server1'), hostnames.get('server3')].sort());
  });
});

/** The VRRP state keepalived last entered on the node, from its journal. */
async function vrrpState(set: NodeSet, node: string): Promise<string | undefined> {
  const log = (await set.exec(node, ['journalctl', '-u', 'keepalived', '--no-pager', '-o', 'cat'])).stdout;
  return [...log.matchAll(/\(haproxy-vip\) Entering (\w+) STATE/g)].at(-1)?.[1];
}

describe('haproxy role with keepalived on two load balancers (VRRP election; the containers may not add the address itself)', { skip }, () => {
  let set: NodeSet;
  before(async () => {
    set = await startNodes({ groups: { server: 1, lb: 2 } });
  });
  after(async () => set?.destroy());

  it('converges with keepalived.conf checked by keepalived -t on the node; the first host is MASTER; when its HAProxy stops, the other takes over', async () => {
    const prefix = set.node('lb1').address.split('.').slice(0, 3).join('.');
    const params = { keepalived: { enabled: true, vip: `${prefix}.250/24`, interface: 'eth0' } };
    await runScenario({ playbook: lbPlaybook(params), nodes: set });
    for (const n of ['lb1', 'lb2']) {
      assert.equal((await set.exec(n, ['systemctl', 'is-active', 'haproxy', 'keepalived'])).stdout, 'active\nactive\n', n);
      assert.equal((await set.exec(n, ['keepalived', '-t', '-f', '/etc/keepalived/keepalived.conf'])).exitCode, 0, n);
    }
    assert.match((await set.exec('lb2', ['cat', '/etc/keepalived/keepalived.conf'])).stdout, /^ {4}state BACKUP\n {4}priority 100$/m);
    await until('lb1 MASTER and lb2 BACKUP', async () => (await vrrpState(set, 'lb1')) === 'MASTER' && (await vrrpState(set, 'lb2')) === 'BACKUP');
    assert.equal((await set.exec('lb1', ['systemctl', 'stop', 'haproxy'])).exitCode, 0);
    await until('lb2 MASTER after HAProxy stopped on lb1', async () => (await vrrpState(set, 'lb2')) === 'MASTER' && (await vrrpState(set, 'lb1')) !== 'MASTER');
  });
});
