/** `user`: one row or more for each documented option. */
import { createHash } from 'node:crypto';
import { user } from '../../../src/modules/user.ts';
import { Secret } from '../../../src/commands/secret.ts';
import type { UserInfo } from '../../../src/facts/users.ts';
import type { ModuleTable } from '../../support/module-table.ts';

const HASH = '$6$saltsalt$Zq0bPEXAMPLEhashValueXyz';
const digest = (s: string) => createHash('sha256').update(s).digest('hex');
const alice: UserInfo = { name: 'alice', uid: 1001, group: 'alice', groups: ['docker'], comment: 'Alice', home: '/home/alice', shell: '/bin/bash', passwordDigest: digest('!') };
const facts = (current: UserInfo | null, ...groups: string[]) => ({ current, ...Object.fromEntries(groups.map((g, i) => [`group:${g}`, { name: g, gid: 990 + i }])) });
const as = (o: Partial<UserInfo>) => ({ ...alice, ...o });

export const userTable: ModuleTable = { module: user, rows: [
  { name: 'name: a new user gets a home', args: { name: 'bob' }, facts: facts(null), want: { changes: ['create user bob'] }, runs: /^useradd -m -- bob$/,
    predicts: { 'user.info': 'unknown', 'group.info': 'unknown', 'file.exists': true, 'file.stat': 'unknown' } },
  { name: 'state present, nothing differs: ok', args: { name: 'alice', state: 'present', shell: '/bin/bash' }, facts: facts(alice), want: { noop: /^user alice is as wanted$/ } },
  { name: 'uid on create and on change', args: { name: 'alice', uid: 1500 }, facts: facts(alice), want: { changes: ['uid 1001 -> 1500'] }, runs: /^usermod -u 1500 -- alice$/,
    predicts: { 'user.info': as({ uid: 1500 }) } },
  { name: 'uid of a new user', args: { name: 'bob', uid: 2000 }, facts: facts(null), want: { changes: ['create user bob (uid 2000)'] }, runs: /^useradd -u 2000 -m -- bob$/ },
  { name: 'group: the primary group, which must exist', args: { name: 'alice', group: 'staff' }, facts: facts(alice, 'staff'), want: { changes: ['primary group alice -> staff'] }, runs: /^usermod -g staff -- alice$/ },
  { name: 'group that does not exist fails (check mode too)', args: { name: 'bob', group: 'staff', groups: ['adm'] }, facts: facts(null), want: { error: /^groups staff, adm do not exist: create them first/ } },
  { name: 'groups replace the supplementary groups, sorted, primary left out', args: { name: 'alice', groups: ['sudo', 'alice', 'adm'] }, facts: facts(alice, 'sudo', 'alice', 'adm'),
    want: { changes: ['groups of alice [docker] -> [adm, sudo]'] }, runs: /^usermod -G adm,sudo -- alice$/, predicts: { 'user.info': as({ groups: ['adm', 'sudo'] }) } },
  { name: 'groups of a new user', args: { name: 'bob', groups: ['docker'] }, facts: facts(null, 'docker'), want: { changes: ['create user bob'] }, runs: /^useradd -G docker -m -- bob$/ },
  { name: 'append adds only the missing groups', args: { name: 'alice', groups: ['docker', 'adm'], append: true }, facts: facts(alice, 'docker', 'adm'),
    want: { changes: ['add alice to adm'] }, runs: /^usermod -a -G adm -- alice$/, predicts: { 'user.info': as({ groups: ['adm', 'docker'] }) } },
  { name: 'append with every group there already: ok', args: { name: 'alice', groups: ['docker'], append: true }, facts: facts(alice, 'docker'), want: { noop: /as wanted/ } },
  { name: 'shell', args: { name: 'alice', shell: '/usr/sbin/nologin' }, facts: facts(alice), want: { changes: ['shell /bin/bash -> /usr/sbin/nologin'] }, runs: /^usermod -s \/usr\/sbin\/nologin -- alice$/ },
  { name: 'shell with a newline is refused', args: { name: 'alice', shell: '/bin/sh\nx' }, want: { invalid: /shell: shell must not contain ':' or control characters/ } },
  { name: 'home of an existing user: the entry only, nothing moved', args: { name: 'alice', home: '/srv/alice' }, facts: facts(alice),
    want: { changes: ['home /home/alice -> /srv/alice'] }, runs: /^usermod -d \/srv\/alice -- alice$/, notRuns: /-m|mv /, predicts: { 'user.info': as({ home: '/srv/alice' }) } },
  { name: 'home of a new user is created there', args: { name: 'bob', home: '/srv/bob' }, facts: facts(null), want: { changes: ['create user bob'] }, runs: /^useradd -d \/srv\/bob -m -- bob$/ },
  { name: 'createHome false and system: a system account without a home', args: { name: 'app', system: true, createHome: false, shell: '/usr/sbin/nologin' }, facts: facts(null),
    want: { changes: ['create user app'] }, runs: /^useradd -s \/usr\/sbin\/nologin -M -r -- app$/, predicts: { 'user.info': 'unknown', 'file.exists': undefined } },
  { name: 'comment, quoted', args: { name: 'alice', comment: "Alice O'Neil" }, facts: facts(alice), want: { changes: ['comment of alice'] }, runs: /^usermod -c 'Alice O'\\''Neil' -- alice$/ },
  { name: 'comment with ":" is refused', args: { name: 'alice', comment: 'a:b' }, want: { invalid: /comment: comment must not contain ':'/ } },
  { name: 'password of a new user: the hash on stdin, never in argv', args: { name: 'bob', password: new Secret(HASH) }, facts: facts(null),
    want: { changes: ['create user bob', 'set the password of bob'] }, runs: /\nchpasswd -e stdin=\*+$/, notRuns: /saltsalt/ },
  { name: 'password that differs is set (updatePassword always)', args: { name: 'alice', password: new Secret(HASH), updatePassword: 'always' }, facts: facts(alice),
    want: { changes: ['set the password of alice'] }, predicts: { 'user.info': as({ passwordDigest: digest(HASH) }) } },
  { name: 'password that matches: ok', args: { name: 'alice', password: new Secret(HASH) }, facts: facts(as({ passwordDigest: digest(HASH) })), want: { noop: /as wanted/ } },
  { name: 'password without /etc/shadow readable fails, asking for become', args: { name: 'alice', password: new Secret(HASH) }, facts: facts(as({ passwordDigest: null })), want: { error: /run this step with become$/ } },
  { name: 'password in plain text is refused', args: { name: 'alice', password: HASH }, want: { invalid: /password must be a Secret/ } },
  { name: 'updatePassword onCreate leaves an existing password', args: { name: 'alice', password: new Secret(HASH), updatePassword: 'onCreate' }, facts: facts(alice),
    want: { noop: /as wanted/ }, predicts: { 'user.info': alice } },
  { name: 'state absent keeps the home', args: { name: 'alice', state: 'absent' }, facts: facts(alice), want: { changes: ['remove user alice'] }, runs: /^userdel -- alice$/, predicts: { 'user.info': null } },
  { name: 'state absent with remove: the home too', args: { name: 'alice', state: 'absent', remove: true }, facts: facts(alice),
    want: { changes: ['remove user alice and its home'] }, runs: /^userdel -r -- alice$/, predicts: { 'user.info': null, 'file.exists': false, 'file.stat': null } },
  { name: 'state absent, already gone: ok', args: { name: 'ghost', state: 'absent' }, facts: facts(null), want: { noop: /^user ghost is already absent$/ } },
] };
