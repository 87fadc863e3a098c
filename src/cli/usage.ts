/**
 * What the command line says when it cannot make sense of the words it was given: one line
 * naming the problem, the command's usage as the hint, and the nearest command or flag when
 * a name is mistyped.
 *
 *   usageError('Did you mean run?', ['rnu', 'site.ts']);
 *   // ConfigError: unknown command "rnu": did you mean run?  → usage: capstan <command> ...
 */
import { ConfigError } from '../errors.ts';
import { nearest } from '../inventory/suggest.ts';

/** One line per command: what it needs and its main flags (`capstan COMMAND --help` lists all). */
export const USAGE: Readonly<Record<string, string>> = {
  run: 'capstan run PLAYBOOK -i INVENTORY [--check] [--diff] [--limit P] [--slice K/N] [--tags T] [--forks N] [-e k=v] [--json] [-v]',
  validate: 'capstan validate PLAYBOOK -i INVENTORY [--limit P] [--tags T] [-e k=v]',
  inventory: 'capstan inventory -i INVENTORY [--list | --graph | --host HOST]',
  explain: 'capstan explain HOST VARIABLE -i INVENTORY [-e k=v]',
  facts: 'capstan facts HOST -i INVENTORY [--connect-timeout S]',
  advise: 'capstan advise -i INVENTORY [--sample-seconds N] [--uptime-sla 99.9] [--prometheus URL] [--json]',
  lab: 'capstan lab up|inventory|down [--nodes N] [--group NAME=COUNT]',
  recap: 'capstan recap merge FILE... [--json]',
  recipe: 'capstan recipe k8s-job|github-actions PLAYBOOK -i INVENTORY --slices N [--image IMAGE] [--check]',
  init: 'capstan init [DIR]',
  role: 'capstan role new NAME [--dir DIR] | capstan role docs [DIR] [--check]',
};

export const COMMANDS = Object.keys(USAGE);

function usageHint(command: string | undefined): string {
  const line = command && USAGE[command];
  return line ? `usage: ${line} (capstan ${command} --help lists every option)` : `usage: capstan <command> ...; the commands are ${COMMANDS.join(', ')} (capstan --help)`;
}

/** Turns a yargs complaint into one ConfigError line with the command's usage as the hint. */
export function usageError(msg: string, argv: readonly string[], flags: readonly string[] = []): ConfigError {
  const command = argv.find((a) => !a.startsWith('-'));
  const known = command !== undefined && COMMANDS.includes(command) ? command : undefined;
  return new ConfigError(explain(msg.trim(), argv, command, known, flags), { hint: usageHint(known) });
}

function explain(msg: string, argv: readonly string[], command: string | undefined, known: string | undefined, flags: readonly string[]): string {
  const did = /^Did you mean (\S+)\?$/.exec(msg);
  if (did) return `unknown command "${argv.find((a) => !a.startsWith('-') && !COMMANDS.includes(a)) ?? command}": did you mean ${did[1]}?`;
  if (!known && command !== undefined && /^Unknown arguments?:/.test(msg)) {
    const near = nearest(command, COMMANDS);
    return `unknown command "${command}"${near ? `: did you mean ${near}?` : ''}`;
  }
  const following = /^Not enough arguments following: (\S+)$/.exec(msg);
  if (following) return `${(following[1] ?? '').length === 1 ? '-' : '--'}${following[1]} needs a value`;
  if (/^Not enough non-option arguments/.test(msg)) return `capstan ${known ?? ''}: missing arguments`.replace(' :', ':');
  if (/^name a command/.test(msg)) return 'no command given';
  const unknown = /^Unknown arguments?: (.*)$/s.exec(msg);
  if (unknown) {
    return (unknown[1] ?? '').split(', ').map((a) => {
      const name = a.replace(/^-+/, '');
      const near = nearest(name, flags);
      return `unknown option ${a.length === 1 || a.startsWith('-') ? a : `--${a}`}${near ? ` (did you mean --${near}?)` : ''}`;
    }).join('; ');
  }
  const missing = /^Missing required arguments?: (.*)$/s.exec(msg);
  if (missing) return `missing ${(missing[1] ?? '').split(', ').map((a) => `--${a}`).join(', ')}`;
  return msg.split('\n').map((l) => l.trim()).filter(Boolean).join(' ');
}
