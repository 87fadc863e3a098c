import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { apt, aptArgs, aptEffects, planApt, waitForAptLocks } from '../../src/modules/apt.ts';
import type { AptSources } from '../../src/facts/apt-sources.ts';
import type { AptCache, AptPackages, PackageState } from '../../src/facts/apt.ts';
import type { AptPreview } from '../../src/facts/apt-preview.ts';
import type { Plan } from '../../src/define/plan.ts';
import type { Effects, Prediction } from '../../src/define/module.ts';
import { HOSTILE } from '../connectors/support/hostile.ts';
import { stepName } from '../../src/define/step.ts';

const NOW = 1_700_000_000;
const fresh: AptCache = { supported: true, os: '', now: NOW, updatedAt: NOW - 60, hasLists: true };
const empty: AptCache = { supported: true, os: '', now: NOW, updatedAt: NOW - 60, hasLists: false };
const installed = (version: string, candidate?: string | null): PackageState => ({ status: 'installed', version, ...(candidate !== undefined ? { candidate } : {}) });
const absent = (candidate?: string | null): PackageState => ({ status: 'absent', version: null, ...(candidate !== undefined ? { candidate } : {}) });
const pkgs = (packages: Record<string, PackageState>): AptPackages => ({ supported: true, packages });

function plan(args: Record<string, unknown>, packages: Record<string, PackageState>, cache: AptCache = fresh): Plan {
  return planApt(aptArgs.parse(args), { pkgs: pkgs(packages), cache });
}

/** Each change as `summary: the apt-get part of its script`. */
function commands(p: Plan): string[] {
  return p.changes.flatMap((c) => c.actions.map((a) => `${c.summary}: ${a.kind === 'exec' ? (/apt-get .*$/.exec(a.command.script)?.[0] ?? a.command.script) : a.kind}`));
}

