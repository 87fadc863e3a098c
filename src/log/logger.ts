/**
 * Diagnostics (never user output): winston, to stderr at -vvv or to a file with --log-file.
 * Every message passes through `redact`, so secrets stay out at any verbosity.
 *
 *   const log = createLogger({ verbosity: 3, file: 'capstan.log' });
 *   log.debug('exec', { host: 'web1', command: 'systemctl is-active k3s' });
 */
import winston from 'winston';
import { redact, redactDeep } from '../commands/secret.ts';

export interface LoggerOptions {
  /** -v count: 0-2 nothing on stderr, 3+ debug on stderr. */
  verbosity: number;
  file?: string;
}

const redactFormat = winston.format((info) => {
  const out = redactDeep({ ...info }) as winston.Logform.TransformableInfo;
  out.message = redact(String(info.message));
  return out;
});

let current: winston.Logger = winston.createLogger({ silent: true });

export function createLogger(o: LoggerOptions): winston.Logger {
  const transports: winston.transport[] = [];
  if (o.verbosity >= 3) transports.push(new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'debug'], format: winston.format.combine(redactFormat(), winston.format.simple()) }));
  if (o.file) transports.push(new winston.transports.File({ filename: o.file, format: winston.format.combine(redactFormat(), winston.format.timestamp(), winston.format.json()) }));
  current = winston.createLogger({ level: 'debug', silent: transports.length === 0, transports });
  return current;
}

/** The process's diagnostics logger (silent until createLogger is called). */
export function log(): winston.Logger {
  return current;
}
