/**
 * Preparation: everything that can be checked before connecting. Plays select their hosts,
 * roles expand (dependencies first, once per play and parameters), every host's role
 * variables are validated against the role schemas, static module arguments are validated,
 * notify names are checked against the handlers, every host to be reached has valid
 * connection settings and tag options select some step (prepare-checks.ts); all problems
 * are reported together.
 *
 *   const plan = preparePlaybook(playbook, inventory, { extraVars, tags, skipTags, limit });
 *   plan.plays[0].hosts.get('web1').steps   // the host's ordered steps, tags applied
 */
import type { z } from 'zod';
import type { ConnectorFactory } from '../connectors/connector.ts';
import type { Playbook, PlayDefinition, Serial } from '../define/playbook.ts';
import type { HandlerSpec, RoleContext, RoleUse } from '../define/role.ts';
import type { Step, StepContext } from '../define/step.ts';
import { stepName } from '../define/step.ts';
import { hasDeferred } from '../define/deferred.ts';
import { ConfigError, NoHostsMatched, type ConfigProblem } from '../errors.ts';
import type { HostVarsView, InventoryView, VarLayer } from './inventory-view.ts';
import { expandStep, parseArgs, selectedByTags, splitOrigin } from './plan.ts';
import { roleVars } from './role-vars.ts';
import { jinjaIdiomLiteral } from './jinja-idioms.ts';
import { stepIds } from './step-identity.ts';
import { checkConnections, checkTags } from './prepare-checks.ts';
import { sliceOf, sliceProblems, type Slice } from './slice.ts';

export interface PrepareOptions {
  extraVars: Record<string, unknown>;
  /** When given, each host's connector is built (not connected) to check its options. */
  connectorFactory?: ConnectorFactory;
  limit?: string;
  tags: readonly string[];
  skipTags: readonly string[];
  /** Run only this slice of the selected hosts (slice.ts). */
  slice?: Slice;
}

export interface PreparedStep {
  step: Step;
  /** The step's identity in the play (see step-identity.ts): the same on every host that has it. */
  id: string;
  tags: string[];
  /** Conditions inherited from `role.use(…, { when })`. */
  conditions: ((ctx: StepContext) => boolean)[];
  become?: boolean | string;
  role?: string;
}

export interface PreparedHandler {
  name: string;
  listen: string[];
  steps: PreparedStep[];
}

export interface PreparedHost {
  vars: Record<string, unknown>;
  steps: PreparedStep[];
  handlers: PreparedHandler[];
}

export interface PreparedPlay {
  definition: PlayDefinition;
  index: number;
  /** The hosts this run works on: the play's hosts, or those of them in the run's slice. */
  hosts: string[];
  /** Every host the play selects, in every slice: what `playHosts` shows roles and steps. */
  playHosts: string[];
  perHost: Map<string, PreparedHost>;
  /** Variables of the play's hosts that run in other slices (`ctx.hostVars` of them). */
  otherSlices: Map<string, Record<string, unknown>>;
  /** Rolling batches, a function of the play's variables already called. */
  serial?: Serial | Serial[];
}

export interface PreparedPlaybook {
  plays: PreparedPlay[];
  allHosts: string[];
  /** Hosts the playbook selects that run in other slices (empty when not sliced). */
  otherSlices: Set<string>;
  /** The roles' warnings (RoleDefinition.warnings), each once, with the hosts it concerns. */
  warnings: string[];
}

export function preparePlaybook(pb: Playbook, inv: InventoryView, o: PrepareOptions): PreparedPlaybook {
  const problems: ConfigProblem[] = [];
  const plays: PreparedPlay[] = [];
  const knownTags = new Set<string>();
  const warnings = new Map<string, Set<string>>();
  const empty: ConfigProblem[] = [];
  pb.plays.forEach((play, index) => {
    let hosts: string[] = [];
    try {
      hosts = inv.select(play.hosts, o.limit);
    } catch (e) {
      if (e instanceof NoHostsMatched) empty.push(...e.problems.map((p) => ({ ...p, message: `play "${play.name}": ${p.message}` })));
      else if (e instanceof ConfigError) problems.push(...e.problems.map((p) => ({ ...p, message: `play "${play.name}": ${p.message}` })));
      else throw e;
      return;
    }
    const perHost = new Map<string, PreparedHost>();
    for (const host of hosts) perHost.set(host, prepareHost(play, index, host, hosts, inv, o, { problems, knownTags, warnings }));
    const serial = playSerial(play, o.extraVars, problems);
    plays.push({ definition: play, index, hosts, playHosts: hosts, perHost, otherSlices: new Map(), ...(serial === undefined ? {} : { serial }) });
  });
  // A play that selects no host is skipped, unless no play selects any: then nothing would run.
  if (plays.length === 0) problems.push(...empty);
  else for (const p of empty) warnings.set(`${p.message}: skipped`, new Set());
  const otherSlices = o.slice ? keepSlice(plays, o.slice, problems) : new Set<string>();
  checkConnections(inv, plays, problems, o.connectorFactory);
  checkTags(plays, knownTags, o, problems);
  if (problems.length) throw ConfigError.of(dedupeProblems(problems));
  const allHosts = [...new Set(plays.flatMap((p) => p.hosts))];
  return { plays, allHosts, otherSlices, warnings: [...warnings].map(([w, hosts]) => (hosts.size ? `${w} (${[...hosts].join(', ')})` : w)) };
}

