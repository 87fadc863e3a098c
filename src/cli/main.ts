/**
 * The command line: a thin shell over the engine, the inventory and the lab.
 *
 *   capstan run PLAYBOOK -i INVENTORY [--check] [--diff] [--limit P] [--tags T] [--forks N] [-e k=v] [--json] [-v]
 *   capstan validate PLAYBOOK -i INVENTORY
 *   capstan run PLAYBOOK -i INVENTORY --slice K/N --json > slice-K.ndjson; capstan recap merge slice-*.ndjson
 *   capstan recipe k8s-job|github-actions PLAYBOOK -i INVENTORY --slices N
 *   capstan inventory -i INVENTORY --list | --graph | --host HOST
 *   capstan explain HOST VAR -i INVENTORY
 *   capstan facts HOST -i INVENTORY
 *   capstan advise -i INVENTORY [--sample-seconds N] [--uptime-sla 99.9] [--prometheus URL] [--json]
 *   capstan lab up [--nodes N] [--group NAME=COUNT] | inventory | down
 *   capstan init [DIR]
 *   capstan role new NAME [--dir DIR] | docs [DIR] [--check]
 *
 * Each command's code is imported when it runs, so that `capstan run` never loads the lab's
 * Docker client. Every flag value is checked as it is parsed (flags.ts): bad input is one
 * line naming the flag and what it takes, with the command's usage, and exit code 5.
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
import { checkSwitchValues, filePath, nameList, percentage, seconds, sliceFlag, text, texts, wholeNumber, optionalWholeNumber, word } from './flags.ts';
import { COMMANDS, usageError } from './usage.ts';
import type { SshCliOptions } from './connectors.ts';
import { vaultArgs, vaultOptions } from './vault.ts';

/** Where the command line writes: user output and errors. */
export interface CliIo {
  out: (s: string) => void;
  err: (s: string) => void;
}

const PROCESS_IO: CliIo = { out: (s) => void process.stdout.write(s), err: (s) => void process.stderr.write(s) };

const inventoryOption = { alias: 'i', type: 'string', requiresArg: true, array: true, demandOption: true, coerce: texts('--inventory', 1), describe: 'inventory file or directory (YAML, INI or TS); repeatable' } as const;
const extraVarsOption = { alias: 'e', type: 'string', requiresArg: true, array: true, default: [] as string[], coerce: texts('--extra-vars'), describe: 'key=value, @file.yml or JSON; highest precedence' } as const;
const limitOption = { alias: 'l', type: 'string', requiresArg: true, coerce: text('--limit'), describe: 'further limit the hosts (pattern or @file)' } as const;
const sliceOption = { type: 'string', requiresArg: true, coerce: sliceFlag('--slice'), describe: 'K/N: only the K-th of N slices of the selected hosts (merge with capstan recap merge)' } as const;

function common<T>(y: Argv<T>) {
  return vaultOptions(y)
    .option('inventory', inventoryOption)
    .option('limit', limitOption)
    .option('extra-vars', extraVarsOption)
    .option('slice', sliceOption)
    .option('tags', { alias: 't', type: 'string', requiresArg: true, array: true, default: [] as string[], coerce: nameList('--tags'), describe: 'run only the steps with these tags (comma-separated, repeatable)' })
    .option('skip-tags', { type: 'string', requiresArg: true, array: true, default: [] as string[], coerce: nameList('--skip-tags'), describe: 'skip the steps with these tags' });
}

function ssh<T>(y: Argv<T>) {
  return y
    .option('host-key-policy', { type: 'string', requiresArg: true, choices: ['strict', 'accept-new'], describe: 'unknown host keys: refuse (strict, default) or trust and record' })
    .option('known-hosts', { type: 'string', requiresArg: true, coerce: filePath('--known-hosts'), describe: 'known_hosts file (default ~/.ssh/known_hosts)' })
    .option('connect-timeout', { requiresArg: true, coerce: seconds('--connect-timeout'), describe: 'seconds for a host to answer: TCP connect and its SSH banner (the handshake after it gets 120 s)' })
    .option('ssh-max-channels', { requiresArg: true, coerce: optionalWholeNumber('--ssh-max-channels', 2, 100), describe: 'SSH channels open at once per host, at most sshd\'s MaxSessions (default 8; inventory: capstan_ssh_max_channels)' });
}

