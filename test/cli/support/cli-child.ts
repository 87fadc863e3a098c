/**
 * The command line as a child process, for signal tests: its output is collected from the
 * start, and waited for with test/support/wait.ts (never a fixed sleep).
 *
 *   const cli = startCli(['run', 'pb.ts', '-i', 'hosts.ini', '--json']);
 *   await waitForOutput(cli.child.stdout!, /"step\.start"/);
 *   cli.child.kill('SIGINT');
 *   const { code, stdout, stderr } = await cli.exit;
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const root = new URL('../../..', import.meta.url).pathname;

export interface CliChild {
  child: ChildProcess;
  exit: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

export function startCli(args: string[], env: Record<string, string> = {}): CliChild {
  const child = spawn(join(root, 'bin/capstan.js'), args, { cwd: root, env: { ...process.env, NO_COLOR: '1', ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => void (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => void (stderr += d.toString()));
  const exit = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  return { child, exit };
}