/**
 * Narrows every play to the hosts of `slice`, once all of them were prepared against the
 * whole play; returns the hosts left to other slices. Plays that cannot be sliced are problems.
 */
function keepSlice(plays: PreparedPlay[], slice: Slice, problems: ConfigProblem[]): Set<string> {
  problems.push(...sliceProblems(plays));
  const selected = [...new Set(plays.flatMap((p) => p.hosts))];
  const mine = new Set(sliceOf(selected, slice));
  for (const play of plays) {
    play.hosts = play.playHosts.filter((h) => mine.has(h));
    for (const h of play.playHosts) {
      if (mine.has(h)) continue;
      play.otherSlices.set(h, play.perHost.get(h)?.vars ?? {});
      play.perHost.delete(h);
    }
  }
  return new Set(selected.filter((h) => !mine.has(h)));
}

interface Findings {
  problems: ConfigProblem[];
  knownTags: Set<string>;
  /** Warning text -> the hosts it was raised for. */
  warnings: Map<string, Set<string>>;
}

function prepareHost(play: PlayDefinition, playIndex: number, host: string, playHosts: string[], inv: InventoryView, o: PrepareOptions, f: Findings): PreparedHost {
  const { problems, knownTags } = f;
  const layers: VarLayer[] = [
    { label: `play "${play.name}" vars`, vars: play.vars ?? {} },
    { label: 'extra vars (-e)', vars: o.extraVars },
  ];
  const hv = withMagicVars(inv.hostVars(host, layers), host);
  const rctx: RoleContext = { host, playHosts, hostVars: (h) => inv.hostVars(h, layers).values, groupHosts: (g) => inv.groupHosts(g) };
  const steps: PreparedStep[] = [];
  const handlerSpecs: { name: string; spec: HandlerSpec; role?: string }[] = [];
  const seen = new Set<string>();
  const playTags = play.tags ?? [];
  const counts = new Map<string, number>();
  const addRole = (use: RoleUse, inherited: PreparedStep['conditions'], tags: string[], scope: string) => {
    const def = use.role.definition;
    const key = `${def.name}:${JSON.stringify(use.params)}`;
    if (seen.has(key)) return;
    seen.add(key);
    const v = roleVars(use, hv, o.extraVars, host, (expr) => jinjaIdiomLiteral(expr, { groupHosts: (g) => inv.groupHosts(g), hostVars: (h) => inv.hostVars(h, []).values }));
    if (!v.ok) return void problems.push(...v.problems);
    const conds = use.options.when ? [...inherited, use.options.when] : inherited;
    const roleTags = [...tags, ...(use.options.tags ?? [])];
    for (const dep of def.dependencies?.(v.vars as never) ?? []) addRole(dep, conds, roleTags, `${scope}>${dep.role.definition.name}`);
    const list = guard(() => def.steps(v.vars as never, rctx), `role ${def.name}`, problems).map((step) => ({ step }));
    for (const w of def.warnings?.(v.vars as never, rctx) ?? []) {
      const key = `role ${def.name}: ${w}`;
      f.warnings.set(key, (f.warnings.get(key) ?? new Set()).add(host));
    }
    stepIds(playIndex, scope, list, counts).forEach((id, i) => {
      const step = (list[i] as { step: Step }).step;
      steps.push({ step, id, tags: [...roleTags, ...(step.options.tags ?? [])], conditions: conds, become: step.options.become ?? use.options.become, role: def.name });
    });
    const hs = def.handlers?.(v.vars as never) ?? {};
    for (const [name, spec] of Object.entries(hs)) handlerSpecs.push({ name, spec, role: def.name });
  };
  (play.roles ?? []).forEach((use, i) => addRole(use, [], playTags, `roles[${i}]:${use.role.definition.name}`));
  const own = typeof play.steps === 'function' ? guard(() => (play.steps as (v: Record<string, unknown>, c: RoleContext) => Step[])(hv.values, rctx), `play ${play.name}`, problems) : (play.steps ?? []);
  const ownIds = stepIds(playIndex, 'steps', own.map((step) => ({ step })), counts);
  own.forEach((step, i) => steps.push({ step, id: ownIds[i] as string, tags: [...playTags, ...(step.options.tags ?? [])], conditions: [], become: step.options.become }));
  for (const [name, spec] of Object.entries(play.handlers ?? {})) handlerSpecs.push({ name, spec });
  const handlers = handlerSpecs.map(({ name, spec, role }) => toHandler(playIndex, name, spec, role));
  validateSteps([...steps, ...handlers.flatMap((h) => h.steps)], handlers, problems);
  for (const s of steps) for (const t of s.tags) knownTags.add(t);
  return { vars: hv.values, steps: steps.filter((s) => selectedByTags(s.tags, o.tags, o.skipTags)), handlers };
}

