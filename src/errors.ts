/**
 * Capstan's error hierarchy: one small branded family, each kind mapped to one exit code.
 *
 *   throw new ConfigError('inventory has no host "web1"', { file: 'hosts.yml', line: 3, col: 5, keyPath: 'all.hosts' });
 *
 * A failure on one host is data in that host's result, never an exception that stops the
 * others: these classes cross the engine boundary only for whole-run problems (bad input,
 * internal bugs) or inside a host's result.
 */

/** Where a bad value came from: file, 1-based line and column, and the key path inside it. */
export interface SourceLocation {
  file?: string;
  line?: number;
  col?: number;
  keyPath?: string;
}

export abstract class CapstanError extends Error {
  abstract readonly kind: 'config' | 'connection' | 'command' | 'internal' | 'interrupted';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Formats a location as `file:line:col (key a.b.c)`, omitting what is unknown. */
export function formatLocation(loc: SourceLocation): string {
  let out = loc.file ?? '';
  if (loc.file && loc.line !== undefined) out += `:${loc.line}`;
  if (loc.file && loc.line !== undefined && loc.col !== undefined) out += `:${loc.col}`;
  if (loc.keyPath) out += `${out ? ' ' : ''}(key ${loc.keyPath})`;
  return out;
}

/** One problem in user input: a file, a variable, a flag. Several are reported together. */
export interface ConfigProblem extends SourceLocation {
  message: string;
  hint?: string;
}

/** Bad input: inventory, playbook, variables, flags. Raised before any connection is made. */
export class ConfigError extends CapstanError {
  readonly kind = 'config' as const;
  readonly problems: ConfigProblem[];
  constructor(message: string, location: SourceLocation & { hint?: string } = {}, more: ConfigProblem[] = []) {
    super(ConfigError.render([{ message, ...location }, ...more]));
    this.problems = [{ message, ...location }, ...more];
  }

  /** Builds one error that reports every problem at once. */
  static of(problems: ConfigProblem[]): ConfigError {
    const [first, ...rest] = problems;
    if (!first) throw new InternalError('ConfigError.of needs at least one problem');
    const { message, ...loc } = first;
    return new ConfigError(message, loc, rest);
  }

  static render(problems: ConfigProblem[]): string {
    return problems
      .map((p) => {
        const where = formatLocation(p);
        return `${where ? `${where}: ` : ''}${p.message}${p.hint ? `\n  → ${p.hint}` : ''}`;
      })
      .join('\n');
  }
}

/**
 * A host pattern (or `--limit`) that names known groups or hosts but selects none of them: an
 * empty group, a limit that leaves a play no host. A playbook skips such a play (as Ansible's
 * "no hosts matched"); it is an error only when no play of the playbook selects a host.
 */
export class NoHostsMatched extends ConfigError {}

/** The host could not be reached, refused us (host key, authentication) or dropped mid-run. */
export class ConnectionError extends CapstanError {
  readonly kind = 'connection' as const;
  constructor(
    readonly host: string,
    message: string,
    readonly reason: 'refused' | 'timeout' | 'host-key' | 'auth' | 'dropped' | 'dns' | 'protocol' | 'other' = 'other',
    options?: { cause?: unknown },
  ) {
    super(`${host}: ${message}`, options);
  }
}

/** A command ran on a host and failed. The command text is already masked. */
export class CommandError extends CapstanError {
  readonly kind = 'command' as const;
  constructor(
    readonly host: string,
    readonly command: string,
    readonly exitCode: number | null,
    readonly stdout: string,
    readonly stderr: string,
    readonly durationMs: number,
    message?: string,
  ) {
    super(message ?? `${host}: command failed (exit ${exitCode ?? 'none'}): ${command}${stderr ? `\n${stderr.trimEnd()}` : ''}`);
  }
}

/** The run was interrupted (SIGINT). */
export class InterruptedError extends CapstanError {
  readonly kind = 'interrupted' as const;
}

/** A bug in Capstan itself. */
export class InternalError extends CapstanError {
  readonly kind = 'internal' as const;
}

export function isCapstanError(e: unknown): e is CapstanError {
  return e instanceof CapstanError;
}
