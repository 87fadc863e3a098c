import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseAptPreview, type AptPreview, type DebPreview } from '../../src/facts/apt-preview.ts';
import { canonical, previewEffects, tmpfilesPaths } from '../../src/modules/package-preview.ts';
import { readMaintainerScript, tokens } from '../../src/modules/maintainer-scripts.ts';
import { userInfo, groupInfo } from '../../src/facts/users.ts';

/** What apt.preview printed on a fresh test node for `curl haproxy` (lists fetched into the throwaway directory). */
const FRESH = readFileSync(new URL('../fixtures/apt-preview/fresh-node-curl-haproxy.txt', import.meta.url), 'utf8');

function ok(p: AptPreview): Extract<AptPreview, { ok: true }> {
  assert.ok(p.ok, p.ok ? '' : p.reason);
  return p;
}

describe('apt.preview output', () => {
  it('lists what apt would install, each package\'s files, scripts and triggers, and the host\'s aliases', () => {
    const p = ok(parseAptPreview(FRESH));
    assert.equal(p.installs.length, 14);
    assert.deepEqual(p.installs.find((i) => i.name === 'haproxy'), { name: 'haproxy', version: '2.6.12-1+deb12u3', old: null });
    const haproxy = p.debs.find((d) => d.name === 'haproxy');
    assert.ok(haproxy?.entries.some((e) => e.type === '-' && e.path === '/etc/haproxy/haproxy.cfg'));
    assert.ok(haproxy?.entries.some((e) => e.type === 'd' && e.path === '/var/lib/haproxy'));
    assert.match(haproxy?.scripts.postinst ?? '', /^#!\/bin\/sh\n\nset -e\n\nadduser --system/);
    assert.deepEqual(haproxy?.tmpfiles, ['d /run/haproxy 2775 haproxy haproxy -']);
    assert.deepEqual(haproxy?.existingEtcDirs, ['/etc/default', '/etc/init.d', '/etc/logrotate.d']);
    assert.ok(p.debs.find((d) => d.name === 'libcurl4')?.triggers.includes('activate-noawait ldconfig'));
    assert.ok(p.host.fileTriggers.includes('/etc/dbus-1/system.d dbus/noawait'));
    assert.ok(p.host.mounts.some((m) => m.path === '/etc/hosts'));
    assert.deepEqual(p.host.hooks, ['DPkg::Pre-Install-Pkgs /usr/sbin/dpkg-preconfigure --apt || true']);
  });

  it('an error line or a cut-off output is a preview that tells nothing', () => {
    assert.deepEqual(parseAptPreview('E apt-get update failed: E: Failed to fetch\n'), { ok: false, reason: 'apt-get update failed: E: Failed to fetch' });
    assert.equal(parseAptPreview('I curl 7.88\n').ok, false);
    assert.match((parseAptPreview('I curl 7.88\nZ\n') as { reason: string }).reason, /install 1 packages but 0 were read/);
  });
});

describe('the effects of a previewed install', () => {
  const told = previewEffects(parseAptPreview(FRESH));
  assert.ok(told.ok, told.ok ? '' : told.reason);
  const { effects } = told;
  const affected = (p: string) => effects.paths?.(p) === true;

  it('leaves certain what none of the packages, their scripts or haproxy\'s service reach', () => {
    for (const p of ['/etc/motd', '/etc/benchapp/app.conf', '/etc/sysctl.d/60-bench.conf', '/etc/default/grub', '/opt/benchapp/bin/benchapp.sh']) assert.equal(affected(p), false, p);
    assert.equal(effects.refs?.(userInfo('benchapp')), false);
    assert.equal(effects.refs?.(groupInfo('benchapp')), false);
    assert.ok(!effects.facts.includes('user') && !effects.facts.includes('group'));
  });

  it('keeps unknown what they ship, what the scripts name, what ldconfig and a running service may write', () => {
    const reached = [
      '/etc/haproxy/haproxy.cfg', '/etc/default/haproxy', '/usr/sbin/haproxy', '/lib/systemd/system/haproxy.service', '/usr/bin/curl',
      '/etc/rsyslog.d/49-haproxy.conf', '/etc/rc2.d/S01haproxy', '/etc/systemd/system/multi-user.target.wants/haproxy.service',
      '/etc/passwd', '/etc/passwd-', '/etc/group', '/etc/gshadow-', '/etc/ld.so.cache', '/var/lib/dpkg/status', '/var/lib/benchapp', '/run/haproxy', '/tmp/x',
      '/etc/haproxy/state', '/etc/haproxy', '/etc', '/etc/hosts', '/data/app',
    ];
    for (const p of reached) assert.equal(affected(p), true, p);
    assert.equal(effects.refs?.(userInfo('haproxy')), true);
    assert.equal(effects.refs?.(groupInfo('haproxy')), true);
    assert.deepEqual([...effects.facts].sort(), ['apt', 'kernel', 'net', 'sysctl.live', 'systemd', 'tools']);
  });

  it('a library without scripts reaches only its files, dpkg\'s state and what ldconfig writes', () => {
    const lib = only(parseAptPreview(FRESH), 'libcurl4');
    const t = previewEffects(lib);
    assert.ok(t.ok);
    assert.deepEqual(t.effects.facts, ['apt', 'tools']);
    assert.equal(t.effects.paths?.('/var/lib/benchapp'), false, 'no service starts');
    assert.equal(t.effects.paths?.('/usr/lib/x86_64-linux-gnu/libcurl.so.4'), true);
    assert.equal(t.effects.paths?.('/usr/local/lib/x86_64-linux-gnu/libz.so'), true, 'ldconfig links in the ld.so.conf directories');
  });

  const cases: [string, (p: Extract<AptPreview, { ok: true }>) => void, RegExp][] = [
    ['an upgrade (the old version\'s scripts run too)', (p) => { p.installs[0]!.old = '1.0'; }, /would upgrade liblua5\.3-0/],
    ['a removal', (p) => { p.removes.push('exim4'); }, /would remove exim4/],
    ['a debconf config script', (p) => { deb(p, 'haproxy').control.push('config'); }, /haproxy: it asks debconf questions/],
    ['a script line Capstan cannot read', (p) => { deb(p, 'haproxy').scripts.postinst += '\nrm -rf /var/cache/haproxy'; }, /haproxy: its postinst line \d+ is not one Capstan can read: rm -rf/],
    ['a trigger other than ldconfig', (p) => { deb(p, 'curl').triggers.push('activate-noawait update-initramfs'); }, /curl: it declares the trigger "activate-noawait update-initramfs"/],
    ['a file trigger of an installed package', (p) => { deb(p, 'curl').entries.push({ type: '-', path: '/usr/share/dbus-1/system.d/x.conf' }); }, /reaches \/usr\/share\/dbus-1\/system\.d, a file trigger of dbus/],
    ['tmpfiles.d lines with a specifier', (p) => { deb(p, 'haproxy').tmpfiles.push('d /run/%u 0700'); }, /specifiers or globs/],
    ['an adduser hook', (p) => { p.host.adduserLocal = true; }, /adduser\.local/],
    ['a file owned by an id without a name', (p) => { p.host.unowned.push('/srv/old'); }, /could take the id that owns \/srv\/old/],
    ['too many links to tell aliases', (p) => { p.host.linksCapped = true; }, /too many symbolic links/],
    ['an apt hook other than debconf\'s', (p) => { p.host.hooks.push('DPkg::Post-Invoke etckeeper post-install'); }, /apt would run the hook DPkg::Post-Invoke etckeeper/],
    ['the host\'s own tmpfiles.d file of the same name', (p) => { p.host.tmpfilesOverrides.push('haproxy.conf'); }, /its own haproxy\.conf in \/etc\/tmpfiles\.d/],
  ];
  for (const [what, edit, reason] of cases) {
    it(`tells nothing with ${what}`, () => {
      const p = ok(parseAptPreview(FRESH));
      edit(p);
      const t = previewEffects(p);
      assert.equal(t.ok, false);
      assert.match(t.ok ? '' : t.reason, reason);
    });
  }

  it('a link or a bind mount may make a path another\'s alias', () => {
    const p = ok(parseAptPreview(FRESH));
    p.host.links.push('/etc/benchapp');
    p.host.mounts.push({ path: '/etc/motd', type: 'ext4' });
    const t = previewEffects(p);
    assert.ok(t.ok);
    assert.equal(t.effects.paths?.('/etc/benchapp/app.conf'), true);
    assert.equal(t.effects.paths?.('/etc/motd'), true);
  });

  it('a unit with DynamicUser may create users of any name', () => {
    const p = ok(parseAptPreview(FRESH));
    deb(p, 'haproxy').dynamicUser.push('DynamicUser=yes');
    const t = previewEffects(p);
    assert.ok(t.ok && t.effects.facts.includes('user') && t.effects.facts.includes('group'));
  });
});

describe('maintainer scripts read without running them', () => {
  it('adduser, tmpfiles, conffile moves, init scripts and units from haproxy\'s postinst', () => {
    const haproxy = ok(parseAptPreview(FRESH)).debs.find((d) => d.name === 'haproxy');
    const r = readMaintainerScript(haproxy?.scripts.postinst ?? '');
    assert.ok(r.ok, r.ok ? '' : r.reason);
    assert.deepEqual(r.effects.users, ['haproxy']);
    assert.deepEqual(r.effects.groups, ['haproxy']);
    assert.deepEqual(r.effects.homes, [], '--no-create-home');
    assert.ok(r.effects.units && r.effects.tmpfiles);
    assert.deepEqual([...new Set(r.effects.services)].sort(), ['haproxy', 'haproxy.service']);
    assert.ok(r.effects.paths.includes('/etc/rsyslog.d/49-haproxy.conf'));
  });

  const table: [string, string, RegExp | string[]][] = [
    ['a home adduser creates', 'adduser --system --home /var/lib/app app', ['/var/lib/app']],
    ['the default home', 'adduser --system app', ['/home/app']],
    ['a variable in an argument', 'adduser --system --home "$HOME" app', /line 1/],
    ['a user that is not a system user (skeleton, mail spool)', 'adduser --disabled-password app', /line 1/],
    ['a redirection to a file', 'echo x > /etc/app.conf', /line 1/],
    ['another program', 'rm -rf /var/cache/app', /line 1/],
    ['command substitution', 'chmod +x "$(find /etc)"', /line 1/],
    ['a sourced file', '. /usr/share/debconf/confmodule', /line 1/],
    ['a condition that runs something', 'if getent passwd app >/dev/null; then', /line 1/],
  ];
  for (const [what, line, want] of table) {
    it(what, () => {
      const r = readMaintainerScript(`#!/bin/sh\nset -e\n${line}\n`);
      if (Array.isArray(want)) assert.deepEqual(r.ok && r.effects.homes, want);
      else assert.match(r.ok ? '' : r.reason.replace(/^line 3/, 'line 1'), want);
    });
  }

  it('words: literals, quotes and the few expansions scripts pass along', () => {
    assert.deepEqual(tokens(`dpkg-maintscript-helper mv_conffile /etc/a /etc/b 1.5.3-2\\~ -- "$@"`), ['dpkg-maintscript-helper', 'mv_conffile', '/etc/a', '/etc/b', '1.5.3-2~', '--', '$@']);
    assert.deepEqual(tokens(`[ -x "$(command -v systemd-tmpfiles)" ]`), ['[', '-x', '$(command -v systemd-tmpfiles)', ']']);
    assert.equal(tokens('echo $HOME'), null);
    assert.equal(tokens('a; b'), null);
  });
});

describe('paths the install names', () => {
  it('merged /usr and /var/run give one name', () => {
    assert.equal(canonical('/lib/systemd/system/x.service'), '/usr/lib/systemd/system/x.service');
    assert.equal(canonical('/var/run/haproxy'), '/run/haproxy');
    assert.equal(canonical('/etc//a/./b/../c'), '/etc/a/c');
  });

  it('tmpfiles.d paths', () => {
    assert.deepEqual(tmpfilesPaths(['# comment', 'd /run/haproxy 2775 haproxy haproxy -', '']), ['/run/haproxy']);
    assert.equal(tmpfilesPaths(['d /run/*.x']), null);
  });
});

function deb(p: Extract<AptPreview, { ok: true }>, name: string): DebPreview {
  const d = p.debs.find((x) => x.name === name);
  assert.ok(d, name);
  return d;
}

/** The preview as if only `name` were installed. */
function only(p: AptPreview, name: string): AptPreview {
  const full = ok(p);
  return { ...full, installs: full.installs.filter((i) => i.name === name), debs: full.debs.filter((d) => d.name === name) };
}
