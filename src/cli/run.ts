/**
 * `capstan run` and `capstan validate`.
 *
 *   capstan run playbooks/site.ts -i inventory/hosts.yml --check --diff --limit web1
 *   capstan validate playbooks/site.ts -i inventory/hosts.yml
 *
 * SIGINT stops scheduling new steps and abandons connections not yet made; steps in flight
 * finish, locks and temp files are released, the recap is printed and the exit code is 130.
 * A second SIGINT also kills the commands in flight on every host (their whole remote
 * session), releases the locks, and exits within FORCED_EXIT_MS whatever is left; a third
 * exits at once.
 */
import { relative } from 'node:path';
import { redact } from '../commands/secret.ts';
import { runPlaybook, validatePlaybook } from '../engine/run.ts';
import type { RunEvent } from '../events.ts';
import { ExitCode } from '../events.ts';
import { JsonReporter } from '../output/json.ts';
import { PrettyReporter } from '../output/pretty.ts';
import { loadInventoryView } from '../inventory/view.ts';
import { connectorFactory, type SshCliOptions } from './connectors.ts';
import { loadExtraVars, loadPlaybook } from './load.ts';
import { cliKeyring, type VaultCliOptions } from './vault.ts';
import type { Slice } from '../engine/slice.ts';

export interface RunArgs extends SshCliOptions, VaultCliOptions {
  playbook: string;
  inventory: string[];
  check: boolean;
  diff: boolean;
  limit?: string;
  /** `--slice K/N`: only the K-th of N slices of the selected hosts. */
  slice?: Slice;
  tags: string[];
  skipTags: string[];
  forks: number;
  extraVars: string[];
  json: boolean;
  verbose: number;
  commandTimeoutMs?: number;
  /** Wait this long for another run's lock on a host before reporting it LOCKED. */
  lockWaitMs?: number;
}

/** After a second Ctrl-C, the process exits by this time even if cleanup is not done. */
export const FORCED_EXIT_MS = 2_000;

export async function validateCommand(a: Pick<RunArgs, 'playbook' | 'inventory' | 'limit' | 'slice' | 'tags' | 'skipTags' | 'extraVars'> & VaultCliOptions, out: (s: string) => void): Promise<number> {
  const vault = await cliKeyring(a);
  const inv = await loadInventoryView(a.inventory, { vault });
  const pb = await loadPlaybook(a.playbook);
  const prepared = validatePlaybook(pb, inv, { extraVars: loadExtraVars(a.extraVars, vault), limit: a.limit, ...(a.slice ? { slice: a.slice } : {}), tags: a.tags, skipTags: a.skipTags, connectorFactory: connectorFactory({}) });
  for (const w of [...inv.warnings, ...prepared.warnings]) out(`warning: ${redact(w)}\n`);
  for (const p of prepared.plays) {
    const steps = [...p.perHost.values()].reduce((n, h) => n + h.steps.length, 0);
    const sliced = a.slice ? ` (slice ${a.slice.index}/${a.slice.count} of ${p.playHosts.length}: ${p.hosts.join(', ') || 'none'})` : '';
    out(`play "${p.definition.name}": ${p.hosts.length} hosts${sliced}, ${steps} host-steps\n`);
  }
  out(`${relative('.', a.playbook)} is valid against ${a.inventory.join(', ')} (no host was contacted)\n`);
  return ExitCode.ok;
}

export async function runCommand(a: RunArgs, out: (s: string) => void): Promise<number> {
  const vault = await cliKeyring(a);
  const inv = await loadInventoryView(a.inventory, { vault });
  const pb = await loadPlaybook(a.playbook);
  const extraVars = loadExtraVars(a.extraVars, vault);
  const reporter = a.json
    ? new JsonReporter(out)
    : new PrettyReporter({ write: out, colors: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR, tty: Boolean(process.stdout.isTTY), verbose: a.verbose });
  const abort = new AbortController();
  const stop = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts === 1) {
      abort.abort();
      process.stderr.write('\nInterrupted: finishing the steps in flight, releasing locks (Ctrl-C again to stop them and quit)\n');
    } else if (interrupts === 2) {
      stop.abort();
      process.stderr.write('\nStopping: killing the commands in flight and releasing locks (Ctrl-C again to quit at once)\n');
      setTimeout(() => process.exit(ExitCode.interrupted), FORCED_EXIT_MS).unref();
    } else process.exit(ExitCode.interrupted);
  };
  process.on('SIGINT', onSigint);
  try {
    const recap = await runPlaybook(pb, inv, {
      check: a.check, diff: a.diff, forks: a.forks, limit: a.limit, ...(a.slice ? { slice: a.slice } : {}), tags: a.tags, skipTags: a.skipTags, extraVars,
      connectorFactory: connectorFactory(a), playbookId: relative('.', a.playbook), signal: abort.signal, stopSignal: stop.signal,
      ...(a.commandTimeoutMs ? { commandTimeoutMs: a.commandTimeoutMs } : {}),
      ...(a.lockWaitMs ? { lockWaitMs: a.lockWaitMs } : {}),
    }, (e: RunEvent) => reporter.handle(e));
    return recap.exitCode;
  } finally {
    process.off('SIGINT', onSigint);
  }
}
