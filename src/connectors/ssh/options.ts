/**
 * The SSH connector's options (the `options` of a HostConnection), as a zod schema with the
 * documented defaults. Parsing errors become one ConfigError naming every bad option.
 *
 *   const o = parseSshOptions({ hostKeyPolicy: 'accept-new', connectRetries: 2 });
 *   o.connectTimeoutMs   // 10000
 *   o.knownHostsPath     // '/home/me/.ssh/known_hosts'
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { Secret } from '../../commands/secret.ts';
import { ConfigError, type ConfigProblem } from '../../errors.ts';

const secret = (label: string) =>
  z.union([z.instanceof(Secret), z.string().transform((s) => new Secret(s, label))]);

const path = z
  .string()
  .min(1)
  .refine((p) => !p.includes('\0'), 'must not contain a NUL byte')
  .transform(expandHome);

export const sshOptionsSchema = z
  .object({
    /**
     * TCP connect and the server's SSH identification line must come within this, as with
     * OpenSSH's ConnectTimeout: a host that is down, or is not an SSH server, is unreachable
     * after it.
     */
    connectTimeoutMs: z.number().int().positive().default(10_000),
    /**
     * Once the server has answered, key exchange and authentication must finish within this.
     * A live server is given longer than a silent one: two hundred logins at once on a small
     * machine took up to a minute each.
     */
    handshakeTimeoutMs: z.number().int().positive().default(120_000),
    /**
     * SSH keepalive: a peer is declared dead after keepaliveIntervalMs * keepaliveCountMax
     * (a minute) without an answer. A live node on a starved machine (a hundred first converges
     * on two cores) can take well over 15 s to answer; a dead one still goes within a minute.
     */
    keepaliveIntervalMs: z.number().int().positive().default(15_000),
    keepaliveCountMax: z.number().int().positive().default(4),
    /** Default time limit of a command; none unless set (a request's timeoutMs wins). */
    commandTimeoutMs: z.number().int().positive().optional(),
    /** Grace between SIGTERM and SIGKILL when a command runs past its time. */
    killAfterMs: z.number().int().positive().default(2_000),
    /** Extra connection attempts after a failure (never after auth or host-key refusal). */
    connectRetries: z.number().int().min(0).max(20).default(0),
    /** First retry delay; doubled after each attempt. */
    retryBackoffMs: z.number().int().min(0).default(1_000),
    /** Channels open at once on the connection (sshd's MaxSessions is 10). */
    maxSessions: z.number().int().min(2).max(100).default(8),
    hostKeyPolicy: z.enum(['strict', 'accept-new', 'pinned']).default('strict'),
    /** `SHA256:...` as printed by `ssh-keygen -lf`; implies the `pinned` policy. */
    hostKeyFingerprint: z
      .string()
      .regex(/^SHA256:[A-Za-z0-9+/]{43}$/, 'must look like SHA256: followed by 43 base64 characters')
      .optional(),
    knownHostsPath: path.default(join(homedir(), '.ssh', 'known_hosts')),
    /** Defaults to ~/.ssh/config when that file exists. */
    sshConfigPath: path.optional(),
    /** Passphrase of an encrypted private key (else env CAPSTAN_SSH_PASSPHRASE, else passphraseFile). */
    passphrase: secret('ssh key passphrase').optional(),
    passphraseFile: path.optional(),
    /** Login password read from a file (else the inventory's, else env CAPSTAN_SSH_PASSWORD). */
    passwordFile: path.optional(),
    /** Offer the keys of the ssh-agent at SSH_AUTH_SOCK. */
    useAgent: z.boolean().default(true),
  })
  .strict()
  .transform((o) => (o.hostKeyFingerprint && o.hostKeyPolicy === 'strict' ? { ...o, hostKeyPolicy: 'pinned' as const } : o))
  .refine((o) => o.hostKeyPolicy !== 'pinned' || o.hostKeyFingerprint, {
    message: 'hostKeyPolicy "pinned" needs hostKeyFingerprint',
    path: ['hostKeyFingerprint'],
  });

export type SshOptions = z.output<typeof sshOptionsSchema>;

/** Validates the options of one host; every problem is reported with its key path. */
export function parseSshOptions(raw: Record<string, unknown>, host = ''): SshOptions {
  const r = sshOptionsSchema.safeParse(raw);
  if (r.success) return r.data;
  const problems: ConfigProblem[] = r.error.issues.map((i) => ({
    message: `${host ? `${host}: ` : ''}ssh option ${i.path.join('.') || '(options)'}: ${i.message}`,
    keyPath: ['options', ...i.path.map(String)].join('.'),
  }));
  throw ConfigError.of(problems);
}

/** Replaces a leading `~/` by the home directory. */
export function expandHome(p: string): string {
  if (p === '~') return homedir();
  return p.startsWith('~/') ? join(homedir(), p.slice(2)) : p;
}
