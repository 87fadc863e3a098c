/**
 * `command` and `shell`: run a program (argv, no shell) or a script (POSIX sh).
 *
 *   command({ argv: ['/opt/app/bin/app.sh', '--init'], creates: '/var/lib/app/.initialized' })
 *   shell({ script: 'umask 077 && head -c 32 /dev/urandom | base64 > /etc/app/secret', creates: '/etc/app/secret' })
 *   command({ argv: ['k3s', 'kubectl', 'get', 'nodes'] }, { checkMode: 'run', changedWhen: () => false })
 *
 * With `creates` (skip when the path exists) or `removes` (skip when it does not) the step is
 * idempotent and check mode predicts it. Without them, check mode reports "would run, cannot
 * predict": nothing is executed. The result's `data` holds rc, stdout and stderr.
 */
import { z } from 'zod';
import { defineModule, predict } from '../define/module.ts';
import { change, changes, exec, noop } from '../define/plan.ts';
import { cmd } from '../commands/command.ts';
import { quote, sh } from '../commands/quote.ts';
import { defineFact } from '../define/fact.ts';
import { Secret } from '../commands/secret.ts';
import type { ExecResult } from '../connectors/connector.ts';
import { pathExists } from '../facts/file.ts';
import { predictHashed } from './copy.ts';
import { envVars, remotePath } from './args.ts';

const common = {
  chdir: remotePath.optional(),
  stdin: z.union([z.string(), z.instanceof(Secret)]).optional(),
  env: envVars.optional(),
  creates: remotePath.optional(),
  removes: remotePath.optional(),
  timeoutMs: z.number().int().positive().optional(),
};

export interface CommandData {
  rc: number;
  stdout: string;
  stderr: string;
}

/** Whether the `creates` and `removes` paths exist (null when not given), in one probe. */
export const commandGuards = defineFact<{ creates?: string; removes?: string }, { creates: boolean | null; removes: boolean | null }>({
  name: 'file.guards',
  command: (a) => [a.creates, a.removes].map((p) => (p ? sh`if [ -e ${p} ] || [ -L ${p} ]; then echo yes; else echo no; fi` : 'echo -')).join('; '),
  parse: (out) => {
    const [c, r] = out.trim().split('\n');
    const val = (v?: string) => (v === 'yes' ? true : v === 'no' ? false : null);
    return { creates: val(c), removes: val(r) };
  },
});

function guardFacts(a: { creates?: string; removes?: string }) {
  return { guards: commandGuards({ ...(a.creates ? { creates: a.creates } : {}), ...(a.removes ? { removes: a.removes } : {}) }) };
}

type Guards = { guards: { creates: boolean | null; removes: boolean | null } };

function planRun(a: { creates?: string; removes?: string; chdir?: string; stdin?: string | Secret; env?: Record<string, string>; timeoutMs?: number }, { guards }: Guards, script: string, label: string) {
  if (a.creates && guards.creates) return noop(`${a.creates} exists`);
  if (a.removes && guards.removes === false) return noop(`${a.removes} does not exist`);
  const c = change(`run ${label}`, exec(cmd(script, { ...(a.chdir ? { chdir: a.chdir } : {}), ...(a.env ? { env: a.env } : {}), ...(a.stdin !== undefined ? { stdin: a.stdin } : {}), ...(a.timeoutMs ? { timeoutMs: a.timeoutMs } : {}) })));
  if (!a.creates && !a.removes) c.unpredictable = 'a command without creates/removes: cannot predict, not run in check mode';
  return changes(c);
}

function predictGuards(a: { creates?: string; removes?: string }) {
  const after = { creates: a.creates ? true : null, removes: a.removes ? false : null };
  return [
    predict(guardFacts(a).guards, after),
    ...(a.creates ? [predict(pathExists(a.creates), true), ...predictHashed(a.creates, 'unknown')] : []),
    ...(a.removes ? [predict(pathExists(a.removes), false), ...predictHashed(a.removes, null)] : []),
  ];
}

function toData(outputs: readonly ExecResult[]): CommandData {
  const last = outputs.at(-1);
  return { rc: last?.exitCode ?? 0, stdout: last?.stdout ?? '', stderr: last?.stderr ?? '' };
}

export const command = defineModule({
  name: 'command',
  args: z.object({ argv: z.array(z.string()).min(1, 'argv needs at least the program'), ...common }).strict(),
  describe: (a) => `command ${a.argv[0]}`,
  facts: guardFacts,
  plan: (a, f) => planRun(a, f, `exec ${a.argv.map((x) => quote(x)).join(' ')}`, a.argv.map((x) => quote(x)).join(' ').slice(0, 120)),
  predicts: predictGuards,
  data: (_a, _f, outputs): CommandData => toData(outputs),
});

export const shell = defineModule({
  name: 'shell',
  args: z.object({ script: z.string().min(1), ...common }).strict(),
  describe: (a) => `shell ${a.script.split('\n')[0]?.slice(0, 60)}`,
  facts: guardFacts,
  plan: (a, f) => planRun(a, f, a.script, a.script.split('\n')[0]?.slice(0, 120) ?? ''),
  predicts: predictGuards,
  data: (_a, _f, outputs): CommandData => toData(outputs),
});
