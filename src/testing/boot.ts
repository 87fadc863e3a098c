/**
 * One node's life in Docker: create the container with the flags that boot systemd here,
 * give it keys and a sudo mode, probe until systemd and sshd are ready, read its host keys.
 *
 *   const id = await createNodeContainer({ image, name: 'web1', containerName: 'capstan-3fa9c1-web1',
 *     network: 'capstan-3fa9c1', address: '10.213.47.2', labels });
 *   await docker().getContainer(id).start();
 *   await authorizeAndSetSudo(id, publicKey, undefined);   // key for root and capstan; passwordless sudo
 *   const boot = await waitUntilReady(id, 'web1', '10.213.47.2', Date.now() + 90_000);
 *   const keys = await readHostKeys(id, '10.213.47.2');    // { ed25519: '10.213.47.2 ssh-ed25519 AAAA...' }
 */
import { connect } from 'node:net';
import { ConfigError, ConnectionError } from '../errors.ts';
import { demuxBuffer, docker, dockerExec } from './docker.ts';
import { inotifyHint } from './sysctl.ts';

export interface NodeContainerSpec {
  image: string;
  name: string;
  containerName: string;
  network: string;
  address: string;
  labels: Record<string, string>;
  /** Full privileges, for nodes that run a container runtime themselves (K3s). */
  privileged?: boolean;
}

/** Creates (does not start) a node container: systemd as PID 1, not privileged unless asked. */
export async function createNodeContainer(spec: NodeContainerSpec): Promise<string> {
  const hostConfig = {
    CapAdd: ['SYS_ADMIN'],
    CgroupnsMode: 'host',
    Binds: ['/sys/fs/cgroup:/sys/fs/cgroup:rw'],
    Tmpfs: { '/run': '', '/run/lock': '' },
    NetworkMode: spec.network,
    ...(spec.privileged ? { Privileged: true } : {}),
  };
  const container = await docker().createContainer({
    name: spec.containerName,
    Hostname: spec.name,
    Image: spec.image,
    Cmd: ['/lib/systemd/systemd'],
    Env: ['container=docker'],
    StopSignal: 'SIGRTMIN+3',
    Labels: spec.labels,
    HostConfig: hostConfig,
    NetworkingConfig: {
      EndpointsConfig: { [spec.network]: { IPAMConfig: { IPv4Address: spec.address }, Aliases: [spec.name] } },
    },
  });
  return container.id;
}

const AUTHORIZE_SCRIPT = `set -eu
IFS= read -r key
for home in /root /home/capstan; do
  install -d -m 700 "$home/.ssh"
  printf '%s\\n' "$key" > "$home/.ssh/authorized_keys"
  chmod 600 "$home/.ssh/authorized_keys"
done
chown -R capstan:capstan /home/capstan/.ssh`;

const SUDO_SCRIPT = `pw=''
IFS= read -r pw || true
if [ -n "$pw" ]; then
  printf 'capstan:%s\\n' "$pw" | chpasswd
  rule='capstan ALL=(ALL:ALL) ALL'
else
  usermod -p '*' capstan
  rule='capstan ALL=(ALL:ALL) NOPASSWD: ALL'
fi
tmp=/etc/sudoers.d/.capstan.new
printf '%s\\n' "$rule" > "$tmp"
chmod 440 "$tmp"
visudo -cqf "$tmp"
mv -f "$tmp" /etc/sudoers.d/capstan`;

async function runScript(containerId: string, what: string, script: string, stdin: string, timeoutMs = 30_000): Promise<void> {
  const r = await dockerExec(containerId, ['sh', '-c', script], { stdin, timeoutMs });
  if (r.exitCode !== 0) {
    throw new ConnectionError(containerId.slice(0, 12), `${what} failed (exit ${r.exitCode}): ${r.stderr.trim()}`, 'other');
  }
}

function checkSudoPassword(password: string | undefined): void {
  if (password !== undefined && (password === '' || /[\n\r\0]/.test(password))) {
    throw new ConfigError('sudoPassword must be a non-empty single line', { keyPath: 'sudoPassword' });
  }
}

/**
 * Installs the public key for root and `capstan`, and the sudo mode, in one docker exec. It
 * runs while the node boots: give it the time left of the boot (`timeoutMs`, default 30 s),
 * as a hundred nodes booting on a busy machine can keep the engine's exec waiting longer.
 */
export async function authorizeAndSetSudo(containerId: string, publicKey: string, password: string | undefined, timeoutMs = 30_000): Promise<void> {
  checkSudoPassword(password);
  await runScript(containerId, 'installing the SSH key and sudo rule', `${AUTHORIZE_SCRIPT}\n${SUDO_SCRIPT}`, `${publicKey}\n${password ?? ''}\n`, timeoutMs);
}

/** Passwordless sudo for `capstan` (no password), or sudo that asks for `password`. */
export async function setSudoMode(containerId: string, password: string | undefined): Promise<void> {
  checkSudoPassword(password);
  await runScript(containerId, 'configuring sudo', `set -eu\n${SUDO_SCRIPT}`, `${password ?? ''}\n`);
}

export interface BootResult {
  state: 'running' | 'degraded';
  failedUnits: string[];
  bootMs: number;
}

