/**
 * Diagnostics (never user output): winston, to stderr at -vvv (never stdout) or to a file
 * with --log-file (refused at once when it cannot be written).
 * Every message passes through `redact`, so secrets stay out at any verbosity. Without
 * either, nothing is logged and winston is not even loaded.
 *
 *   await createLogger({ verbosity: 3, file: 'capstan.log' });
 *   log().debug('exec', { host: 'web1', command: 'systemctl is-active k3s' });
 */
import type Winston from 'winston';
import { closeSync, openSync } from 'node:fs';
import { redact, redactDeep } from '../commands/secret.ts';
import { ConfigError } from '../errors.ts';
import { fsCause } from '../inventory/fs-errors.ts';

export interface LoggerOptions {
  /** -v count: 0-2 nothing on stderr, 3+ debug on stderr. */
  verbosity: number;
  file?: string;
}

type LogFn = (message: string, meta?: Record<string, unknown>) => void;

/** The diagnostics logger: winston's level methods. */
export interface DiagnosticsLogger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
}

const ignore: LogFn = () => undefined;
const SILENT: DiagnosticsLogger = { debug: ignore, info: ignore, warn: ignore, error: ignore };

let current: DiagnosticsLogger = SILENT;

export async function createLogger(o: LoggerOptions): Promise<DiagnosticsLogger> {
  if (o.verbosity < 3 && !o.file) return (current = SILENT);
  const { default: winston } = await import('winston');
  const redactFormat = winston.format((info) => {
    const out = redactDeep({ ...info }) as typeof info;
    out.message = redact(String(info.message));
    return out;
  });
  const transports: Winston.transport[] = [];
  // A stream, not the Console transport: that one picks stdout or stderr by a level the
  // redaction copy does not carry, and stdout is for user output (NDJSON under --json).
  if (o.verbosity >= 3) transports.push(new winston.transports.Stream({ stream: process.stderr, format: winston.format.combine(redactFormat(), winston.format.simple()) }));
  if (o.file) {
    checkWritable(o.file);
    const file = new winston.transports.File({ filename: o.file, format: winston.format.combine(redactFormat(), winston.format.timestamp(), winston.format.json()) });
    file.on('error', (e: Error) => void process.stderr.write(`warning: diagnostics cannot be written to ${o.file}: ${e.message}\n`));
    transports.push(file);
  }
  current = winston.createLogger({ level: 'debug', transports });
  return current;
}

/** Refuses a --log-file that cannot be opened for appending, before anything runs. */
function checkWritable(file: string): void {
  try {
    closeSync(openSync(file, 'a'));
  } catch (e) {
    const cause = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'its directory does not exist (ENOENT)' : fsCause(e);
    throw new ConfigError(`--log-file ${file}: cannot write there: ${cause}`, { hint: 'name a file in a directory you can write to' });
  }
}

/** The process's diagnostics logger (silent until createLogger is called with somewhere to write). */
export function log(): DiagnosticsLogger {
  return current;
}
