/**
 * How to reach a host, from its merged `ansible_*` variables.
 *
 *   connectionFor(inv, 'web1');
 *   // { name: 'web1', transport: 'ssh', address: '10.0.0.11', port: 22, user: 'ops',
 *   //   password: Secret(***), become: { enabled: true, user: 'root', method: 'sudo' }, options: {} }
 *
 * Read: ansible_host, ansible_port, ansible_user, ansible_ssh_private_key_file,
 * ansible_password / ansible_ssh_pass (Secret), ansible_connection (ssh | local),
 * ansible_become, ansible_become_user, ansible_become_method (sudo only),
 * ansible_become_password / ansible_become_pass (Secret). The older ansible_ssh_host,
 * ansible_ssh_port and ansible_ssh_user spellings are read too. Addresses and users that
 * start with `-` or contain whitespace or NUL are refused; so is Jinja text, which would
 * otherwise be used literally as an address or a user. Every problem of a host is reported
 * together, each with the file:line of the value.
 */
import { homedir } from 'node:os';
import { Secret } from '../commands/secret.ts';
import type { Become, HostConnection } from '../connectors/connector.ts';
import { ConfigError } from '../errors.ts';
import type { ConfigProblem } from '../errors.ts';
import type { Inventory } from './types.ts';
import { ansibleBoolean } from './values.ts';
import { hostVars } from './vars.ts';
import type { ExtraLayers, HostVars, ResolvedVar } from './vars.ts';

/** Variables whose effect Capstan does not reproduce; a warning is recorded where they are set. */
export const IGNORED_CONNECTION_VARS: ReadonlySet<string> = new Set(['ansible_ssh_common_args', 'ansible_ssh_extra_args', 'ansible_sftp_extra_args', 'ansible_scp_extra_args']);

/** Connection settings of one host; throws a ConfigError listing every bad setting. */
export function connectionFor(inv: Inventory, host: string, layers?: ExtraLayers): HostConnection {
  return connectionFromVars(hostVars(inv, host, layers));
}

/** Connection settings of several hosts; every problem of every host is reported in one ConfigError. */
export function connectionsFor(inv: Inventory, hosts: readonly string[], layers?: ExtraLayers): Map<string, HostConnection> {
  const out = new Map<string, HostConnection>();
  const problems: ConfigProblem[] = [];
  for (const h of hosts) {
    try {
      out.set(h, connectionFor(inv, h, layers));
    } catch (e) {
      if (e instanceof ConfigError) problems.push(...e.problems);
      else throw e;
    }
  }
  if (problems.length > 0) throw ConfigError.of(problems);
  return out;
}

/** Connection settings from already merged host variables. */
export function connectionFromVars(hv: HostVars): HostConnection {
  const r = new Reader(hv);
  const transport = r.transport();
  const conn: HostConnection = {
    name: hv.host,
    transport,
    address: r.word(['ansible_host', 'ansible_ssh_host'], 'address') ?? hv.host,
    port: r.port(),
    options: {},
  };
  const user = r.word(['ansible_user', 'ansible_ssh_user'], 'user');
  if (user !== undefined) conn.user = user;
  const key = r.text(['ansible_ssh_private_key_file', 'ansible_private_key_file']);
  if (key !== undefined) conn.privateKeyPath = key.startsWith('~/') ? `${homedir()}${key.slice(1)}` : key;
  const password = r.secret(['ansible_password', 'ansible_ssh_pass', 'ansible_ssh_password']);
  if (password) conn.password = password;
  const become = r.become();
  if (become) conn.become = become;
  const knownHosts = r.text(['capstan_known_hosts']);
  if (knownHosts !== undefined) conn.options.knownHostsPath = knownHosts.startsWith('~/') ? `${homedir()}${knownHosts.slice(1)}` : knownHosts;
  const policy = r.text(['capstan_host_key_policy']);
  if (policy !== undefined) conn.options.hostKeyPolicy = policy;
  const channels = r.integer('capstan_ssh_max_channels', 2, 100, "at most sshd's MaxSessions");
  if (channels !== undefined) conn.options.maxSessions = channels;
  r.throwIfAny();
  return conn;
}

class Reader {
  readonly problems: ConfigProblem[] = [];
  constructor(private readonly hv: HostVars) {}

  private find(names: readonly string[]): ResolvedVar | undefined {
    for (const n of names) {
      const r = this.hv.provenance.get(n);
      if (r && r.value !== null && r.value !== undefined && r.value !== '') return r;
    }
    return undefined;
  }