const SYSTEM_PROBE = 'systemctl is-system-running 2>/dev/null; systemctl is-active ssh.service 2>/dev/null; true';

async function bootFailure(containerId: string, name: string, exitCode: number): Promise<ConnectionError> {
  const container = docker().getContainer(containerId);
  const raw = await container.logs({ stdout: true, stderr: true, tail: 40 }).catch(() => Buffer.alloc(0));
  const { stdout, stderr } = demuxBuffer(raw);
  const log = `${stdout}${stderr}`.trim();
  const hint = await inotifyHint();
  return new ConnectionError(
    name,
    `node exited during boot (exit code ${exitCode}); ${log ? `last log lines:\n${log}` : 'its log is empty'}\n${hint}`,
    'dropped',
  );
}

/** True once something on address:22 greets with an SSH banner. */
function sshBanner(address: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: address, port: 22, timeout: timeoutMs });
    let seen = '';
    const finish = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.on('data', (chunk) => {
      seen += chunk.toString('latin1');
      if (seen.startsWith('SSH-')) finish(true);
    });
    socket.on('timeout', () => finish(false));
    socket.on('error', () => finish(false));
    socket.on('close', () => finish(false));
  });
}

/**
 * Throws a ConnectionError with the node's last log lines when its container has exited.
 * With `settleMs`, a container still running is watched that long for an exit under way
 * (an exec that failed because the container was dying tells no more than that).
 */
export async function assertStillRunning(containerId: string, name: string, settleMs = 0): Promise<void> {
  const until = Date.now() + settleMs;
  for (let attempt = 0; ; attempt++) {
    const info = await docker().getContainer(containerId).inspect();
    if (!info.State.Running) throw await bootFailure(containerId, name, info.State.ExitCode);
    if (Date.now() >= until) return;
    await pause(attempt);
  }
}

async function systemState(containerId: string): Promise<[string, string]> {
  const r = await dockerExec(containerId, ['sh', '-c', SYSTEM_PROBE], { timeoutMs: 15_000 }).catch(() => undefined);
  const [system = '', ssh = ''] = (r?.stdout ?? '').trim().split('\n');
  return [system.trim(), ssh.trim()];
}

async function failedUnits(containerId: string): Promise<string[]> {
  const r = await dockerExec(containerId, ['systemctl', '--failed', '--no-legend', '--plain']);
  return r.stdout.split('\n').map((l) => l.trim().split(/\s+/)[0] ?? '').filter(Boolean);
}

/** Polling with a growing pause: quick for one node, light on the engine for fifty. */
function pause(attempt: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.min(1000, 100 * 1.4 ** attempt)));
}

/**
 * Probes until port 22 greets with an SSH banner (a TCP probe, cheap), then until systemd is
 * running (or degraded) with ssh.service active (docker exec). Checks that the container is
 * still up on every round, so a node that dies says so at once.
 */
export async function waitUntilReady(containerId: string, name: string, address: string, deadline: number): Promise<BootResult> {
  const started = Date.now();
  let last = ['not probed yet', 'no SSH banner yet'];
  for (let attempt = 0; Date.now() < deadline; attempt++) {
    await assertStillRunning(containerId, name);
    if (await sshBanner(address, 2000)) {
      const [system, ssh] = await systemState(containerId);
      last = [system, ssh];
      if ((system === 'running' || system === 'degraded') && ssh === 'active') {
        const failed = system === 'degraded' ? await failedUnits(containerId) : [];
        return { state: system, failedUnits: failed, bootMs: Date.now() - started };
      }
    }
    await pause(attempt);
  }
  throw new ConnectionError(
    name,
    `node not ready before the boot timeout: systemd is ${JSON.stringify(last[0] || 'unknown')}, ssh.service is ${JSON.stringify(last[1] || 'unknown')}` +
      ` (inspect with: docker exec ${containerId.slice(0, 12)} systemctl status)`,
    'timeout',
  );
}

const KEY_NAMES: Record<string, string> = {
  'ssh-ed25519': 'ed25519',
  'ecdsa-sha2-nistp256': 'ecdsa',
  'ecdsa-sha2-nistp384': 'ecdsa384',
  'ecdsa-sha2-nistp521': 'ecdsa521',
  'ssh-rsa': 'rsa',
};

/** Host public keys as known_hosts lines for `address`, keyed by short type name. */
export function parseHostKeys(text: string, address: string): Record<string, string> {
  const keys: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const [type, blob] = line.trim().split(/\s+/);
    const short = type ? KEY_NAMES[type] : undefined;
    if (short && blob) keys[short] = `${address} ${type} ${blob}`;
  }
  return keys;
}

/** Reads the node's public host keys through docker exec. */
export async function readHostKeys(containerId: string, address: string): Promise<Record<string, string>> {
  const r = await dockerExec(containerId, ['sh', '-c', 'cat /etc/ssh/ssh_host_*_key.pub']);
  const keys = parseHostKeys(r.stdout, address);
  if (!keys.ed25519) throw new ConnectionError(address, `node has no ed25519 host key: ${r.stderr.trim()}`, 'host-key');
  return keys;
}
