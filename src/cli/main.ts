/**
 * The command line: a thin shell over the engine, the inventory and the lab.
 *
 *   capstan run PLAYBOOK -i INVENTORY [--check] [--diff] [--limit P] [--tags T] [--forks N] [-e k=v] [--json] [-v]
 *   capstan validate PLAYBOOK -i INVENTORY
 *   capstan inventory -i INVENTORY --list | --graph | --host HOST
 *   capstan explain HOST VAR -i INVENTORY
 *   capstan facts HOST -i INVENTORY
 *   capstan advise -i INVENTORY [--sample-seconds N] [--uptime-sla 99.9] [--prometheus URL] [--json]
 *   capstan lab up [--nodes N] [--group NAME=COUNT] | inventory | down
 *   capstan init [DIR]
 *   capstan role new NAME [--dir DIR] | docs [DIR] [--check]
 *
 * Each command's code is imported when it runs, so that `capstan run` never loads the lab's
 * Docker client.
 *
 * Exit codes (docs/exit-codes.md): 0 ok, 1 internal error, 2 a host failed, 3 a host was locked
 * by another run, 4 a host was unreachable, 6 both, 5 invalid input (nothing was run), 130 interrupted.
 */
import yargs from 'yargs';
import type { Argv } from 'yargs';
import { redact } from '../commands/secret.ts';
import { ConfigError, isCapstanError } from '../errors.ts';
import { ExitCode } from '../events.ts';
import { createLogger } from '../log/logger.ts';
import { maskSecretArguments } from './argv.ts';
import type { RunArgs } from './run.ts';
import { vaultArgs, vaultOptions } from './vault.ts';

const out = (s: string) => void process.stdout.write(s);

function common<T>(y: Argv<T>) {
  return vaultOptions(y)
    .option('inventory', { alias: 'i', type: 'string', array: true, demandOption: true, describe: 'inventory file (YAML, INI or TS); repeatable' })
    .option('limit', { alias: 'l', type: 'string', describe: 'further limit the hosts (pattern or @file)' })
    .option('extra-vars', { alias: 'e', type: 'string', array: true, default: [] as string[], describe: 'key=value, @file.yml or JSON; highest precedence' })
    .option('tags', { alias: 't', type: 'string', array: true, default: [] as string[], coerce: splitList })
    .option('skip-tags', { type: 'string', array: true, default: [] as string[], coerce: splitList });
}

function ssh<T>(y: Argv<T>) {
  return y
    .option('host-key-policy', { type: 'string', choices: ['strict', 'accept-new'], describe: 'unknown host keys: refuse (strict, default) or trust and record' })
    .option('known-hosts', { type: 'string', describe: 'known_hosts file (default ~/.ssh/known_hosts)' })
    .option('connect-timeout', { type: 'number', describe: 'seconds to connect and authenticate' })
    .option('ssh-max-channels', { type: 'number', describe: 'SSH channels open at once per host, at most sshd\'s MaxSessions (default 8; inventory: capstan_ssh_max_channels)' });
}

