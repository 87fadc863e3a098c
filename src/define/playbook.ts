/**
 * Playbooks: an ordered list of plays, each mapping a host pattern to roles and steps.
 *
 *   export default definePlaybook({
 *     name: 'prepare nodes',
 *     plays: [{
 *       name: 'base',
 *       hosts: 'nodes:!db',
 *       become: true,
 *       serial: '50%',
 *       roles: [motdRole.use({ motd_text: 'managed by capstan' })],
 *       steps: (v) => [file({ path: '/opt/app', state: 'directory' })],
 *       handlers: { 'restart app': systemd({ name: 'app', state: 'restarted' }) },
 *     }],
 *   });
 */
import type { HandlerSpec, RoleContext, RoleUse } from './role.ts';
import type { Step } from './step.ts';

export type Serial = number | `${number}%`;

/**
 * `serial` chosen by a variable, as Ansible's `serial: "{{ batch }}"`: called once per run with
 * the play's vars under the extra vars (-e), before any connection; a value that is not a
 * positive count or a percentage is an input error naming the play.
 *
 *   serial: (vars) => Number(vars.agent_batch ?? 5)
 */
export type SerialFromVars = (vars: Readonly<Record<string, unknown>>) => Serial | Serial[];

export interface PlayDefinition {
  name: string;
  /** Host pattern: `all`, groups, `a:b`, `a:&b`, `a:!b`, wildcards, `~regex`. */
  hosts: string;
  vars?: Record<string, unknown>;
  become?: boolean | string;
  /** Rolling batches: a count, a percentage, or a list of them (the last repeats); or a function of the play's variables. */
  serial?: Serial | Serial[] | SerialFromVars;
  /** lockstep (default): every host finishes a step before the next starts; free: each host runs at its own pace. */
  strategy?: 'lockstep' | 'free';
  /** Stop the play, and the run (later plays do not start), when more than this percentage of a batch failed. */
  maxFailPercentage?: number;
  /** Any failure stops the play for every host, and the run: later plays do not start. */
  anyErrorsFatal?: boolean;
  /** Gather host facts (OS, CPUs, memory, address) in the play's first round trip. Default true. */
  gatherFacts?: boolean;
  roles?: RoleUse[];
  steps?: Step[] | ((vars: Readonly<Record<string, unknown>>, ctx: RoleContext) => Step[]);
  handlers?: Record<string, HandlerSpec>;
  tags?: string[];
}

export interface PlaybookDefinition {
  name?: string;
  plays: PlayDefinition[];
}

export interface Playbook extends PlaybookDefinition {
  readonly kind: 'playbook';
}

export function definePlaybook(definition: PlaybookDefinition): Playbook {
  return { kind: 'playbook', ...definition };
}

export function isPlaybook(v: unknown): v is Playbook {
  return typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === 'playbook';
}
