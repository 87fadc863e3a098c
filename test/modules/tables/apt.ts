/** `apt`: one row or more for each documented option. */
import { apt } from '../../../src/modules/apt.ts';
import type { AptCache, PackageState } from '../../../src/facts/apt.ts';
import type { ModuleTable } from '../../support/module-table.ts';

const NOW = 1_700_000_000;
const cache = (o: Partial<AptCache> = {}): AptCache => ({ supported: true, os: '', now: NOW, updatedAt: NOW - 60, hasLists: true, ...o });
const installed = (version: string, candidate?: string): PackageState => ({ status: 'installed', version, ...(candidate ? { candidate } : {}) });
const absent = (candidate?: string): PackageState => ({ status: 'absent', version: null, ...(candidate ? { candidate } : {}) });
const facts = (packages: Record<string, PackageState>, c: Partial<AptCache> = {}) => ({ pkgs: { supported: true, packages }, cache: cache(c) });
const UPDATE = /apt-get -q -o DPkg::Lock::Timeout=300 update && mkdir -p \S+ && touch /;

export const aptTable: ModuleTable = { module: apt, rows: [
  { name: 'name: the missing ones, in one call, without recommends', args: { name: ['haproxy', 'curl'] }, facts: facts({ curl: installed('7.88'), haproxy: absent('2.6.12') }),
    want: { changes: ['install haproxy'] }, runs: /DEBIAN_FRONTEND=noninteractive[\s\S]*--force-confold --no-install-recommends install -- haproxy/,
    predicts: { 'apt.packages': { supported: true, packages: { curl: installed('7.88'), haproxy: installed('2.6.12', '2.6.12') } } } },
  { name: 'state present, all installed: ok, with versions', args: { name: ['curl', 'haproxy'], state: 'present' }, facts: facts({ curl: installed('7.88'), haproxy: installed('2.6.12') }),
    want: { noop: /^installed: curl 7\.88, haproxy 2\.6\.12$/ } },
  { name: 'name must be a Debian package name', args: { name: 'Bad_Name' }, want: { invalid: /name: must be a Debian package name/ } },
  { name: 'state latest upgrades to the candidate', args: { name: 'openssh-server', state: 'latest' }, facts: facts({ 'openssh-server': installed('1:9.2', '1:9.3') }),
    want: { changes: ['upgrade openssh-server 1:9.2 -> 1:9.3'] }, runs: /install -- openssh-server/,
    predicts: { 'apt.packages': { supported: true, packages: { 'openssh-server': installed('1:9.3', '1:9.3') } } } },
  { name: 'state latest without a candidate fails, saying why', args: { name: 'nothere', state: 'latest' }, facts: facts({ nothere: absent() }), want: { error: /^no installation candidate for nothere/ } },
  { name: 'state absent removes, keeping configuration files', args: { name: 'telnet', state: 'absent' }, facts: facts({ telnet: installed('0.17') }),
    want: { changes: ['remove telnet'] }, runs: / remove -- telnet/, notRuns: /recommends/, predicts: { 'apt.packages': 'unknown' } },
  { name: 'purge: the configuration files too, even when only they are left', args: { name: 'telnet', state: 'absent', purge: true }, facts: facts({ telnet: { status: 'config-files', version: null } }),
    want: { changes: ['purge telnet'] }, runs: / purge -- telnet/, predicts: { 'apt.packages': { supported: true, packages: { telnet: absent() } } } },
  { name: 'purge without state absent is refused', args: { name: 'telnet', purge: true }, want: { invalid: /purge: purge applies to state: absent only/ } },
  { name: 'updateCache without cacheValidTime updates every run, as a change', args: { name: 'curl', updateCache: true }, facts: facts({ curl: installed('7.88') }),
    want: { changes: ['update the package lists: updateCache without cacheValidTime updates every run'] }, runs: UPDATE,
    predicts: { 'apt.cache': cache({ updatedAt: NOW }) } },
  { name: 'cacheValidTime: lists fresh enough, no update; implies updateCache', args: { name: 'curl', cacheValidTime: 3600 }, facts: facts({ curl: installed('7.88') }),
    want: { noop: /^installed: curl 7\.88; package lists updated 60 s ago \(valid for 3600 s\)$/ } },
  { name: 'cacheValidTime: older lists are updated first', args: { name: 'curl', updateCache: true, cacheValidTime: 30 }, facts: facts({ curl: absent('7.88') }),
    want: { changes: ['update the package lists: the package lists are 60 s old (valid for 30 s)', 'install curl'] }, runs: UPDATE },
  { name: 'empty lists count as stale, however recent the update', args: { name: 'curl', cacheValidTime: 3600 }, facts: facts({ curl: installed('7.88') }, { hasLists: false }),
    want: { changes: [/^update the package lists: the package lists are empty/] }, runs: UPDATE },
  { name: 'empty lists without updateCache: install fails, naming the fix', args: { name: 'curl' }, facts: facts({ curl: absent() }, { hasLists: false }), want: { error: /lists are empty.*set updateCache: true/ } },
  { name: 'installRecommends', args: { name: 'curl', installRecommends: true }, facts: facts({ curl: absent() }), want: { changes: ['install curl'] }, runs: / --install-recommends install -- curl/ },
  { name: 'lockTimeout: the lock wait and apt\'s own', args: { name: 'curl', lockTimeout: 30 }, facts: facts({ curl: absent() }),
    want: { changes: ['install curl'] }, runs: /if \[ \$w -ge 30 \]; then echo "capstan: gave up after 30 s[\s\S]*DPkg::Lock::Timeout=30 /, notRuns: /killall|kill /  },
  { name: 'lockTimeout must be positive', args: { name: 'curl', lockTimeout: 0 }, want: { invalid: /lockTimeout/ } },
  { name: 'interrupted dpkg is settled first, as a change of its own', args: { name: 'curl' }, facts: facts({ curl: installed('7.88') }, { dpkgInterrupted: true }),
    want: { changes: ['repair dpkg (dpkg was interrupted): dpkg --configure -a'] }, runs: /dpkg --force-confdef --force-confold --configure -a/ },
  { name: 'a host without apt fails', args: { name: 'curl' }, facts: { pkgs: { supported: false, os: 'alpine', packages: {} }, cache: cache() }, want: { error: /Debian family only.*alpine/ } },
] };
