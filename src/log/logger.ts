/**
 * Diagnostics (never user output): winston, to stderr at -vvv or to a file with --log-file.
 * Every message passes through `redact`, so secrets stay out at any verbosity. Without
 * either, nothing is logged and winston is not even loaded.
 *
 *   await createLogger({ verbosity: 3, file: 'capstan.log' });
 *   log().debug('exec', { host: 'web1', command: 'systemctl is-active k3s' });
 */
import type Winston from 'winston';
import { redact, redactDeep } from '../commands/secret.ts';

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
  if (o.verbosity >= 3) transports.push(new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'debug'], format: winston.format.combine(redactFormat(), winston.format.simple()) }));
  if (o.file) transports.push(new winston.transports.File({ filename: o.file, format: winston.format.combine(redactFormat(), winston.format.timestamp(), winston.format.json()) }));
  current = winston.createLogger({ level: 'debug', transports });
  return current;
}

/** The process's diagnostics logger (silent until createLogger is called with somewhere to write). */
export function log(): DiagnosticsLogger {
  return current;
}
