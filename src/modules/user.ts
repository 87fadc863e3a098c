/**
 * `user`: a local account: uid, primary and supplementary groups, shell, home, GECOS
 * comment and password hash; or its removal.
 *
 *   user({ name: 'deploy', groups: ['docker'], append: true, shell: '/bin/bash' })
 *   user({ name: 'app', system: true, createHome: false, shell: '/usr/sbin/nologin' })
 *   user({ name: 'ops', password: new Secret('$6$salt$hash…'), updatePassword: 'onCreate' })
 *   user({ name: 'olduser', state: 'absent', remove: true })
 *
 * Uses useradd, usermod, userdel; the password hash travels on stdin to `chpasswd -e`,
 * never in argv, and is compared by digest (reading /etc/shadow needs become). `groups`
 * lists supplementary groups (the primary group in it is ignored); with `append` they are
 * added to the current ones, otherwise they replace them. Groups named here must exist:
 * check mode fails when they do not (an earlier `group` step that creates them counts).
 * Changing `home` of an existing user changes the passwd entry only; nothing is moved.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { defineModule, predict, predictUnknown, type Prediction } from '../define/module.ts';
import { change, changes, exec, fail, noop, type Change, type Plan } from '../define/plan.ts';
import { cmd } from '../commands/command.ts';
import { sh } from '../commands/quote.ts';
import { Secret } from '../commands/secret.ts';
import { fileStat, pathExists } from '../facts/file.ts';
import { groupInfo, userInfo, type GroupInfo, type UserInfo } from '../facts/users.ts';
import { remotePath } from './args.ts';
import { account, numericId } from './group.ts';

/** True when `v` holds ':' or a control character: useradd refuses those, and ':' or a newline would break /etc/passwd. */
export function badPasswdText(v: string): boolean {
  return [...v].some((c) => c === ':' || c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);
}

const passwdField = (what: string) => (s: z.ZodString) =>
  s.refine((v) => !badPasswdText(v), `${what} must not contain ':' or control characters (newline, tab, escape…)`);

const passwordHash = z
  .instanceof(Secret, { error: 'password must be a Secret holding a crypt hash (new Secret(\'$6$…\'))' })
  .refine((s) => s.reveal() !== '' && !/[:\n\r\0]/.test(s.reveal()), 'password hash must be non-empty without ":", newlines or NUL');

export const userArgs = z
  .object({
    name: account,
    state: z.enum(['present', 'absent']).default('present'),
    uid: numericId.optional(),
    group: account.optional(),
    groups: z.array(account).optional(),
    append: z.boolean().default(false),
    shell: passwdField('shell')(remotePath).optional(),
    home: passwdField('home')(remotePath).optional(),
    createHome: z.boolean().default(true),
    system: z.boolean().default(false),
    comment: passwdField('comment')(z.string().max(1000, 'comment must be at most 1000 characters')).optional(),
    password: passwordHash.optional(),
    updatePassword: z.enum(['always', 'onCreate']).default('always'),
    /** With state absent: also remove the home directory and mail spool. */
    remove: z.boolean().default(false),
  })
  .strict();

export type UserArgs = z.output<typeof userArgs>;

/** Facts a user call reads: the account, and every group it names. */
export type UserFacts = { current: UserInfo | null } & Record<`group:${string}`, GroupInfo | null>;

export const user = defineModule({
  name: 'user',
  args: userArgs,
  describe: (a) => `user ${a.name}${a.state === 'absent' ? ' (absent)' : ''}`,
  facts: (a) => userFacts(a),
  plan: (a, f) => planUser(a, f as unknown as UserFacts),
  predicts: (a, f) => predictUser(a, f as unknown as UserFacts),
  // accounts, and so the owner names of every file (its home among them)
  invalidates: () => ['user', 'group'],
});

function namedGroups(a: UserArgs): string[] {
  return [...new Set([...(a.group ? [a.group] : []), ...(a.groups ?? [])])];
}

function userFacts(a: UserArgs) {
  const refs: Record<string, ReturnType<typeof groupInfo> | ReturnType<typeof userInfo>> = { current: userInfo(a.name) };
  if (a.state === 'present') for (const g of namedGroups(a)) refs[`group:${g}`] = groupInfo(g);
  return refs;
}

export function planUser(a: UserArgs, f: UserFacts): Plan {
  const current = f.current;
  if (a.state === 'absent') {
    if (!current) return noop(`user ${a.name} is already absent`);
    return changes(change(`remove user ${a.name}${a.remove ? ' and its home' : ''}`, exec(sh`userdel ${[...(a.remove ? ['-r'] : []), '--', a.name]}`)));
  }
  const missing = namedGroups(a).filter((g) => !f[`group:${g}`]);
  if (missing.length) return fail(`group${missing.length > 1 ? 's' : ''} ${missing.join(', ')} do${missing.length > 1 ? '' : 'es'} not exist: create ${missing.length > 1 ? 'them' : 'it'} first (group({ name }))`);
  if (!current) return changes(createUser(a), a.password && setPassword(a, a.password));
  const list = [...attributeChanges(a, current), ...groupChanges(a, current)];
  const pw = passwordChange(a, current);
  if (typeof pw === 'string') return fail(pw);
  if (pw) list.push(pw);
  return list.length ? changes(...list) : noop(`user ${a.name} is as wanted`);
}