describe('apt', () => {
  describe('plans from the packages fact', () => {
    it('installs every missing package in one apt-get call, non-interactively, without recommends', () => {
      const p = plan({ name: ['haproxy', 'curl', 'haproxy'] }, { curl: absent(), haproxy: absent() });
      assert.deepEqual(commands(p), [
        'install curl, haproxy: apt-get -y -q -o DPkg::Lock::Timeout=300 -o Dpkg::Use-Pty=0 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold --no-install-recommends install -- curl haproxy',
      ]);
      const action = p.changes[0]?.actions[0];
      assert.deepEqual(action?.kind === 'exec' ? action.command.env : undefined, { DEBIAN_FRONTEND: 'noninteractive' });
    });

    it('installs only what is missing', () => {
      assert.match(commands(plan({ name: ['curl', 'haproxy'] }, { curl: installed('7.88'), haproxy: absent() }))[0] ?? '', /install -- haproxy$/);
    });

    it('does nothing when all are installed, and says so with versions', () => {
      assert.deepEqual(plan({ name: ['curl', 'haproxy'] }, { curl: installed('7.88'), haproxy: installed('2.6.12') }), {
        changes: [], noop: 'installed: curl 7.88, haproxy 2.6.12',
      });
    });

    it('installs recommends when asked', () => {
      assert.match(commands(plan({ name: 'curl', installRecommends: true }, { curl: absent() }))[0] ?? '', / --install-recommends install -- curl$/);
    });

    it('reinstalls a package removed with its configuration kept', () => {
      assert.match(commands(plan({ name: 'haproxy' }, { haproxy: { status: 'config-files', version: null } }))[0] ?? '', /install -- haproxy$/);
    });

    it('settles a half-configured package with dpkg --configure -a, then installs it', () => {
      const p = plan({ name: 'haproxy' }, { haproxy: { status: 'partial', version: '2.6' } });
      assert.equal(p.error, undefined);
      assert.deepEqual(p.changes.map((c) => c.summary), ['repair dpkg (haproxy half-installed or half-configured): dpkg --configure -a', 'install haproxy']);
    });

    it('repairs an interrupted dpkg first, as a change of its own, whatever else the step does', () => {
      const interrupted: AptCache = { ...fresh, dpkgInterrupted: true };
      const install = plan({ name: 'haproxy' }, { haproxy: { status: 'absent', version: null } }, interrupted);
      assert.deepEqual(install.changes.map((c) => c.summary), ['repair dpkg (dpkg was interrupted): dpkg --configure -a', 'install haproxy']);
      const script = install.changes[0]?.actions[0]?.kind === 'exec' ? install.changes[0].actions[0].command.script : '';
      assert.match(script, /-lname '\/var\/lib\/dpkg\/lock\*'.* && dpkg --force-confdef --force-confold --configure -a$/, 'after the wait for the dpkg locks');
      const nothingElse = plan({ name: 'curl' }, { curl: { status: 'installed', version: '7.88' } }, interrupted);
      assert.deepEqual(nothingElse.changes.map((c) => c.summary), ['repair dpkg (dpkg was interrupted): dpkg --configure -a']);
      assert.equal(plan({ name: 'curl' }, { curl: { status: 'installed', version: '7.88' } }).changes.length, 0, 'nothing to repair on a settled dpkg');
    });

    it('predicts a settled dpkg after the repair, so a later apt step under --check plans no second repair', () => {
      const interrupted: AptCache = { ...fresh, dpkgInterrupted: true };
      const preds = (apt.definition.predicts as unknown as (a: unknown, f: unknown) => Prediction[])(aptArgs.parse({ name: 'curl' }), { pkgs: pkgs({ curl: { status: 'installed', version: '7.88' } }), cache: interrupted });
      const cache = preds.find((x) => x.fact.name === 'apt.cache');
      assert.equal((cache?.value as AptCache | undefined)?.dpkgInterrupted, false);
    });

    it('fails clearly on a host without apt', () => {
      const p = planApt(aptArgs.parse({ name: 'curl' }), { pkgs: { supported: false, os: 'alpine' }, cache: fresh });
      assert.equal(p.error, 'apt works on the Debian family only; this host has no apt-get/dpkg-query (os-release ID: alpine)');
    });
  });

  describe('updates the package lists', () => {
    it('every run when updateCache has no cacheValidTime (a change, before the install)', () => {
      assert.deepEqual(commands(plan({ name: 'curl', updateCache: true }, { curl: installed('7.88') })), [
        'update the package lists: updateCache without cacheValidTime updates every run: apt-get -q -o DPkg::Lock::Timeout=300 update && mkdir -p /var/lib/apt/periodic && touch /var/lib/apt/periodic/update-success-stamp',
      ]);
    });

    it('not when they are younger than cacheValidTime (which implies updateCache)', () => {
      assert.deepEqual(plan({ name: 'curl', cacheValidTime: 3600 }, { curl: installed('7.88') }), {
        changes: [], noop: 'installed: curl 7.88; package lists updated 60 s ago (valid for 3600 s)',
      });
    });

    it('when they are older than cacheValidTime, then installs', () => {
      const p = plan({ name: 'curl', updateCache: true, cacheValidTime: 30 }, { curl: absent() });
      assert.deepEqual(p.changes.map((c) => c.summary), ['update the package lists: the package lists are 60 s old (valid for 30 s)', 'install curl']);
    });

    it('when they are empty, whatever their age', () => {
      const p = plan({ name: 'curl', updateCache: true, cacheValidTime: 3600 }, { curl: absent() }, empty);
      assert.equal(p.changes[0]?.summary, 'update the package lists: the package lists are empty (nothing in /var/lib/apt/lists)');
    });

    it('refuses to install from empty lists without updateCache', () => {
      assert.match(plan({ name: 'curl' }, { curl: absent() }, empty).error ?? '', /package lists are empty, so apt cannot install curl: set updateCache: true/);
    });
  });

  describe('state latest', () => {
    it('upgrades what is older than the candidate and installs what is missing, in one call', () => {
      const p = plan({ name: ['curl', 'haproxy', 'sudo'], state: 'latest' }, { curl: installed('1', '2'), haproxy: absent('2.6'), sudo: installed('3', '3') });
      assert.deepEqual(p.changes.map((c) => c.summary), ['install haproxy; upgrade curl 1 -> 2']);
      assert.match(commands(p)[0] ?? '', /install -- haproxy curl$/);
    });

    it('does nothing at the newest versions', () => {
      assert.deepEqual(plan({ name: 'curl', state: 'latest' }, { curl: installed('2', '2') }), { changes: [], noop: 'newest versions installed: curl 2' });
    });

    it('fails when no source offers a package', () => {
      assert.match(plan({ name: 'nosuch', state: 'latest' }, { nosuch: absent(null) }).error ?? '', /no installation candidate for nosuch/);
    });

    it('after a lists update, installs again everything (candidates are only known after it)', () => {
      const p = plan({ name: ['curl'], state: 'latest', updateCache: true }, { curl: installed('2', '2') });
      assert.deepEqual(p.changes.map((c) => c.summary), ['update the package lists: updateCache without cacheValidTime updates every run', 'upgrade if newer after the update: curl']);
    });
  });

  describe('state absent', () => {
    it('removes installed packages, keeping configuration', () => {
      assert.match(commands(plan({ name: ['curl', 'telnet'], state: 'absent' }, { curl: installed('7'), telnet: absent() }))[0] ?? '', /remove -- curl$/);
    });

    it('does nothing when none is installed', () => {
      assert.deepEqual(plan({ name: 'telnet', state: 'absent' }, { telnet: { status: 'config-files', version: null } }), { changes: [], noop: 'not installed: telnet' });
    });

    it('purges configuration files left behind when purge is set', () => {
      assert.match(commands(plan({ name: 'telnet', state: 'absent', purge: true }, { telnet: { status: 'config-files', version: null } }))[0] ?? '', /purge -- telnet$/);
    });
  });

  describe('arguments', () => {
    it('refuses purge without state absent, and unknown keys', () => {
      assert.equal(aptArgs.safeParse({ name: 'x1', purge: true }).error?.issues[0]?.path.join('.'), 'purge');
      assert.equal(aptArgs.safeParse({ name: 'x1', update_cache: true }).success, false);
    });

    it('rejects every hostile string as a package name with a field error, or takes it as a plain word', () => {
      for (const s of HOSTILE) {
        for (const name of [s, ['curl', s]]) {
          const r = aptArgs.safeParse({ name });
          if (r.success) {
            assert.match(s, /^[a-z0-9][a-z0-9+.-]+$/, `accepted ${JSON.stringify(s)}`);
            continue;
          }
          assert.equal(r.error.issues[0]?.path[0], 'name', JSON.stringify(s));
        }
      }
    });

    it('rejects names starting with "-"', () => {
      assert.equal(aptArgs.safeParse({ name: '-oDebug=1' }).success, false);
    });
  });

  describe('check mode', () => {
    const predictions = (args: Record<string, unknown>, packages: Record<string, PackageState>, cache = fresh): Prediction[] =>
      (apt.definition.predicts as unknown as (a: unknown, f: unknown) => Prediction[])(aptArgs.parse(args), { pkgs: pkgs(packages), cache });

    it('predicts the packages installed and the lists fresh', () => {
      const [cache, packages] = predictions({ name: 'haproxy', updateCache: true }, { haproxy: absent() });
      assert.equal(cache?.fact.name, 'apt.cache');
      assert.deepEqual(cache?.value, { ...fresh, updatedAt: NOW });
      assert.deepEqual(packages?.value, { supported: true, packages: { haproxy: { status: 'installed', version: null } } });
    });

    it('cannot know whether a removed package keeps configuration files', () => {
      const [p] = predictions({ name: 'haproxy', state: 'absent' }, { haproxy: installed('2') });
      assert.equal(p?.unknown, true);
    });

    describe('what later steps cannot be predicted after it (package-effects.ts)', () => {
      const debian: AptSources = { supported: true, foreign: null };
      const effects = (args: Record<string, unknown>, packages: Record<string, PackageState>, o: { cache?: AptCache; sources?: AptSources; aliased?: string[] } = {}) =>
        aptEffects(aptArgs.parse(args), { pkgs: pkgs(packages), cache: o.cache ?? fresh, sources: o.sources ?? debian, aliased: o.aliased ?? [] });
      const scoped = (e: ReturnType<typeof effects>) => {
        assert.ok(!Array.isArray(e), 'an install is scoped by path');
        return e as Effects;
      };

      it('an install leaves units, programs, users, groups, ports, kernel modules and parameters uncertain', () => {
        const e = scoped(effects({ name: 'haproxy' }, { haproxy: absent() }));
        for (const f of ['apt', 'systemd', 'tools', 'user', 'group', 'net', 'kernel', 'sysctl.live']) assert.ok(e.facts.includes(f), f);
        assert.ok(!e.facts.includes('file'), 'files are scoped by path, not the whole family');
      });

      const table: [string, boolean][] = [
        ['/etc/haproxy/haproxy.cfg', true], ['/etc/benchapp/app.conf', true], ['/etc/motd', true], ['/var/lib/benchapp', true],
        ['/usr/local/lib/app', true], ['/home/deploy/.profile', true], ['/tmp/x', true], ['/opt', true], ['/srv', true],
        ['/opt/benchapp/bin/benchapp.sh', false], ['/etc/opt/app/conf', false], ['/var/opt/app/state', false], ['/srv/www/index.html', false], ['/mnt/data/x', false],
        ['/opt/../etc/passwd', true], ['/opt//app', false], ['/optional/x', true],
      ];
      for (const [path, uncertain] of table) {
        it(`with Debian's sources only, ${path} is ${uncertain ? 'uncertain' : 'still predicted'}`, () => assert.equal(scoped(effects({ name: 'haproxy' }, { haproxy: absent() })).paths?.(path), uncertain));
      }

      it('with a source outside Debian\'s archive every path is uncertain (add-on packages install into /opt)', () => {
        const e = scoped(effects({ name: 'haproxy' }, { haproxy: absent() }, { sources: { supported: true, foreign: 'https://repo.example/ stable is signed by /usr/share/keyrings/example.gpg' } }));
        assert.equal(e.paths?.('/opt/benchapp/bin/benchapp.sh'), true);
      });

      it('a tree holding a symbolic link or a mount point shelters nothing', () => {
        const e = scoped(effects({ name: 'haproxy' }, { haproxy: absent() }, { aliased: ['/opt'] }));
        assert.equal(e.paths?.('/opt/benchapp/bin/benchapp.sh'), true);
        assert.equal(e.paths?.('/srv/www/index.html'), false);
      });

      it('a removal is a transaction too', () => {
        assert.ok(!Array.isArray(effects({ name: 'haproxy', state: 'absent' }, { haproxy: installed('2') })));
      });

      it('updating the lists alone changes only apt facts', () => {
        assert.deepEqual(effects({ name: 'curl', updateCache: true }, { curl: installed('7') }, { cache: { ...fresh, updatedAt: null } }), ['apt']);
      });
    });

    describe('the preview of a plain install (package-preview.ts)', () => {
      const debian: AptSources = { supported: true, foreign: null };
      const facts = (packages: Record<string, PackageState>, o: { cache?: AptCache; sources?: AptSources } = {}) => ({ pkgs: pkgs(packages), cache: o.cache ?? fresh, sources: o.sources ?? debian });
      const check = (args: Record<string, unknown>, packages: Record<string, PackageState>, o: { cache?: AptCache; sources?: AptSources } = {}) =>
        (apt.definition.checkFacts as unknown as (a: unknown, f: unknown) => Record<string, { args: unknown }>)(aptArgs.parse(args), facts(packages, o));

      it('asks for the missing packages, from fresh lists when the step would update them', () => {
        assert.deepEqual(check({ name: ['curl', 'haproxy'] }, { curl: installed('7'), haproxy: absent() }).preview?.args, { names: ['haproxy'], recommends: false, update: false });
        assert.deepEqual(check({ name: 'haproxy', updateCache: true, installRecommends: true }, { haproxy: absent() }, { cache: empty }).preview?.args, { names: ['haproxy'], recommends: true, update: true });
      });

      const none: [string, Record<string, unknown>, Record<string, PackageState>, { cache?: AptCache; sources?: AptSources }][] = [
        ['nothing to install', { name: 'curl' }, { curl: installed('7') }, {}],
        ['an upgrade', { name: 'curl', state: 'latest' }, { curl: installed('7', '8') }, {}],
        ['a removal', { name: 'curl', state: 'absent' }, { curl: installed('7') }, {}],
        ['a half-installed package', { name: 'curl' }, { curl: { status: 'partial', version: '7' } }, {}],
        ['an interrupted dpkg', { name: 'curl' }, { curl: absent() }, { cache: { ...fresh, dpkgInterrupted: true } }],
        ['a source outside Debian\'s archive', { name: 'curl' }, { curl: absent() }, { sources: { supported: true, foreign: 'x' } }],
      ];
      for (const [what, args, packages, o] of none) {
        it(`is not asked for with ${what}`, () => assert.deepEqual(check(args, packages, o), {}));
      }

      it('narrows the effects when it tells them, and keeps the wide rule when it cannot', () => {
        const preview: AptPreview = { ok: true, installs: [{ name: 'curl', version: '7', old: null }], removes: [], host: { fileTriggers: [], ldDirs: [], links: [], linksCapped: false, unowned: [], mounts: [], adduserLocal: false, hooks: [], tmpfilesOverrides: [] },
          debs: [{ name: 'curl', entries: [{ type: '-', path: '/usr/bin/curl' }], control: ['control', 'md5sums'], scripts: {}, triggers: [], dynamicUser: [], tmpfiles: [], existingEtcDirs: [] }] };
        const told = aptEffects(aptArgs.parse({ name: 'curl' }), { ...facts({ curl: absent() }), aliased: [], preview }) as Effects;
        assert.deepEqual(told.facts, ['apt', 'tools']);
        assert.equal(told.paths?.('/etc/motd'), false);
        assert.equal(told.paths?.('/usr/bin/curl'), true);
        const wide = aptEffects(aptArgs.parse({ name: 'curl' }), { ...facts({ curl: absent() }), aliased: [], preview: { ok: false, reason: 'apt-get update failed' } }) as Effects;
        assert.equal(wide.paths?.('/etc/motd'), true);
        assert.ok(wide.facts.includes('user'));
      });

      it('without its facts (a step that cannot be predicted) the effects are the widest', () => {
        const e = aptEffects(aptArgs.parse({ name: 'curl' }), {}) as Effects;
        assert.equal(e.paths?.('/opt/app/x'), true);
        assert.ok(e.facts.includes('systemd'));
      });
    });
  });

  describe('the dpkg/apt lock', () => {
    it('waits for holders, read from /proc, and never kills them', () => {
      const script = waitForAptLocks(120);
      assert.match(script, /find \/proc\/\[0-9\]\*\/fd .*-lname '\/var\/lib\/dpkg\/lock\*' -o -lname '\/var\/\*\/apt\/\*\/lock'/);
      assert.match(script, /-ge 120/);
      assert.match(script, /gave up after 120 s waiting for the apt\/dpkg lock, held by.*; left running/);
      assert.doesNotMatch(script, /\bkill\b/);
      assert.equal(spawnSync('sh', ['-n', '-c', script]).status, 0);
    });

    it('is free on a machine where nobody holds it, and the wait costs nothing then', () => {
      const started = Date.now();
      const r = spawnSync('sh', ['-c', `${waitForAptLocks(5)} && echo free`], { encoding: 'utf8' });
      if (r.stdout.trim() !== 'free') return; // an apt run on this machine holds the lock right now
      assert.ok(Date.now() - started < 3000);
    });

    it('uses the lock timeout given', () => {
      assert.match(commands(plan({ name: 'curl', lockTimeout: 7 }, { curl: absent() }))[0] ?? '', /DPkg::Lock::Timeout=7 /);
    });
  });

  it('names its steps from the arguments as written', () => {
    assert.equal(stepName(apt({ name: ['haproxy', 'curl'] })), 'apt install haproxy, curl');
    assert.equal(stepName(apt({ name: 'telnet', state: 'absent', purge: true })), 'apt purge telnet');
  });
});
