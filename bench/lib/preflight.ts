/**
 * What must be in place before anything starts, checked up front so that a missing tool
 * fails in a second with the fix, not after twenty minutes of measurements.
 *
 *   const { strategyDir } = await preflight(options);   // throws an Error listing every problem
 */
import { access, constants } from 'node:fs/promises';
import { assertDockerAvailable } from '../../src/testing/index.ts';
import { mitogenStrategyDir } from './ansible.ts';
import { GNU_TIME } from './gnu-time.ts';
import { runHelper } from './proc.ts';
import type { BenchOptions } from './types.ts';

const INSTALL_HINT = 'scripts/bench.sh installs what is needed (as root, with apt-get)';

async function missingFile(path: string, what: string): Promise<string | undefined> {
  return access(path, constants.R_OK).then(() => undefined, () => `${what} not found: ${path}`);
}

async function missingCommand(argv: string[], what: string, pattern?: RegExp): Promise<string | undefined> {
  const r = await runHelper(argv, { timeoutMs: 30_000 });
  if (r.code === -1 || r.code === 127 || (pattern && !pattern.test(`${r.stdout}${r.stderr}`))) return `${what} is missing (${argv[0]})`;
  return undefined;
}

export async function preflight(o: BenchOptions): Promise<{ strategyDir?: string }> {
  const ansible = o.tools.some((t) => t !== 'capstan');
  const checks = await Promise.all([
    missingCommand([GNU_TIME, '--version'], 'GNU time (package time)', /GNU/),
    missingCommand(['ssh', '-V'], 'the OpenSSH client (package openssh-client)'),
    missingCommand(['dpkg-scanpackages', '--version'], 'dpkg-scanpackages (package dpkg-dev)'),
    o.tools.includes('capstan') ? missingFile(o.capstanPlaybook, 'the Capstan playbook') : undefined,
    ansible ? missingCommand(['ansible-playbook', '--version'], 'ansible-playbook (package ansible-core)') : undefined,
    ansible ? missingFile(o.ansiblePlaybook, 'the Ansible playbook') : undefined,
    ansible ? missingFile(o.ansibleConfig, 'the Ansible configuration') : undefined,
    assertDockerAvailable().then(() => undefined, (e: Error) => e.message),
  ]);
  let strategyDir: string | undefined;
  if (o.tools.includes('ansible-mitogen')) {
    strategyDir = await mitogenStrategyDir().catch((e: Error) => {
      checks.push(e.message);
      return undefined;
    });
  }
  const problems = checks.filter((c): c is string => typeof c === 'string');
  if (problems.length) throw new Error(`cannot start:\n${problems.map((p) => `- ${p}`).join('\n')}\n${INSTALL_HINT}`);
  return strategyDir ? { strategyDir } : {};
}
