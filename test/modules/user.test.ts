/**
 * Table tests of `user`: account facts in, planned commands out (with the no-op reasons),
 * hostile comments quoted byte for byte or refused by field, the password never shown.
 *
 *   node --import tsx --test test/modules/user.test.ts
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { badPasswdText, planUser, user, userArgs, type UserFacts } from '../../src/modules/user.ts';
import { renderScript, type Command } from '../../src/commands/command.ts';
import { Secret } from '../../src/commands/secret.ts';
import type { Plan } from '../../src/define/plan.ts';
import type { Prediction } from '../../src/define/module.ts';
import type { UserInfo } from '../../src/facts/users.ts';
import { HOSTILE } from '../connectors/support/hostile.ts';

const HASH = '$6$saltsalt$Zq0bPEXAMPLEhashValueXyz';
const alice: UserInfo = { name: 'alice', uid: 1001, group: 'alice', groups: ['docker'], comment: 'Alice', home: '/home/alice', shell: '/bin/bash', passwordDigest: digest('!') };

function digest(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

function facts(current: UserInfo | null, groups: Record<string, number | null> = {}): UserFacts {
  const f: Record<string, unknown> = { current };
  for (const [g, gid] of Object.entries(groups)) f[`group:${g}`] = gid === null ? null : { name: g, gid };
  return f as UserFacts;
}

function plan(raw: Record<string, unknown>, f: UserFacts): Plan {
  return planUser(userArgs.parse(raw), f);
}

function commands(p: Plan): Command[] {
  return p.changes.flatMap((c) => c.actions.flatMap((a) => (a.kind === 'exec' ? [a.command] : [])));
}

function scripts(p: Plan): string[] {
  return commands(p).map((c) => c.script);
}

/** The argv a script would give the program it calls, through a real shell. */
function argvOf(script: string, program: string): string[] {
  const r = spawnSync('sh', ['-c', `${program}() { printf '%s\\0' "$@"; }\n${script}`], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\0').slice(0, -1);
}

describe('user: planning', () => {
  const table: { name: string; args: Record<string, unknown>; facts: UserFacts; scripts?: string[]; noop?: string; error?: RegExp }[] = [
    { name: 'creates a missing user with a home', args: { name: 'alice' }, facts: facts(null), scripts: ['useradd -m -- alice'] },
    {
      name: 'creates with every attribute', facts: facts(null, { app: 2000, docker: 998, adm: 4 }),
      args: { name: 'alice', uid: 1500, group: 'app', groups: ['docker', 'adm', 'app'], shell: '/bin/zsh', home: '/srv/alice', createHome: false, system: true, comment: 'Alice A.' },
      scripts: ["useradd -u 1500 -g app -G adm,docker -s /bin/zsh -d /srv/alice -M -r -c 'Alice A.' -- alice"],
    },
    { name: 'an existing user as wanted is a no-op', args: { name: 'alice', shell: '/bin/bash', groups: ['docker'] }, facts: facts(alice, { docker: 998 }), noop: 'user alice is as wanted' },
    { name: 'changes the shell', args: { name: 'alice', shell: '/bin/sh' }, facts: facts(alice), scripts: ['usermod -s /bin/sh -- alice'] },
    { name: 'changes uid, primary group, home, comment', args: { name: 'alice', uid: 1002, group: 'staff', home: '/srv/a', comment: '' }, facts: facts(alice, { staff: 50 }), scripts: ['usermod -u 1002 -- alice', 'usermod -g staff -- alice', 'usermod -d /srv/a -- alice', "usermod -c '' -- alice"] },
    { name: 'replaces supplementary groups', args: { name: 'alice', groups: ['adm'] }, facts: facts(alice, { adm: 4 }), scripts: ['usermod -G adm -- alice'] },
    { name: 'empties supplementary groups', args: { name: 'alice', groups: [] }, facts: facts(alice), scripts: ["usermod -G '' -- alice"] },
    { name: 'appends only the missing groups', args: { name: 'alice', groups: ['docker', 'adm'], append: true }, facts: facts(alice, { docker: 998, adm: 4 }), scripts: ['usermod -a -G adm -- alice'] },
    { name: 'append with nothing missing is a no-op', args: { name: 'alice', groups: ['docker'], append: true }, facts: facts(alice, { docker: 998 }), noop: 'user alice is as wanted' },
    { name: 'the primary group in groups is ignored', args: { name: 'alice', groups: ['alice', 'docker'] }, facts: facts(alice, { alice: 1001, docker: 998 }), noop: 'user alice is as wanted' },
    { name: 'a missing group fails, naming it', args: { name: 'alice', groups: ['nosuch', 'docker'] }, facts: facts(alice, { nosuch: null, docker: 998 }), error: /group nosuch does not exist/ },
    { name: 'removes a user', args: { name: 'alice', state: 'absent' }, facts: facts(alice), scripts: ['userdel -- alice'] },
    { name: 'removes a user and its home', args: { name: 'alice', state: 'absent', remove: true }, facts: facts(alice), scripts: ['userdel -r -- alice'] },
    { name: 'an absent user stays absent', args: { name: 'alice', state: 'absent' }, facts: facts(null), noop: 'user alice is already absent' },
  ];
  for (const row of table) {
    it(row.name, () => {
      const p = plan(row.args, row.facts);
      if (row.error) return assert.match(p.error ?? '', row.error);
      assert.equal(p.error, undefined);
      if (row.noop) {
        assert.deepEqual(p.changes, []);
        return assert.equal(p.noop, row.noop);
      }
      assert.deepEqual(scripts(p), row.scripts);
    });
  }
});

describe('user: password', () => {
  it('a new user gets the hash through chpasswd on stdin, never in a script or summary', () => {
    const p = plan({ name: 'alice', password: new Secret(HASH) }, facts(null));
    const [add, pw] = commands(p);
    assert.equal(add?.script, 'useradd -m -- alice');
    assert.equal(pw?.script, 'chpasswd -e');
    assert.ok(pw?.stdin instanceof Secret);
    assert.equal((pw.stdin as Secret).reveal(), `alice:${HASH}\n`);
    assert.ok(!JSON.stringify(p).includes(HASH));
    assert.ok(!p.changes.map((c) => c.summary).join(' ').includes(HASH));
  });

  it('the same hash is a no-op; another one is set; onCreate leaves it', () => {
    const same = { ...alice, passwordDigest: digest(HASH) };
    assert.equal(plan({ name: 'alice', password: new Secret(HASH) }, facts(same)).noop, 'user alice is as wanted');
    assert.deepEqual(scripts(plan({ name: 'alice', password: new Secret(HASH) }, facts(alice))), ['chpasswd -e']);
    assert.equal(plan({ name: 'alice', password: new Secret(HASH), updatePassword: 'onCreate' }, facts(alice)).noop, 'user alice is as wanted');
  });

  it('an unreadable /etc/shadow fails instead of guessing', () => {
    const p = plan({ name: 'alice', password: new Secret(HASH) }, facts({ ...alice, passwordDigest: null }));
    assert.match(p.error ?? '', /cannot read the password of alice .* become/);
  });

  it('a plain string password is refused by field, without echoing it', () => {
    const r = user.definition.args.safeParse({ name: 'alice', password: HASH });
    assert.equal(r.success, false);
    assert.deepEqual(r.error?.issues.map((i) => i.path.join('.')), ['password']);
    assert.ok(!JSON.stringify(r.error?.issues).includes(HASH));
    assert.equal(user.definition.args.safeParse({ name: 'alice', password: new Secret('a:b') }).success, false);
  });
});

describe('user: hostile strings', () => {
  it('every comment arrives as one argument, byte for byte, or is refused by field', () => {
    for (const s of HOSTILE) {
      const r = userArgs.safeParse({ name: 'alice', comment: s });
      if (!r.success) {
        assert.deepEqual(r.error.issues.map((i) => i.path.join('.')), ['comment'], JSON.stringify(s.slice(0, 30)));
        assert.ok(badPasswdText(s) || s.length > 1000, `refused without reason: ${JSON.stringify(s.slice(0, 30))}`);
        continue;
      }
      const [cmd] = commands(planUser(r.data, facts(null)));
      assert.deepEqual(argvOf(renderScript(cmd!), 'useradd'), ['-m', '-c', s, '--', 'alice']);
    }
  });

  it('names, shells and homes that could be options or break passwd are refused', () => {
    for (const [field, value] of [['name', '-rf'], ['name', '1000'], ['name', 'a b'], ['name', ''], ['group', '--help'], ['groups', ['a,b']], ['shell', 'bin/sh'], ['home', '/a:b'], ['uid', -1], ['uid', 1.5]] as const) {
      const r = userArgs.safeParse({ name: 'alice', [field]: value });
      assert.equal(r.success, false, `${field}=${JSON.stringify(value)}`);
      assert.equal(r.error?.issues[0]?.path[0], field);
    }
    assert.equal(userArgs.safeParse({ name: 'alice', shel: '/bin/sh' }).success, false, 'unknown keys are refused');
  });
});

describe('user: check-mode predictions', () => {
  const predicts = (raw: Record<string, unknown>, f: UserFacts) =>
    (user.definition.predicts as unknown as (a: unknown, f: unknown) => Prediction[])(userArgs.parse(raw), f);

  it('an existing user is predicted with its new attributes', () => {
    const [p] = predicts({ name: 'alice', shell: '/bin/sh', groups: ['adm'], append: true }, facts(alice, { adm: 4 }));
    assert.equal(p?.fact.name, 'user.info');
    assert.deepEqual(p?.value, { ...alice, shell: '/bin/sh', groups: ['adm', 'docker'] });
  });

  it('a new user is known after apply, with its home and private group', () => {
    const ps = predicts({ name: 'bob' }, facts(null));
    assert.deepEqual(ps.map((p) => [p.fact.key, p.unknown ?? false, p.value]), [
      ['user.info("bob")', true, undefined],
      ['group.info("bob")', true, undefined],
      ['file.exists("/home/bob")', false, true],
      ['file.stat("/home/bob")', true, undefined],
    ]);
  });
});
