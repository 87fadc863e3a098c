/**
 * Which credentials to offer, in order: private key files (explicit key, then ssh config
 * IdentityFile, then the default ~/.ssh/id_* when none is configured), the ssh-agent, then
 * the password (target host only, never a bastion). Encrypted keys are opened with the
 * passphrase from options.passphrase, env CAPSTAN_SSH_PASSPHRASE or options.passphraseFile.
 * Methods the server does not allow are skipped.
 *
 *   const plan = await planAuth(endpoint, { options, password });
 *   new Client().connect({ username: plan.username, authHandler: plan.handler, ... });
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { AnyAuthMethod, AuthHandlerMiddleware, ParsedKey } from 'ssh2';
import { Secret } from '../../commands/secret.ts';
import { ConnectionError } from '../../errors.ts';
import type { Endpoint } from './config.ts';
import type { SshOptions } from './options.ts';

export interface AuthPlan {
  username: string;
  handler: AuthHandlerMiddleware;
  /** What was offered, for the failure message (no secrets). */
  offered: string[];
}

export interface AuthInputs {
  options: SshOptions;
  /** Inventory name, for messages. */
  host: string;
  /** The target host gets the password; a bastion never does. */
  target: boolean;
  password?: Secret | undefined;
  /** The key the inventory names: its problems are errors, while other keys are skipped with a note. */
  explicitKey?: string | undefined;
}

const DEFAULT_KEYS = ['id_ed25519', 'id_ecdsa', 'id_rsa'];

export async function planAuth(endpoint: Endpoint, inputs: AuthInputs): Promise<AuthPlan> {
  const username = endpoint.user;
  const methods: AnyAuthMethod[] = [];
  const offered: string[] = [];
  const configured = endpoint.identityFiles;
  const files = configured.length > 0 ? configured : DEFAULT_KEYS.map((k) => join(homedir(), '.ssh', k)).filter((f) => existsSync(f));
  const passphrase = await resolvePassphrase(inputs.options);
  for (const file of files) {
    const key = await loadKey(file, passphrase, file === inputs.explicitKey, inputs.host);
    if (typeof key === 'string') offered.push(`(skipped ${file}: ${key})`);
    else {
      methods.push({ type: 'publickey', username, key });
      offered.push(`publickey ${file}`);
    }
  }
  const agent = process.env.SSH_AUTH_SOCK;
  if (inputs.options.useAgent && agent) {
    methods.push({ type: 'agent', username, agent });
    offered.push('ssh-agent');
  }
  const password = inputs.target ? await resolvePassword(inputs.options, inputs.password) : undefined;
  if (password) {
    const pw = password.reveal();
    methods.push({ type: 'password', username, password: pw });
    methods.push({ type: 'keyboard-interactive', username, prompt: (_n, _i, _l, prompts, finish) => finish(prompts.map(() => pw)) });
    offered.push('password');
  }
  return { username, handler: handlerFor(methods), offered };
}

/** Offers each method once, skipping those the server says it does not accept. */
function handlerFor(methods: AnyAuthMethod[]): AuthHandlerMiddleware {
  let i = 0;
  return (left, _partial, next) => {
    while (i < methods.length) {
      const m = methods[i++] as AnyAuthMethod;
      const kind = m.type === 'agent' ? 'publickey' : m.type;
      if (!left || left.includes(kind)) return next(m);
    }
    return next(false as unknown as AnyAuthMethod);
  };
}

/** Reads and opens a key; returns why it was skipped, or throws for the explicit key. */
async function loadKey(file: string, passphrase: Secret | undefined, explicit: boolean, host: string): Promise<ParsedKey | string> {
  let why: string;
  try {
    const { default: ssh2 } = await import('ssh2');
    const parsed = ssh2.utils.parseKey(await readFile(file), passphrase?.reveal());
    const key = Array.isArray(parsed) ? (parsed[0] as ParsedKey | Error | undefined) : parsed;
    if (key && !(key instanceof Error)) return key;
    why = keyProblem(file, key instanceof Error ? key.message : 'no key found', passphrase !== undefined);
  } catch (e) {
    why = `cannot read private key ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`;
  }
  if (explicit) throw new ConnectionError(host, why, 'auth');
  return why;
}

function keyProblem(file: string, message: string, hadPassphrase: boolean): string {
  if (/encrypted/i.test(message) && !hadPassphrase) {
    return `private key ${file} is encrypted: give its passphrase in options.passphrase, env CAPSTAN_SSH_PASSPHRASE or options.passphraseFile`;
  }
  if (/decrypt|passphrase|bad/i.test(message)) return `cannot decrypt private key ${file}: wrong passphrase`;
  return `cannot use private key ${file}: ${message}`;
}

async function resolvePassphrase(o: SshOptions): Promise<Secret | undefined> {
  if (o.passphrase) return o.passphrase;
  const env = process.env.CAPSTAN_SSH_PASSPHRASE;
  if (env) return new Secret(env, 'ssh key passphrase');
  if (o.passphraseFile) return new Secret((await readFile(o.passphraseFile, 'utf8')).replace(/\r?\n$/, ''), 'ssh key passphrase');
  return undefined;
}

async function resolvePassword(o: SshOptions, inventory: Secret | undefined): Promise<Secret | undefined> {
  if (inventory) return inventory;
  if (o.passwordFile) return new Secret((await readFile(o.passwordFile, 'utf8')).replace(/\r?\n$/, ''), 'ssh password');
  const env = process.env.CAPSTAN_SSH_PASSWORD;
  return env ? new Secret(env, 'ssh password') : undefined;
}