export async function main(argv: string[]): Promise<number> {
  maskSecretArguments(argv);
  let code: number = ExitCode.ok;
  const cli = yargs(argv)
    .scriptName('capstan')
    .strict()
    .option('verbose', { alias: 'v', type: 'count', describe: '-v outputs, -vvv diagnostics on stderr' })
    .option('log-file', { type: 'string', describe: 'write diagnostics (JSON lines) to this file' })
    .middleware(async (a) => { await createLogger({ verbosity: Number(a.verbose ?? 0), ...(a['log-file'] ? { file: String(a['log-file']) } : {}) }); })
    .command('run <playbook>', 'run a playbook', (y) => ssh(common(y.positional('playbook', { type: 'string', demandOption: true })))
      .option('check', { alias: 'C', type: 'boolean', default: false, describe: 'report what would change; change nothing' })
      .option('diff', { alias: 'D', type: 'boolean', default: false, describe: 'show file differences (secrets masked)' })
      .option('forks', { alias: 'f', type: 'number', default: 10, describe: 'hosts worked on at once' })
      .option('json', { type: 'boolean', default: false, describe: 'NDJSON events on stdout (docs/json-events.md)' })
      .option('command-timeout', { type: 'number', describe: 'seconds before a command is stopped (default: none)' })
      .option('lock-wait', { type: 'number', describe: 'seconds to wait for another run holding a host\'s lock (default 0: report the host LOCKED)' }),
    async (a) => {
      const args: RunArgs = {
        playbook: a.playbook, inventory: a.inventory, check: a.check, diff: a.diff, limit: a.limit, tags: a.tags, skipTags: a['skip-tags'],
        forks: a.forks, extraVars: a['extra-vars'], json: a.json, verbose: a.verbose ?? 0, ...vaultArgs(a),
        ...(a['host-key-policy'] ? { hostKeyPolicy: a['host-key-policy'] } : {}), ...(a['known-hosts'] ? { knownHosts: a['known-hosts'] } : {}),
        ...(a['connect-timeout'] ? { connectTimeoutMs: a['connect-timeout'] * 1000 } : {}), ...(a['command-timeout'] ? { commandTimeoutMs: a['command-timeout'] * 1000 } : {}),
        ...(a['lock-wait'] ? { lockWaitMs: a['lock-wait'] * 1000 } : {}), ...(a['ssh-max-channels'] !== undefined ? { sshMaxChannels: a['ssh-max-channels'] } : {}),
      };
      const { runCommand } = await import('./run.ts');
      code = await runCommand(args, out);
    })
    .command('validate <playbook>', 'check a playbook, its variables and the inventory without connecting', (y) => common(y.positional('playbook', { type: 'string', demandOption: true })),
      async (a) => void (code = await (await import('./run.ts')).validateCommand({ playbook: a.playbook, inventory: a.inventory, limit: a.limit, tags: a.tags, skipTags: a['skip-tags'], extraVars: a['extra-vars'], ...vaultArgs(a) }, out)))
    .command('inventory', 'show the inventory like ansible-inventory', (y) => vaultOptions(y)
      .option('inventory', { alias: 'i', type: 'string', array: true, demandOption: true })
      .option('list', { type: 'boolean' }).option('graph', { type: 'boolean' }).option('host', { type: 'string' }),
    async (a) => void (code = await (await import('./inventory.ts')).inventoryCommand({ inventory: a.inventory, list: a.list, graph: a.graph, host: a.host, ...vaultArgs(a) }, out)))
    .command('explain <host> <variable>', 'show every value of a variable for a host and where it came from', (y) => vaultOptions(y)
      .positional('host', { type: 'string', demandOption: true }).positional('variable', { type: 'string', demandOption: true })
      .option('inventory', { alias: 'i', type: 'string', array: true, demandOption: true })
      .option('extra-vars', { alias: 'e', type: 'string', array: true, default: [] as string[] }),
    async (a) => void (code = await (await import('./inventory.ts')).explainCommand({ inventory: a.inventory, host: a.host, variable: a.variable, extraVars: a['extra-vars'], ...vaultArgs(a) }, out)))
    .command('facts <host>', 'gather and print a host\'s facts', (y) => ssh(vaultOptions(y).positional('host', { type: 'string', demandOption: true })
      .option('inventory', { alias: 'i', type: 'string', array: true, demandOption: true })),
    async (a) => void (code = await (await import('./facts.ts')).factsCommand({ inventory: a.inventory, host: a.host, ...vaultArgs(a), ...(a['host-key-policy'] ? { hostKeyPolicy: a['host-key-policy'] } : {}), ...(a['known-hosts'] ? { knownHosts: a['known-hosts'] } : {}) }, out)))
    .command('advise', 'which roadmap stage the K3s hosts are at and which to move to (docs/advise.md)', (y) => ssh(vaultOptions(y)
      .option('inventory', { alias: 'i', type: 'string', array: true, demandOption: true })
      .option('limit', { alias: 'l', type: 'string', describe: 'further limit the hosts (pattern or @file)' })
      .option('sample-seconds', { type: 'number', default: 5, describe: 'CPU sampling window over SSH' })
      .option('uptime-sla', { type: 'number', describe: 'committed uptime in percent (99.9 calls for HA)' })
      .option('prometheus', { type: 'string', describe: 'Prometheus base URL for sustained averages' })
      .option('prometheus-window', { type: 'string', default: '15m', describe: 'range averaged in Prometheus' })
      .option('forks', { alias: 'f', type: 'number', default: 10 })
      .option('json', { type: 'boolean', default: false })),
    async (a) => void (code = await (await import('./advise.ts')).adviseCommand({
      inventory: a.inventory, limit: a.limit, sampleSeconds: a['sample-seconds'], uptimeSla: a['uptime-sla'], prometheus: a.prometheus,
      prometheusWindow: a['prometheus-window'], forks: a.forks, json: a.json, ...vaultArgs(a),
      ...(a['host-key-policy'] ? { hostKeyPolicy: a['host-key-policy'] } : {}), ...(a['known-hosts'] ? { knownHosts: a['known-hosts'] } : {}),
      ...(a['connect-timeout'] ? { connectTimeoutMs: a['connect-timeout'] * 1000 } : {}),
    }, out)))
    .command('lab <action>', 'throwaway lab nodes (Docker): up, inventory, down', (y) => y
      .positional('action', { choices: ['up', 'inventory', 'down'] as const, demandOption: true })
      .option('nodes', { alias: 'n', type: 'number', default: 3 })
      .option('group', { alias: 'g', type: 'string', array: true, default: [] as string[], describe: 'NAME=COUNT, repeatable' })
      .option('privileged', { type: 'boolean', default: false, describe: 'privileged nodes, needed to run real K3s in them' }),
    async (a) => void (code = await (await import('./lab.ts')).labCommand({ action: a.action, nodes: a.nodes, groups: a.group, privileged: a.privileged }, out)))
    .command('init [dir]', 'create a project: package.json, tsconfig, a playbook, an inventory, README', (y) => y.positional('dir', { type: 'string', default: '.' }),
      async (a) => void (code = await (await import('./scaffold.ts')).initCommand({ dir: a.dir }, out)))
    .command('role', 'role packages: new, docs', (y) => y
      .command('new <name>', 'create a role package (typed variables, steps, handlers, README, a test on a throwaway node)', (d) => d
        .positional('name', { type: 'string', demandOption: true }).option('dir', { type: 'string', describe: 'where (default: the name without its scope)' }),
      async (a) => void (code = await (await import('./scaffold.ts')).roleNewCommand({ name: a.name, dir: a.dir }, out)))
      .command('docs [dir]', 'write the variables table of a role package\'s README from its zod schemas', (d) => d
        .positional('dir', { type: 'string', default: '.' })
        .option('check', { type: 'boolean', default: false, describe: 'change nothing; fail when the README is out of date' }),
      async (a) => void (code = await (await import('./role-docs.ts')).roleDocsCommand({ dir: a.dir, check: a.check }, out)))
      .demandCommand(1, 'name a role command: new or docs'))
    .demandCommand(1, 'name a command: run, validate, inventory, explain, facts, advise, lab, init or role')
    .epilogue('Exit codes: 0 ok · 1 internal error · 2 a host failed · 3 a host was locked by another run · 4 a host was unreachable · 6 both · 5 invalid input · 130 interrupted')
    .fail((msg, err) => {
      throw err ?? new ConfigError(msg);
    })
    .help();
  try {
    await cli.parseAsync();
    return code;
  } catch (e) {
    return reportError(e);
  }
}

function reportError(e: unknown): number {
  const err = (s: string) => void process.stderr.write(redact(s));
  if (e instanceof ConfigError) {
    err(`error: invalid input, nothing was run:\n${e.message}\n`);
    return ExitCode.invalidInput;
  }
  if (isCapstanError(e)) {
    err(`error: ${e.message}\n`);
    return e.kind === 'interrupted' ? ExitCode.interrupted : e.kind === 'connection' ? ExitCode.unreachable : ExitCode.internal;
  }
  err(`internal error (please report it): ${(e as Error).stack ?? String(e)}\n`);
  return ExitCode.internal;
}

function splitList(v: string[]): string[] {
  return v.flatMap((x) => x.split(',')).map((x) => x.trim()).filter(Boolean);
}
