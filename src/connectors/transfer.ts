/**
 * Atomic file transfer built on `Connector.exec` alone, so it works over every connector.
 * The content goes to a temp file in the destination directory, created under umask 077
 * (never readable by others while it is written), its sha256 is checked against the
 * controller's, the optional validate command runs on it, the old file is optionally kept
 * as a backup, owner and mode are set, and only then `mv -f` renames it over the target.
 * Any failure removes the temp file and leaves the old file as it was. Small content costs
 * one round trip; large content and local files are streamed, never held in memory.
 *
 *   const { sha256, backupPath } = await putFile(conn, {
 *     dest: '/etc/haproxy/haproxy.cfg', content: rendered, mode: '0644',
 *     validate: 'haproxy -c -f %s', backup: true, become: { user: 'root' },
 *   });
 *   await fetchFile(conn, '/var/log/syslog', './out/syslog');
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { quote } from '../commands/quote.ts';
import { Secret } from '../commands/secret.ts';
import { CommandError, ConfigError } from '../errors.ts';
import type { Become, Connector, ExecRequest } from './connector.ts';

export interface PutFileOptions {
  /** Absolute path on the host. */
  dest: string;
  content: string | Buffer | Secret | { localPath: string };
  /** Octal mode as a string, `0644` by default. */
  mode?: string;
  owner?: string;
  group?: string;
  /** Command that checks the new file before it replaces the old one; `%s` is its path. */
  validate?: string;
  /** Keep the old file beside the new one (a hard link, else a copy). */
  backup?: boolean;
  become?: Become;
  timeoutMs?: number;
}

export interface PutFileResult {
  sha256: string;
  backupPath?: string;
}

/** Content up to this size is sent with the command; beyond it, it is streamed. */
export const STREAM_THRESHOLD = 512 * 1024;

interface Payload {
  stdin: ExecRequest['stdin'];
  sha256: string;
}

export async function putFile(connector: Connector, o: PutFileOptions): Promise<PutFileResult> {
  checkPutOptions(o);
  const payload = await preparePayload(o.content);
  const dir = posix.dirname(o.dest);
  const tmp = posix.join(dir, `.capstan-${randomBytes(8).toString('hex')}.tmp`);
  const backupPath = o.backup ? `${o.dest}.${stamp()}.bak` : undefined;
  const tag = `capstan-put-${randomBytes(8).toString('hex')}:`;
  const script = putScript({ ...o, tmp, sha256: payload.sha256, backupPath, tag });
  const req: ExecRequest = { script, stdin: payload.stdin, display: `put file ${o.dest}` };
  if (o.become) req.become = o.become;
  if (o.timeoutMs !== undefined) req.timeoutMs = o.timeoutMs;
  const r = await connector.exec(req);
  if (r.exitCode !== 0 || !r.stdout.includes(`${tag}done`)) {
    const why = r.stderr.trim() || `exit status ${r.exitCode}`;
    throw new CommandError(connector.host, `put file ${o.dest}`, r.exitCode, r.stdout, r.stderr, r.durationMs, `${connector.host}: cannot write ${o.dest}: ${why}`);
  }
  const result: PutFileResult = { sha256: payload.sha256 };
  if (backupPath && r.stdout.includes(`${tag}backup`)) result.backupPath = backupPath;
  return result;
}

function checkPutOptions(o: PutFileOptions): void {
  const bad = (message: string, keyPath: string) => new ConfigError(message, { keyPath });
  if (!o.dest.startsWith('/') || o.dest.endsWith('/') || o.dest.includes('\0')) {
    throw bad(`destination ${JSON.stringify(o.dest)} must be an absolute file path`, 'dest');
  }
  if (o.mode !== undefined && !/^0?[0-7]{3}$|^[0-7]{4}$/.test(o.mode)) throw bad(`mode ${JSON.stringify(o.mode)} must be an octal string like "0644"`, 'mode');
  for (const [k, v] of [['owner', o.owner], ['group', o.group]] as const) {
    if (v !== undefined && (v === '' || v.startsWith('-') || /[\s:\0]/.test(v))) throw bad(`${k} ${JSON.stringify(v)} is not a valid name`, k);
  }
  if (o.validate !== undefined && !o.validate.includes('%s')) throw bad('validate must contain %s (the path of the file to check)', 'validate');
}

