/**
 * Runs a program to completion for a specification and hands back its exit code and output
 * (never throws on a failing exit: the specification asserts on it).
 *
 *   const r = await runProcess(projectDir, 'npm', ['install']);
 *   assert.equal(r.code, 0, r.stderr);
 */
import { execFile } from 'node:child_process';

export interface ProcessResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runProcess(cwd: string, file: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<ProcessResult> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd, env: { ...process.env, NO_COLOR: '1', ...env }, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
  });
}
