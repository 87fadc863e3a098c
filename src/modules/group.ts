/**
 * `group`: a local group, present with an optional fixed gid, or absent.
 *
 *   group({ name: 'deploy' })
 *   group({ name: 'app', gid: 2000, system: true })
 *   group({ name: 'old', state: 'absent' })
 *
 * Uses groupadd, groupmod and groupdel. `system` only matters when the group is created.
 * Without a gid, a new group's gid is chosen by the host: check mode reports later facts
 * about it as "depends on an earlier change".
 */
import { z } from 'zod';
import { defineModule, predict, predictUnknown, type Prediction } from '../define/module.ts';
import { change, changes, exec, noop, type Plan } from '../define/plan.ts';
import { sh } from '../commands/quote.ts';
import { groupInfo, type GroupInfo } from '../facts/users.ts';
import { accountName } from './args.ts';

/** A user or group name as shadow-utils accepts it: not all digits (getent would read a number as an id), at most 32 characters. */
export const account = accountName
  .max(32, 'must be at most 32 characters')
  .refine((n) => !/^\d+$/.test(n), 'must not be all digits (it would be read as a numeric id)');

export const numericId = z.number().int().min(0).max(4294967294);

export const groupArgs = z
  .object({
    name: account,
    state: z.enum(['present', 'absent']).default('present'),
    gid: numericId.optional(),
    system: z.boolean().default(false),
  })
  .strict();

export type GroupArgs = z.output<typeof groupArgs>;

export const group = defineModule({
  name: 'group',
  args: groupArgs,
  describe: (a) => `group ${a.name}${a.state === 'absent' ? ' (absent)' : ''}`,
  facts: (a) => ({ current: groupInfo(a.name) }),
  plan: (a, { current }) => planGroup(a, current),
  predicts: (a) => predictGroup(a),
  // accounts (a user's groups), and so the group names of every file
  invalidates: () => ['group', 'user'],
});

export function planGroup(a: GroupArgs, current: GroupInfo | null): Plan {
  if (a.state === 'absent') {
    return current ? changes(change(`remove group ${a.name}`, exec(sh`groupdel -- ${a.name}`))) : noop(`group ${a.name} is already absent`);
  }
  if (!current) {
    const flags = [...(a.gid !== undefined ? ['-g', String(a.gid)] : []), ...(a.system ? ['-r'] : [])];
    return changes(change(`create group ${a.name}${a.gid !== undefined ? ` (gid ${a.gid})` : ''}`, exec(sh`groupadd ${[...flags, '--', a.name]}`)));
  }
  if (a.gid !== undefined && current.gid !== a.gid) {
    return changes(change(`gid of ${a.name} ${current.gid} -> ${a.gid}`, exec(sh`groupmod -g ${a.gid} -- ${a.name}`)));
  }
  return noop(`group ${a.name} exists${a.gid !== undefined ? ` with gid ${a.gid}` : ''}`);
}

function predictGroup(a: GroupArgs): Prediction[] {
  const ref = groupInfo(a.name);
  if (a.state === 'absent') return [predict(ref, null)];
  return [a.gid === undefined ? predictUnknown(ref) : predict(ref, { name: a.name, gid: a.gid })];
}