function createUser(a: UserArgs): Change {
  const flags: string[] = [];
  if (a.uid !== undefined) flags.push('-u', String(a.uid));
  if (a.group) flags.push('-g', a.group);
  const extra = supplementary(a);
  if (extra.length) flags.push('-G', extra.join(','));
  if (a.shell) flags.push('-s', a.shell);
  if (a.home) flags.push('-d', a.home);
  flags.push(a.createHome ? '-m' : '-M');
  if (a.system) flags.push('-r');
  if (a.comment !== undefined) flags.push('-c', a.comment);
  return change(`create user ${a.name}${a.uid !== undefined ? ` (uid ${a.uid})` : ''}`, exec(sh`useradd ${flags} -- ${a.name}`));
}

function attributeChanges(a: UserArgs, cur: UserInfo): Change[] {
  const out: Change[] = [];
  const mod = (summary: string, flag: string, value: string) => out.push(change(summary, exec(sh`usermod ${flag} ${value} -- ${a.name}`)));
  if (a.uid !== undefined && a.uid !== cur.uid) mod(`uid ${cur.uid} -> ${a.uid}`, '-u', String(a.uid));
  if (a.group && a.group !== cur.group) mod(`primary group ${cur.group} -> ${a.group}`, '-g', a.group);
  if (a.shell && a.shell !== cur.shell) mod(`shell ${cur.shell} -> ${a.shell}`, '-s', a.shell);
  if (a.home && a.home !== cur.home) mod(`home ${cur.home} -> ${a.home}`, '-d', a.home);
  if (a.comment !== undefined && a.comment !== cur.comment) mod(`comment of ${a.name}`, '-c', a.comment);
  return out;
}

/** The supplementary groups asked for, without the primary group. */
function supplementary(a: UserArgs, cur?: UserInfo): string[] {
  const primary = a.group ?? cur?.group;
  return [...new Set(a.groups ?? [])].filter((g) => g !== primary).sort();
}

function groupChanges(a: UserArgs, cur: UserInfo): Change[] {
  if (!a.groups) return [];
  const wanted = supplementary(a, cur);
  if (a.append) {
    const add = wanted.filter((g) => !cur.groups.includes(g));
    return add.length ? [change(`add ${a.name} to ${add.join(', ')}`, exec(sh`usermod -a -G ${add.join(',')} -- ${a.name}`))] : [];
  }
  if (sameList(wanted, cur.groups)) return [];
  return [change(`groups of ${a.name} [${cur.groups.join(', ')}] -> [${wanted.join(', ')}]`, exec(sh`usermod -G ${wanted.join(',')} -- ${a.name}`))];
}

/** A change, nothing (undefined), or why the password cannot be compared. */
function passwordChange(a: UserArgs, cur: UserInfo): Change | string | undefined {
  if (!a.password || a.updatePassword === 'onCreate') return undefined;
  if (cur.passwordDigest === null) return `cannot read the password of ${a.name} from /etc/shadow to compare it: run this step with become`;
  return cur.passwordDigest === digest(a.password) ? undefined : setPassword(a, a.password);
}

function setPassword(a: UserArgs, hash: Secret): Change {
  return change(`set the password of ${a.name}`, exec(cmd('chpasswd -e', { stdin: new Secret(`${a.name}:${hash.reveal()}\n`, 'password line') })));
}

function digest(hash: Secret): string {
  return createHash('sha256').update(hash.reveal()).digest('hex');
}

function sameList(x: readonly string[], y: readonly string[]): boolean {
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

function predictUser(a: UserArgs, f: UserFacts): Prediction[] {
  const cur = f.current;
  const ref = userInfo(a.name);
  if (a.state === 'absent') {
    const gone: Prediction[] = [predict(ref, null), predictUnknown(groupInfo(a.name))];
    if (a.remove && cur) gone.push(predict(pathExists(cur.home), false), predict(fileStat(cur.home), null));
    return gone;
  }
  if (!cur) {
    const home = a.home ?? `/home/${a.name}`;
    const created: Prediction[] = [predictUnknown(ref)];
    if (!a.group) created.push(predictUnknown(groupInfo(a.name)));
    if (a.createHome) created.push(predict(pathExists(home), true), predictUnknown(fileStat(home)));
    return created;
  }
  const groups = !a.groups ? cur.groups : a.append ? [...new Set([...cur.groups, ...supplementary(a, cur)])].sort() : supplementary(a, cur);
  const pw = a.password && a.updatePassword === 'always' ? digest(a.password) : cur.passwordDigest;
  return [predict(ref, {
    name: a.name, uid: a.uid ?? cur.uid, group: a.group ?? cur.group, groups,
    comment: a.comment ?? cur.comment, home: a.home ?? cur.home, shell: a.shell ?? cur.shell, passwordDigest: pw,
  })];
}