/** The bytes to send and their sha256; local files and large content become streams. */
async function preparePayload(content: PutFileOptions['content']): Promise<Payload> {
  if (typeof content === 'object' && !Buffer.isBuffer(content) && !Secret.is(content)) {
    const size = (await stat(content.localPath)).size;
    if (size <= STREAM_THRESHOLD) return preparePayload(await readFile(content.localPath));
    const hash = createHash('sha256');
    await pipeline(createReadStream(content.localPath), hash);
    return { stdin: createReadStream(content.localPath, { highWaterMark: 256 * 1024 }), sha256: hash.digest('hex') };
  }
  const bytes = Secret.is(content) ? Buffer.from(content.reveal(), 'utf8') : Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8');
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (Secret.is(content)) return { stdin: content, sha256 };
  return { stdin: bytes.length === 0 ? undefined : bytes, sha256 };
}

function stamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
}

interface ScriptInput extends PutFileOptions {
  tmp: string;
  sha256: string;
  backupPath: string | undefined;
  tag: string;
}

/** The remote side of putFile: each step stops the script on failure, the trap cleans up. */
function putScript(s: ScriptInput): string {
  const q = quote;
  const fail = (code: number, msg: string) => `{ printf 'capstan: %s\\n' ${q(msg)} >&2; exit ${code}; }`;
  const lines = [
    'umask 077',
    `tmp=${q(s.tmp)}; dest=${q(s.dest)}`,
    `trap 'rm -f -- "$tmp"' EXIT; trap 'exit 129' HUP; trap 'exit 130' INT; trap 'exit 143' TERM; trap 'exit 141' PIPE`,
    `if [ -d "$dest" ] && [ ! -L "$dest" ]; then ${fail(65, `${s.dest} is a directory`)}; fi`,
    `(set -C; cat > "$tmp") || ${fail(66, `cannot create a temp file in ${posix.dirname(s.dest)}`)}`,
    `sum=$(sha256sum < "$tmp") || ${fail(67, 'cannot checksum the uploaded file')}`,
    `[ "\${sum%% *}" = ${s.sha256} ] || ${fail(68, 'checksum mismatch: the upload was cut short or altered')}`,
  ];
  if (s.validate !== undefined) {
    const cmd = s.validate.split('%s').join(q(s.tmp));
    lines.push(`( ${cmd}\n) </dev/null || { rc=$?; printf 'capstan: validate command failed (exit %s): %s\\n' "$rc" ${q(s.validate)} >&2; exit 69; }`);
  }
  lines.push(...ownerLines(s, fail));
  lines.push(`chmod ${s.mode ?? '0644'} -- "$tmp" || ${fail(71, 'cannot set the mode')}`);
  if (s.backupPath !== undefined) {
    const bak = q(s.backupPath);
    lines.push(`if [ -e "$dest" ]; then { ln -f -- "$dest" ${bak} 2>/dev/null || cp -p -- "$dest" ${bak}; } || ${fail(72, 'cannot back up the old file')}; printf '%s\\n' ${q(`${s.tag}backup`)}; fi`);
  }
  lines.push(`mv -f -- "$tmp" "$dest" || ${fail(73, `cannot rename the temp file over ${s.dest}`)}`);
  lines.push('trap - EXIT', `printf '%s\\n' ${q(`${s.tag}done`)}`);
  return lines.join('\n');
}

function ownerLines(s: ScriptInput, fail: (code: number, msg: string) => string): string[] {
  if (s.owner === undefined && s.group === undefined) {
    return ['if [ -e "$dest" ]; then chown --reference="$dest" -- "$tmp" 2>/dev/null || :; fi'];
  }
  const spec = `${s.owner ?? ''}${s.group !== undefined ? `:${s.group}` : ''}`;
  return [`chown -- ${quote(spec)} "$tmp" || ${fail(70, `cannot set owner ${spec}`)}`];
}

/** Fetches a remote file to a local path (streamed, atomic locally); returns its sha256. */
export async function fetchFile(connector: Connector, remotePath: string, localPath: string, become?: Become): Promise<{ sha256: string }> {
  await connector.fetchFile(remotePath, localPath, become);
  const hash = createHash('sha256');
  await pipeline(createReadStream(localPath) as Readable, hash);
  return { sha256: hash.digest('hex') };
}
