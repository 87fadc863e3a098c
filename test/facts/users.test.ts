/**
 * The account facts: table tests of the parsers, and the real commands run with the
 * controller's `sh` against its own passwd and group databases.
 *
 *   node --import tsx --test test/facts/users.test.ts
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { groupInfo, parseGroupInfo, parseUserInfo, userInfo, type GroupInfo, type UserInfo } from '../../src/facts/users.ts';

const DIGEST = 'a'.repeat(64);

describe('parseUserInfo', () => {
  const table: { name: string; out: string; want: UserInfo | null }[] = [
    { name: 'no such user', out: 'absent\n', want: null },
    {
      name: 'a user with supplementary groups, primary left out and sorted',
      out: `passwd=alice:x:1001:1001:Alice:/home/alice:/bin/bash\ngroup=alice\ngroups=alice sudo docker adm\nshadow=${DIGEST}\n`,
      want: { name: 'alice', uid: 1001, group: 'alice', groups: ['adm', 'docker', 'sudo'], comment: 'Alice', home: '/home/alice', shell: '/bin/bash', passwordDigest: DIGEST },
    },
    {
      name: 'an unreadable shadow gives a null digest',
      out: 'passwd=bob:x:1002:100::/home/bob:/bin/sh\ngroup=users\ngroups=users\nshadow=?\n',
      want: { name: 'bob', uid: 1002, group: 'users', groups: [], comment: '', home: '/home/bob', shell: '/bin/sh', passwordDigest: null },
    },
    {
      name: 'a GECOS with =, spaces, quotes and non-ASCII is kept as is',
      out: `passwd=carol:x:1003:1003:a=b "c" 'd' é中😀 $(x):/home/carol:/bin/bash\ngroup=carol\ngroups=carol\nshadow=${DIGEST}\n`,
      want: { name: 'carol', uid: 1003, group: 'carol', groups: [], comment: `a=b "c" 'd' é中😀 $(x)`, home: '/home/carol', shell: '/bin/bash', passwordDigest: DIGEST },
    },
    {
      name: 'a primary gid without a group entry gives an empty group name',
      out: `passwd=dan:x:1004:4242::/home/dan:/bin/sh\ngroup=\ngroups=4242\nshadow=${DIGEST}\n`,
      want: { name: 'dan', uid: 1004, group: '', groups: ['4242'], comment: '', home: '/home/dan', shell: '/bin/sh', passwordDigest: DIGEST },
    },
  ];
  for (const row of table) it(row.name, () => assert.deepEqual(parseUserInfo(row.out), row.want));

  it('refuses output it does not understand', () => {
    assert.throws(() => parseUserInfo('hello\n'), /no passwd entry/);
    assert.throws(() => parseUserInfo('passwd=x:x:notanumber:1::/:/bin/sh\n'), /unexpected passwd entry/);
  });
});

describe('parseGroupInfo', () => {
  const table: { out: string; want: GroupInfo | null }[] = [
    { out: 'absent\n', want: null },
    { out: 'docker:x:998:alice,bob\n', want: { name: 'docker', gid: 998 } },
    { out: 'root:x:0:\n', want: { name: 'root', gid: 0 } },
  ];
  for (const row of table) it(JSON.stringify(row.out), () => assert.deepEqual(parseGroupInfo(row.out), row.want));
  it('refuses a malformed entry', () => assert.throws(() => parseGroupInfo('docker:x:\n'), /unexpected group entry/));
});

describe('the account commands, on the controller', () => {
  const run = <T>(ref: { script: string; parse(out: string, code: number): T }): T => {
    const r = spawnSync('sh', ['-c', ref.script], { encoding: 'utf8' });
    return ref.parse(r.stdout, r.status ?? 1);
  };

  it('reads root, and a user that does not exist', () => {
    const root = run(userInfo('root'));
    assert.equal(root?.uid, 0);
    assert.equal(root?.group, 'root');
    assert.equal(root?.home.startsWith('/'), true);
    assert.equal(run(userInfo('capstan-no-such-user')), null);
  });

  it('reads the root group, and a group that does not exist', () => {
    assert.deepEqual(run(groupInfo('root')), { name: 'root', gid: 0 });
    assert.equal(run(groupInfo('capstan-no-such-group')), null);
  });

  it('quotes the name: the cache key and the script', () => {
    assert.equal(userInfo('alice').key, 'user.info("alice")');
    assert.match(userInfo("it's").script, /^n='it'\\''s'$/m);
  });
});

describe('user.info password digests', () => {
  it('accounts without a password (locked, disabled, empty) get the digest sha256sum prints, without starting it', () => {
    const script = userInfo('svc').script;
    for (const field of ['', '!', '*', '!*', '!!']) {
      const fake = `getent() { [ "$1" = shadow ] && { printf 'svc:%s:19000::::::\\n' '${field}'; return 0; }; [ "$1" = passwd ] && { echo 'svc:x:990:990::/:/usr/sbin/nologin'; return 0; }; echo 'svc:x:990:'; }; id() { echo svc; }; sha256sum() { echo "started"; }`;
      const out = spawnSync('sh', ['-c', `${fake}\n${script}`], { encoding: 'utf8' }).stdout;
      const real = spawnSync('sh', ['-c', `printf '%s' '${field}' | sha256sum`], { encoding: 'utf8' }).stdout.split(' ')[0];
      assert.equal(/^shadow=(.*)$/m.exec(out)?.[1], real, `field ${JSON.stringify(field)}`);
    }
  });
});
