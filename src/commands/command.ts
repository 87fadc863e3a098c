/**
 * The Command value: what a module asks the engine to run. Built with `sh` so that every
 * argument is quoted in one place; secrets travel by stdin, never in the script.
 *
 *   cmd(sh`apt-get install -y -- ${packages}`, { env: { DEBIAN_FRONTEND: 'noninteractive' } })
 *   cmd(sh`sh -s`, { stdin: token })            // the secret reaches the host on stdin only
 */
import { quote, type ShellText } from './quote.ts';
import { redact, Secret } from './secret.ts';
import { ConfigError } from '../errors.ts';
import type { Readable } from 'node:stream';

export interface Command {
  /** POSIX shell text. */
  script: string;
  stdin?: string | Buffer | Secret | Readable;
  /** Run in this directory (created by nobody: it must exist). */
  chdir?: string;
  /** Environment variables exported inside the script (not an SSH env request). */
  env?: Record<string, string>;
  timeoutMs?: number;
}

export interface CommandOptions {
  stdin?: Command['stdin'];
  chdir?: string;
  env?: Record<string, string>;
  timeoutMs?: number;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Makes a Command from shell text built with `sh`. */
export function cmd(script: ShellText | string, options: CommandOptions = {}): Command {
  for (const name of Object.keys(options.env ?? {})) {
    if (!ENV_NAME.test(name)) throw new ConfigError(`invalid environment variable name ${JSON.stringify(name)}`, { keyPath: `env.${name}` });
  }
  return { script: String(script), ...options };
}

/** The full script the host runs: environment exports and `cd` first, joined with `&&`. */
export function renderScript(c: Command): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(c.env ?? {})) {
    if (Secret.is(v)) throw new ConfigError(`secret passed as environment variable ${k}; pass it on stdin instead`);
    parts.push(`export ${k}=${quote(v)}`);
  }
  if (c.chdir !== undefined) parts.push(`cd -- ${quote(c.chdir)}`);
  parts.push(c.script.includes('\n') ? `{\n${c.script}\n}` : `{ ${c.script}\n}`);
  return parts.join(' && ');
}

/** How a command is shown to people: the script with every known secret masked. */
export function displayCommand(c: Command): string {
  const text = c.chdir !== undefined ? `cd ${quote(c.chdir)} && ${c.script}` : c.script;
  return redact(text);
}
