/**
 * Where vault passwords come from, with Ansible's flags and meanings:
 * `--vault-password-file FILE`, `--vault-id [LABEL@]FILE|prompt`, `--ask-vault-pass`, and
 * `ANSIBLE_VAULT_PASSWORD_FILE` when no flag names one.
 *
 *   const ring = await vaultKeyring({ passwordFiles: ['.vault-pass'], vaultIds: ['prod@prompt'], ask: false });
 *
 * A password file is read and stripped of surrounding white space; an executable one is run
 * and its standard output is the password (a script named `*-client` or `*-client.*` gets
 * `--vault-id LABEL`, as Ansible's client scripts do). A prompt reads from the terminal with
 * echo off and is refused when standard input is not a terminal.
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { ConfigError } from '../errors.ts';
import { VaultKeyring, type VaultPassword } from './keyring.ts';
import { readHiddenLine } from './prompt.ts';

export interface VaultPasswordOptions {
  passwordFiles?: readonly string[];
  /** `LABEL@SOURCE` or `SOURCE`, where SOURCE is a file, a script, or `prompt`. */
  vaultIds?: readonly string[];
  ask?: boolean;
  env?: NodeJS.ProcessEnv;
  /** Reads a password with echo off; the terminal prompt by default (replaceable in tests). */
  prompt?: (question: string) => Promise<string>;
}

interface Request {
  label: string;
  source: string;
}

export async function vaultKeyring(o: VaultPasswordOptions): Promise<VaultKeyring> {
  const requests: Request[] = [
    ...(o.vaultIds ?? []).map(parseVaultId),
    ...(o.passwordFiles ?? []).map((source) => ({ label: 'default', source })),
    ...(o.ask ? [{ label: 'default', source: 'prompt' }] : []),
  ];
  const fromEnv = (o.env ?? process.env).ANSIBLE_VAULT_PASSWORD_FILE;
  if (requests.length === 0 && fromEnv) requests.push({ label: 'default', source: fromEnv });
  const passwords: VaultPassword[] = [];
  for (const r of requests) passwords.push({ ...r, password: await readPassword(r, o.prompt ?? readHiddenLine) });
  return new VaultKeyring(passwords);
}

/** `prod@~/.vault-prod` → { label: 'prod', source: '~/.vault-prod' }; `prompt` → the default id, prompted. */
export function parseVaultId(spec: string): Request {
  const at = spec.indexOf('@');
  const [label, source] = at < 0 ? ['default', spec] : [spec.slice(0, at), spec.slice(at + 1)];
  if (!label || !source) throw new ConfigError(`--vault-id ${JSON.stringify(spec)}: expected LABEL@FILE, LABEL@prompt or FILE`, { hint: 'for example --vault-id prod@~/.vault-pass-prod' });
  return { label, source };
}

async function readPassword(r: Request, prompt: (q: string) => Promise<string>): Promise<Buffer> {
  if (r.source === 'prompt') {
    const pw = await prompt(r.label === 'default' ? 'Vault password: ' : `Vault password (${r.label}): `);
    if (!pw) throw new ConfigError('the vault password given at the prompt is empty', { hint: 'type the password, or pass --vault-password-file FILE' });
    return Buffer.from(pw, 'utf8');
  }
  const file = r.source.replace(/^~(?=\/|$)/, process.env.HOME ?? '~');
  const info = statOrExplain(file, r.source);
  const pw = isExecutable(file, info.mode) ? runPasswordScript(file, r) : readFileSync(file).toString('utf8').trim();
  if (!pw) throw new ConfigError(`the vault password file ${r.source} is empty`, { file: r.source, hint: 'write the password on its first line' });
  return Buffer.from(pw, 'utf8');
}

function statOrExplain(file: string, shown: string): { mode: number } {
  try {
    const info = statSync(file);
    if (info.isDirectory()) throw new ConfigError(`the vault password file ${shown} is a directory`, { file: shown, hint: 'name the file that holds the password' });
    return info;
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new ConfigError(`cannot read the vault password file ${shown} (${code === 'ENOENT' ? 'it does not exist' : code})`, { file: shown, hint: 'check the path given to --vault-password-file or --vault-id' });
  }
}

function isExecutable(file: string, mode: number): boolean {
  if ((mode & 0o111) === 0) return false;
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function runPasswordScript(file: string, r: Request): string {
  const client = /-client(\.[^/]*)?$/.test(basename(file));
  try {
    const out = execFileSync(file, client ? ['--vault-id', r.label] : [], { stdio: ['inherit', 'pipe', 'pipe'], timeout: 60_000 });
    return out.toString('utf8').replace(/^[\r\n]+|[\r\n]+$/g, '');
  } catch (e) {
    const err = e as { status?: number | null; stderr?: Buffer };
    const why = err.stderr?.toString('utf8').trim().split('\n')[0] ?? '';
    throw new ConfigError(`the vault password script ${r.source} failed${err.status ? ` (exit ${err.status})` : ''}${why ? `: ${why}` : ''}`, { file: r.source, hint: 'run the script by hand to see why; it must print the password on standard output' });
  }
}
