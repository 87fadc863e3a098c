/**
 * What a test needs on this machine, and what happens when it is missing: outside CI the
 * test is skipped with the Debian package that brings the tool; under CI (the environment
 * variable CI set) it is never skipped: it runs and fails, and a test named after the missing
 * tool fails too, so the report says what CI forgot to install.
 * scripts/prerequisites.sh installs every package named here.
 *
 *   import { requires, TOOLS } from '../support/tools.ts';
 *   describe('rules through promtool', { skip: requires(TOOLS.promtool) }, () => { ... });
 *   // outside CI, without it: "# SKIP promtool is not installed (apt-get install -y prometheus)"
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { test } from 'node:test';

export interface Tool {
  /** The program looked up on PATH (and in the sbin directories, as root's PATH has them). */
  command: string;
  /** The Debian package that installs it. */
  apt: string;
}

const tool = (command: string, apt = command): Tool => ({ command, apt });

/** Every program the tests start on this machine, with its Debian package. */
export const TOOLS = {
  sshd: tool('sshd', 'openssh-server'),
  sshKeygen: tool('ssh-keygen', 'openssh-client'),
  sshAgent: tool('ssh-agent', 'openssh-client'),
  sudo: tool('sudo'),
  pgrep: tool('pgrep', 'procps'),
  ps: tool('ps', 'procps'),
  haproxy: tool('haproxy'),
  keepalived: tool('keepalived'),
  killall: tool('killall', 'psmisc'),
  promtool: tool('promtool', 'prometheus'),
  alertmanager: tool('prometheus-alertmanager'),
  amtool: tool('amtool', 'prometheus-alertmanager'),
  ansibleVault: tool('ansible-vault', 'ansible-core'),
  curl: tool('curl'),
  wget: tool('wget'),
  python3: tool('python3'),
  tar: tool('tar'),
  gzip: tool('gzip'),
  xz: tool('xz', 'xz-utils'),
  bzip2: tool('bzip2'),
  zstd: tool('zstd'),
  zip: tool('zip'),
  unzip: tool('unzip'),
} as const satisfies Record<string, Tool>;

const SBIN = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

/** The absolute path of `command` on PATH or in the sbin directories, or undefined. */
export function findTool(command: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...SBIN];
  for (const dir of dirs) {
    const path = join(dir, command);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

const reported = new Set<string>();

/** Under CI, one failing test per missing tool, named after it. */
function failUnderCi(missing: Tool[]): void {
  for (const t of missing.filter((m) => !reported.has(m.command))) {
    reported.add(t.command);
    test(`${t.command} is installed (CI must install the Debian package ${t.apt}: scripts/prerequisites.sh)`, () => {
      throw new Error(`${t.command} is not installed: apt-get install -y ${t.apt} (scripts/prerequisites.sh installs it)`);
    });
  }
}

/**
 * The `skip` option for a test that runs these tools: false when all are installed; else,
 * outside CI, the reason naming the packages to install; under CI false (the test runs and
 * fails), after registering a failing test per missing tool.
 */
export function requires(...tools: Tool[]): string | false {
  const missing = tools.filter((t) => !findTool(t.command));
  if (missing.length === 0) return false;
  if (process.env.CI) {
    failUnderCi(missing);
    return false;
  }
  const names = missing.map((t) => t.command).join(', ');
  const packages = [...new Set(missing.map((t) => t.apt))].join(' ');
  return `${names} ${missing.length > 1 ? 'are' : 'is'} not installed (apt-get install -y ${packages}; scripts/prerequisites.sh installs every tool the tests use)`;
}