  private fail(r: ResolvedVar | undefined, message: string, hint?: string): void {
    const w = r?.winner;
    this.problems.push({
      message: `host ${this.hv.host}: ${message}`,
      ...(w?.file ? { file: w.file } : {}),
      ...(w?.line !== undefined ? { line: w.line, col: w.col } : {}),
      ...(w?.keyPath ? { keyPath: w.keyPath } : r ? { keyPath: r.name } : {}),
      ...(hint ? { hint } : {}),
    });
  }

  text(names: readonly string[]): string | undefined {
    const r = this.find(names);
    if (!r) return undefined;
    if (r.value instanceof Secret) return r.value.reveal();
    if (typeof r.value !== 'string' && typeof r.value !== 'number') return void this.fail(r, `${r.name} must be text, got ${JSON.stringify(r.value)}`);
    const s = String(r.value);
    if (s.includes('{{') || s.includes('{%')) return void this.fail(r, `${r.name} contains a Jinja expression (${s}), which Capstan does not evaluate`, 'write the literal value, or set it from the TS playbook');
    return s;
  }

  word(names: readonly string[], what: string): string | undefined {
    const s = this.text(names);
    if (s !== undefined) this.checkWord(s, what, this.find(names)?.name);
    return s;
  }

  checkWord(s: string, what: string, varName?: string): void {
    const r = varName ? this.hv.provenance.get(varName) : undefined;
    if (s.startsWith('-')) this.fail(r, `${what} "${s}" starts with "-", which ssh would read as an option`);
    else if (/[\s\0]/.test(s)) this.fail(r, `${what} ${JSON.stringify(s)} contains whitespace or NUL`);
  }

  secret(names: readonly string[]): Secret | undefined {
    const r = this.find(names);
    if (!r) return undefined;
    if (r.value instanceof Secret) return r.value;
    const s = this.text(names);
    return s === undefined ? undefined : new Secret(s, r.name);
  }

  transport(): HostConnection['transport'] {
    const r = this.find(['ansible_connection']);
    const v = r ? this.text(['ansible_connection']) : 'ssh';
    if (v === 'ssh' || v === 'local') return v;
    if (v !== undefined) this.fail(r, `ansible_connection "${v}" is not supported`, 'use ssh (the default) or local');
    return 'ssh';
  }

  port(): number {
    const r = this.find(['ansible_port', 'ansible_ssh_port']);
    if (!r) return 22;
    const n = typeof r.value === 'string' && /^\s*[0-9]+\s*$/.test(r.value) ? Number(r.value) : r.value;
    if (typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 65535) return n;
    this.fail(r, `${r.name} must be a port number from 1 to 65535, got ${JSON.stringify(r.value)}`);
    return 22;
  }

  integer(name: string, min: number, max: number, hint: string): number | undefined {
    const r = this.find([name]);
    if (!r) return undefined;
    const n = typeof r.value === 'string' && /^\s*[0-9]+\s*$/.test(r.value) ? Number(r.value) : r.value;
    if (typeof n === 'number' && Number.isInteger(n) && n >= min && n <= max) return n;
    this.fail(r, `${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(r.value)}`, hint);
    return undefined;
  }

  become(): (Become & { enabled: boolean }) | undefined {
    const names = ['ansible_become', 'ansible_become_user', 'ansible_become_method', 'ansible_become_password', 'ansible_become_pass'];
    if (!names.some((n) => this.find([n]))) return undefined;
    const flag = this.find(['ansible_become']);
    const enabled = flag ? ansibleBoolean(flag.value) : false;
    if (enabled === undefined) this.fail(flag, `ansible_become must be a boolean (true/false, yes/no), got ${JSON.stringify(flag?.value)}`);
    const out: Become & { enabled: boolean } = { enabled: enabled ?? false, method: 'sudo' };
    const method = this.text(['ansible_become_method']);
    if (method !== undefined && method !== 'sudo') this.fail(this.find(['ansible_become_method']), `ansible_become_method "${method}" is not supported`, 'only sudo is supported');
    const user = this.word(['ansible_become_user'], 'become user');
    if (user !== undefined) out.user = user;
    const password = this.secret(['ansible_become_password', 'ansible_become_pass']);
    if (password) out.password = password;
    return out;
  }

  throwIfAny(): void {
    if (this.problems.length > 0) throw ConfigError.of(this.problems);
  }
}
