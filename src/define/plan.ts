/**
 * What a module returns: the changes it would make, each with a human summary and the
 * actions that realise it, or the reason nothing needs doing.
 *
 *   plan: (a, { st }) => st ? noop(`${a.path} exists`) : changes(change(`create ${a.path}`, exec(sh`mkdir -p -- ${a.path}`)))
 *
 * Modules never run anything and never ask whether this is check mode: the engine reports
 * a plan under --check, renders its diffs under --diff and executes its actions otherwise.
 */
import { createHash } from 'node:crypto';
import type { Command } from '../commands/command.ts';
import { cmd } from '../commands/command.ts';
import type { ShellText } from '../commands/quote.ts';
import type { Secret } from '../commands/secret.ts';

/** A file to write atomically (temp file in the same directory, checksum, validate, rename). */
export interface PutSpec {
  dest: string;
  content: string | Buffer | Secret | { localPath: string };
  mode: string;
  owner?: string;
  group?: string;
  /** Command run on the temp file before the rename; `%s` is the temp path. */
  validate?: string;
  backup?: boolean;
}

/** Copies a file from the host to the controller (streamed, written atomically there). */
export interface FetchSpec {
  src: string;
  /** Local path on the controller. */
  dest: string;
}

/** Reboots the host and waits until it is back with a new boot id. */
export interface RebootSpec {
  /** The command that starts the reboot (default `systemctl reboot`, falling back to `shutdown -r now`). */
  command?: string;
  /** How long to wait for the host to come back. */
  timeoutMs: number;
  /** A command that must succeed once the host is back (e.g. `systemctl is-system-running --wait`). */
  testCommand?: string;
}

export type Action =
  | { kind: 'exec'; command: Command }
  | { kind: 'put'; file: PutSpec }
  | { kind: 'fetch'; fetch: FetchSpec }
  | { kind: 'reboot'; reboot: RebootSpec };

/**
 * Before/after text of a file, for --diff. A `secret` diff carries SHA-256 digests instead of
 * text, on both sides, and the files' sizes: build it with `secretDiff`. The engine reads a
 * missing `before` from the host (as text, or for a secret diff as digest and size only).
 */
export interface FileDiff {
  path: string;
  /** Text before the change (for a secret diff its SHA-256); null: absent; undefined: read from the host. */
  before?: string | null;
  after: string | null;
  secret?: boolean;
  /** Sizes in bytes of a secret diff's files (null: absent). */
  sizes?: { before?: number | null; after: number | null };
}

/** A file's digest and size, or null when it is absent. */
export type FileDigest = { sha256: string; size: number } | null;

/**
 * The diff of a file whose content must not be shown: digests and sizes on both sides.
 *
 *   secretDiff('/etc/rancher/k3s/config.yaml', st, digestOf(bytes))   // st: the file's stat fact
 */
export function secretDiff(path: string, before: FileDigest | undefined, after: FileDigest): FileDiff {
  const sizes = { ...(before !== undefined ? { before: before?.size ?? null } : {}), after: after?.size ?? null };
  return { path, ...(before !== undefined ? { before: before?.sha256 ?? null } : {}), after: after?.sha256 ?? null, secret: true, sizes };
}

/** SHA-256 and size of some content. */
export function digestOf(content: string | Buffer): { sha256: string; size: number } {
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  return { sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.length };
}

export interface Change {
  summary: string;
  actions: Action[];
  diff?: FileDiff;
  /** Set when the outcome cannot be predicted (a raw command without `creates`). */
  unpredictable?: string;
}

export interface Plan {
  changes: Change[];
  /** Why nothing needs doing; set when `changes` is empty. */
  noop?: string;
  /** The desired state cannot be reached: the step fails, in check mode too. */
  error?: string;
}

export function exec(script: ShellText | string | Command, options: Omit<Command, 'script'> = {}): Action {
  const command = typeof script === 'object' && 'script' in script ? script : cmd(script, options);
  return { kind: 'exec', command };
}

export function put(file: PutSpec): Action {
  return { kind: 'put', file };
}

export function fetchFrom(spec: FetchSpec): Action {
  return { kind: 'fetch', fetch: spec };
}

export function reboot(spec: RebootSpec): Action {
  return { kind: 'reboot', reboot: spec };
}

export function change(summary: string, ...actions: Action[]): Change {
  return { summary, actions };
}

export function changes(...list: (Change | false | null | undefined)[]): Plan {
  const kept = list.filter((c): c is Change => Boolean(c));
  return kept.length ? { changes: kept } : { changes: [], noop: 'nothing to change' };
}

/** The module cannot reach the desired state (a path of the wrong type, a missing source). */
export function fail(message: string): Plan {
  return { changes: [], error: message };
}

export function noop(reason: string): Plan {
  return { changes: [], noop: reason };
}