/** The SSH settings given on the command line, for connectorFactory. */
function sshArgs(a: { 'host-key-policy'?: string | undefined; 'known-hosts'?: string | undefined; 'connect-timeout'?: number | undefined; 'ssh-max-channels'?: number | undefined }): SshCliOptions {
  return {
    ...(a['host-key-policy'] ? { hostKeyPolicy: a['host-key-policy'] } : {}),
    ...(a['known-hosts'] ? { knownHosts: a['known-hosts'] } : {}),
    ...(a['connect-timeout'] !== undefined ? { connectTimeoutMs: a['connect-timeout'] * 1000 } : {}),
    ...(a['ssh-max-channels'] !== undefined ? { sshMaxChannels: a['ssh-max-channels'] } : {}),
  };
}

export async function main(argv: string[], io: CliIo = PROCESS_IO): Promise<number> {
  await maskSecretArguments(argv);
  let code: number = ExitCode.ok;
  const out = io.out;
  const cli: Argv = yargs(argv)
    .scriptName('capstan')
    .strict()
    .recommendCommands()
    .option('verbose', { alias: 'v', type: 'count', describe: '-v outputs, -vvv diagnostics on stderr' })
    .option('log-file', { type: 'string', requiresArg: true, coerce: filePath('--log-file'), describe: 'write diagnostics (JSON lines) to this file' })
    .middleware(async (a) => {
      checkSwitchValues(argv, optionsOf(cli).boolean);
      await createLogger({ verbosity: Number(a.verbose ?? 0), ...(a['log-file'] ? { file: String(a['log-file']) } : {}) });
    })
    .command('run <playbook>', 'run a playbook', (y) => ssh(common(y.positional('playbook', { type: 'string', demandOption: true, coerce: word('PLAYBOOK') })))
      .option('check', { alias: 'C', type: 'boolean', default: false, describe: 'report what would change; change nothing' })
      .option('diff', { alias: 'D', type: 'boolean', default: false, describe: 'show file differences (secrets masked)' })
      .option('forks', { alias: 'f', requiresArg: true, default: 10, coerce: wholeNumber('--forks', 1, 1000), describe: 'hosts worked on at once' })
      .option('json', { type: 'boolean', default: false, describe: 'NDJSON events on stdout (docs/json-events.md)' })
      .option('command-timeout', { requiresArg: true, coerce: seconds('--command-timeout', 7 * 86_400), describe: 'seconds before a command is stopped (default: none)' })
      .option('lock-wait', { requiresArg: true, coerce: seconds('--lock-wait', 86_400, 0), describe: 'seconds to wait for another run holding a host\'s lock (default 0: report the host LOCKED)' }),
    async (a) => {
      const { runCommand } = await import('./run.ts');
      code = await runCommand({
        playbook: a.playbook, inventory: a.inventory, check: a.check, diff: a.diff, limit: a.limit, ...(a.slice ? { slice: a.slice } : {}), tags: a.tags, skipTags: a['skip-tags'],
        forks: a.forks, extraVars: a['extra-vars'], json: a.json, verbose: a.verbose ?? 0, ...sshArgs(a), ...vaultArgs(a),
        ...(a['command-timeout'] !== undefined ? { commandTimeoutMs: a['command-timeout'] * 1000 } : {}),
        ...(a['lock-wait'] ? { lockWaitMs: a['lock-wait'] * 1000 } : {}),
      }, out);
    })
    .command('validate <playbook>', 'check a playbook, its variables and the inventory without connecting', (y) => common(y.positional('playbook', { type: 'string', demandOption: true, coerce: word('PLAYBOOK') })),
      async (a) => void (code = await (await import('./run.ts')).validateCommand({ playbook: a.playbook, inventory: a.inventory, limit: a.limit, ...(a.slice ? { slice: a.slice } : {}), tags: a.tags, skipTags: a['skip-tags'], extraVars: a['extra-vars'], ...vaultArgs(a) }, out)))
    .command('inventory', 'show the inventory like ansible-inventory', (y) => vaultOptions(y)
      .option('inventory', inventoryOption)
      .option('list', { type: 'boolean', describe: 'every group and host with its variables, as JSON (the default)' })
      .option('graph', { type: 'boolean', describe: 'the group tree' })
      .option('host', { type: 'string', requiresArg: true, coerce: text('--host'), describe: 'one host\'s merged variables' })
      .conflicts('list', ['graph', 'host']).conflicts('graph', 'host'),
    async (a) => void (code = await (await import('./inventory.ts')).inventoryCommand({ inventory: a.inventory, list: a.list, graph: a.graph, host: a.host, ...vaultArgs(a) }, out)))
    .command('explain <host> <variable>', 'show every value of a variable for a host and where it came from', (y) => vaultOptions(y)
      .positional('host', { type: 'string', demandOption: true, coerce: word('HOST') }).positional('variable', { type: 'string', demandOption: true, coerce: word('VARIABLE') })
      .option('inventory', inventoryOption)
      .option('extra-vars', extraVarsOption),
    async (a) => void (code = await (await import('./inventory.ts')).explainCommand({ inventory: a.inventory, host: a.host, variable: a.variable, extraVars: a['extra-vars'], ...vaultArgs(a) }, out)))
    .command('facts <host>', 'gather and print a host\'s facts', (y) => ssh(vaultOptions(y).positional('host', { type: 'string', demandOption: true, coerce: word('HOST') })
      .option('inventory', inventoryOption)),
    async (a) => void (code = await (await import('./facts.ts')).factsCommand({ inventory: a.inventory, host: a.host, ...vaultArgs(a), ...sshArgs(a) }, out)))
    .command('advise', 'which roadmap stage the K3s hosts are at and which to move to (docs/advise.md)', (y) => ssh(vaultOptions(y)
      .option('inventory', inventoryOption)
      .option('limit', limitOption)
      .option('sample-seconds', { requiresArg: true, default: 5, coerce: wholeNumber('--sample-seconds', 1, 3600), describe: 'CPU sampling window over SSH' })
      .option('uptime-sla', { requiresArg: true, coerce: percentage('--uptime-sla'), describe: 'committed uptime in percent (99.9 calls for HA)' })
      .option('prometheus', { type: 'string', requiresArg: true, coerce: text('--prometheus'), describe: 'Prometheus base URL for sustained averages' })
      .option('prometheus-window', { type: 'string', requiresArg: true, default: '15m', coerce: text('--prometheus-window'), describe: 'range averaged in Prometheus' })
      .option('forks', { alias: 'f', requiresArg: true, default: 10, coerce: wholeNumber('--forks', 1, 1000), describe: 'hosts measured at once' })
      .option('json', { type: 'boolean', default: false, describe: 'the report as JSON' })),
    async (a) => void (code = await (await import('./advise.ts')).adviseCommand({
      inventory: a.inventory, limit: a.limit, sampleSeconds: a['sample-seconds'], uptimeSla: a['uptime-sla'], prometheus: a.prometheus,
      prometheusWindow: a['prometheus-window'] ?? '15m', forks: a.forks, json: a.json, ...sshArgs(a), ...vaultArgs(a),
    }, out)))
    .command('lab <action>', 'throwaway lab nodes (Docker): up, inventory, down', (y) => y
      .positional('action', { choices: ['up', 'inventory', 'down'] as const, demandOption: true })
      .option('nodes', { alias: 'n', requiresArg: true, default: 3, coerce: wholeNumber('--nodes', 1, 50), describe: 'how many nodes' })
      .option('group', { alias: 'g', type: 'string', requiresArg: true, array: true, default: [] as string[], coerce: texts('--group'), describe: 'NAME=COUNT, repeatable' })
      .option('privileged', { type: 'boolean', default: false, describe: 'privileged nodes, needed to run real K3s in them' }),
    async (a) => void (code = await (await import('./lab.ts')).labCommand({ action: a.action, nodes: a.nodes, groups: a.group, privileged: a.privileged }, out)))
    .command('recap', 'recaps: merge the --json streams of a sliced run', (y) => y
      .command('merge <files..>', 'one recap and exit code from the slices\' --json event streams, as one unsliced run', (d) => d
        .positional('files', { type: 'string', array: true, demandOption: true, coerce: texts('FILE', 1) })
        .option('json', { type: 'boolean', default: false, describe: 'the merged recap as one run.end event line' }),
      async (a) => void (code = (await import('./recap.ts')).recapMergeCommand({ files: a.files, json: a.json }, out, io.err)))
      .demandCommand(1, 'name a recap command: merge'))
    .command('recipe <kind> <playbook>', 'render a sliced run for a scheduler: a Kubernetes Indexed Job or a GitHub Actions matrix', (y) => y
      .positional('kind', { choices: ['k8s-job', 'github-actions'] as const, demandOption: true })
      .positional('playbook', { type: 'string', demandOption: true, coerce: word('PLAYBOOK') })
      .option('inventory', { ...inventoryOption, array: false, coerce: text('--inventory'), describe: 'the inventory file (k8s-job: put in the Secret; github-actions: its path in the repository)' })
      .option('slices', { requiresArg: true, demandOption: true, coerce: wholeNumber('--slices', 1, 10_000), describe: 'how many slices run side by side' })
      .option('name', { type: 'string', requiresArg: true, default: 'capstan-run', coerce: word('--name'), describe: 'Job and Secret name, or workflow name' })
      .option('check', { alias: 'C', type: 'boolean', default: false, describe: 'the slices run with --check' })
      .option('image', { type: 'string', requiresArg: true, coerce: text('--image'), describe: 'k8s-job: the image holding the project (package.json, node_modules, playbooks)' })
      .option('workdir', { type: 'string', requiresArg: true, default: '/project', coerce: word('--workdir'), describe: 'k8s-job: the project\'s directory in the image' })
      .option('mount-dir', { type: 'string', requiresArg: true, default: '/capstan', coerce: word('--mount-dir'), describe: 'k8s-job: where the Secret is mounted (the run\'s HOME)' }),
    async (a) => void (code = (await import('./recipe.ts')).recipeCommand({
      kind: a.kind, playbook: a.playbook, inventory: String(a.inventory), slices: a.slices, name: a.name, check: a.check,
      workdir: a.workdir, mountDir: a['mount-dir'], ...(a.image ? { image: a.image } : {}),
    }, out)))
    .command('init [dir]', 'create a project: package.json, tsconfig, a playbook, an inventory, README', (y) => y.positional('dir', { type: 'string', default: '.' }),
      async (a) => void (code = await (await import('./scaffold.ts')).initCommand({ dir: a.dir }, out)))
    .command('role', 'role packages: new, docs', (y) => y
      .command('new <name>', 'create a role package (typed variables, steps, handlers, README, a test on a throwaway node)', (d) => d
        .positional('name', { type: 'string', demandOption: true, coerce: word('NAME') }).option('dir', { type: 'string', requiresArg: true, coerce: text('--dir'), describe: 'where (default: the name without its scope)' }),
      async (a) => void (code = await (await import('./scaffold.ts')).roleNewCommand({ name: a.name, dir: a.dir }, out)))
      .command('docs [dir]', 'write the variables table of a role package\'s README from its zod schemas', (d) => d
        .positional('dir', { type: 'string', default: '.' })
        .option('check', { type: 'boolean', default: false, describe: 'change nothing; fail when the README is out of date' }),
      async (a) => void (code = await (await import('./role-docs.ts')).roleDocsCommand({ dir: a.dir, check: a.check }, out)))
      .demandCommand(1, 'name a role command: new or docs'))
    .demandCommand(1, `name a command: ${COMMANDS.join(', ')}`)
    .epilogue('Exit codes: 0 ok · 1 internal error · 2 a host failed · 3 a host was locked by another run · 4 a host was unreachable · 6 both · 5 invalid input · 130 interrupted')
    .fail((msg, err) => {
      throw err ?? new YargsComplaint(msg);
    })
    .help();
  try {
    await cli.parseAsync(argv, {}, (_err, _args, output) => {
      if (output) out(`${output}\n`);
    });
    return code;
  } catch (e) {
    // yargs rethrows what a flag's check threw as a YError with the same message
    const complaint = e instanceof YargsComplaint || (e instanceof Error && e.name === 'YError');
    return reportError(complaint ? usageError((e as Error).message, argv, Object.keys(optionsOf(cli).key)) : e, io);
  }
}

/** What yargs says about the words it was given (unknown option, missing argument). */
class YargsComplaint extends Error {}

/** The options yargs knows at this point of the parse (the command's included once it is chosen). */
function optionsOf(y: Argv): { boolean: string[]; key: Record<string, unknown> } {
  return (y as unknown as { getOptions(): { boolean: string[]; key: Record<string, unknown> } }).getOptions();
}

function reportError(e: unknown, io: CliIo): number {
  const err = (s: string) => io.err(redact(s));
  if (e instanceof ConfigError) {
    err(`error: invalid input, nothing was run:${e.problems.length === 1 ? ' ' : '\n'}${e.message}\n`);
    return ExitCode.invalidInput;
  }
  if (isCapstanError(e)) {
    err(`error: ${e.message}\n`);
    return e.kind === 'interrupted' ? ExitCode.interrupted : e.kind === 'connection' ? ExitCode.unreachable : ExitCode.internal;
  }
  err(`internal error (please report it): ${(e as Error).stack ?? String(e)}\n`);
  return ExitCode.internal;
}