/** The play's `serial`; a function of the play's vars (under -e) is called here, its value checked. */
function playSerial(play: PlayDefinition, extraVars: Record<string, unknown>, problems: ConfigProblem[]): Serial | Serial[] | undefined {
  if (typeof play.serial !== 'function') return play.serial;
  let value: unknown;
  try {
    value = play.serial({ ...(play.vars ?? {}), ...extraVars });
  } catch (e) {
    problems.push({ message: `play "${play.name}": serial: ${(e as Error).message}`, keyPath: 'serial' });
    return undefined;
  }
  const list = Array.isArray(value) ? value : [value];
  const valid = (s: unknown) => (typeof s === 'number' && Number.isInteger(s) && s > 0) || (typeof s === 'string' && /^(100|[1-9]\d?)%$/.test(s));
  if (list.length && list.every(valid)) return value as Serial | Serial[];
  problems.push({ message: `play "${play.name}": serial must be a positive whole number of hosts or a percentage such as "25%", not ${JSON.stringify(value)}`, keyPath: 'serial' });
  return undefined;
}

/** Variables every host has, as in Ansible: `inventory_hostname`. Inventory values cannot override them. */
function withMagicVars(hv: HostVarsView, host: string): HostVarsView {
  return {
    values: { ...hv.values, inventory_hostname: host },
    sourceOf: (k) => (k === 'inventory_hostname' ? 'the inventory host name' : hv.sourceOf(k)),
    isJinja: (k) => k !== 'inventory_hostname' && hv.isJinja?.(k) === true,
  };
}

function toHandler(playIndex: number, name: string, spec: HandlerSpec, role?: string): PreparedHandler {
  const isList = Array.isArray(spec);
  const obj = !isList && 'steps' in spec && !('kind' in spec) ? (spec as { steps: Step[]; listen?: string | string[] }) : undefined;
  const list: Step[] = isList ? spec : obj ? obj.steps : [spec as Step];
  const listen = obj?.listen === undefined ? [] : Array.isArray(obj.listen) ? obj.listen : [obj.listen];
  const ids = stepIds(playIndex, `handler ${JSON.stringify(name)}`, list.map((step) => ({ step })));
  return { name, listen, steps: list.map((step, i) => ({ step, id: ids[i] as string, tags: [], conditions: [], become: step.options.become, ...(role ? { role } : {}) })) };
}

function validateSteps(steps: PreparedStep[], handlers: PreparedHandler[], problems: ConfigProblem[]): void {
  const names = new Set(handlers.flatMap((h) => [h.name, ...h.listen]));
  for (const { step } of steps) {
    const [file, line] = splitOrigin(step.origin);
    for (const n of [step.options.notify ?? []].flat()) {
      if (!names.has(n)) problems.push({ message: `step "${stepName(step)}" notifies "${n}", but no handler has that name or topic`, keyPath: 'notify', ...(file ? { file } : {}), ...(line ? { line } : {}), hint: names.size ? `known handlers: ${[...names].join(', ')}` : 'define it under `handlers`' });
    }
    let calls;
    try {
      calls = expandStep(step);
    } catch (e) {
      problems.push({ message: `step "${stepName(step)}": building loop items failed: ${(e as Error).message}`, ...(file ? { file } : {}) });
      continue;
    }
    for (const c of calls) {
      if (hasDeferred(c.args)) continue;
      const p = parseArgs(c.module, c.args, c.origin, stepName(step));
      if (!p.ok) problems.push(...p.problems);
    }
  }
}

function guard<T>(fn: () => T[], what: string, problems: ConfigProblem[]): T[] {
  try {
    return fn();
  } catch (e) {
    if (e instanceof ConfigError) problems.push(...e.problems);
    else problems.push({ message: `${what}: building steps failed: ${(e as Error).message}` });
    return [];
  }
}

function dedupeProblems(list: ConfigProblem[]): ConfigProblem[] {
  const seen = new Set<string>();
  return list.filter((p) => {
    const k = JSON.stringify(p);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

export type { z };
