/**
 * What a target needs besides a POSIX sh is checked in the first batch: a host that lacks a
 * program fails at once with its name and what to install, the others run on, and the check
 * costs no round trip of its own.
 *
 *   node --import tsx --test test/engine/requirements.test.ts
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { definePlaybook } from '../../src/define/playbook.ts';
import { file } from '../../src/modules/file.ts';
import { missingPrograms, requirementsMessage, requirementsSection, TARGET_PROGRAMS } from '../../src/engine/requirements.ts';
import { testInventory } from '../support/inventory.ts';
import { runWithFakes } from '../support/run.ts';
import { hostPrograms } from '../support/host-programs.ts';

const dir = mkdtempSync(join(tmpdir(), 'capstan-req-'));
const lacking = hostPrograms({ without: ['sha256sum', 'timeout'] });
after(() => {
  rmSync(dir, { recursive: true, force: true });
  lacking.remove();
});

describe('target requirements', () => {
  it('a host without sha256sum and timeout fails in the first round trip, naming both and what to install; the other host runs', async () => {
    const pb = definePlaybook({ plays: [{ name: 'p', hosts: 'all', gatherFacts: false, steps: [file({ path: join(dir, 'd'), state: 'directory', mode: '0750' })] }] });
    const r = await runWithFakes(pb, testInventory({ all: ['bare', 'full'] }), { behaviour: { bare: { path: lacking.path } } });
    const [failure] = r.stepEvents('bare');
    assert.equal(failure?.result.status, 'failed');
    assert.match(failure?.result.msg ?? '', /^bare lacks sha256sum \(content hashes and upload checks\), timeout \(time limits of commands: timeout -k\)\./);
    assert.match(failure?.result.msg ?? '', /install GNU coreutils/);
    assert.equal(r.recap.hosts.bare?.failed, 1);
    assert.deepEqual(r.stepEvents('full').map((e) => e.result.status), ['changed']);
    assert.equal(r.fakes.get('bare')?.scripts.filter((s) => s.includes('command -v')).length, 1, 'checked once, in the first batch');
    assert.match(r.fakes.get('full')?.scripts[0] ?? '', /command -v "\$c"/, 'the check rides in the opening batch of every host');
    assert.deepEqual(r.recap.transport.full, { roundTrips: 3, connections: 1 }, 'open (facts + check), one change, clean up: no extra round trip');
  });

  it('the section lists what is missing, in the documented order', () => {
    assert.deepEqual(missingPrograms('missing:timeout\nmissing:sha256sum\n'), ['sha256sum', 'timeout']);
    assert.deepEqual(missingPrograms(''), []);
    assert.deepEqual(missingPrograms(undefined), []);
    for (const p of ['stat', 'sha256sum', 'base64', 'timeout', 'mktemp']) assert.ok(TARGET_PROGRAMS.some((t) => t.name === p), p);
    assert.match(requirementsSection().script, /^for c in stat sha256sum base64 timeout mktemp /);
    assert.match(requirementsMessage('h', ['base64']), /^h lacks base64 \(a command's stdin and file content on the wire: base64, base64 -d\)/);
  });
});

describe('the README states every requirement', () => {
  it('names each program the first batch checks', async () => {
    const { readFileSync } = await import('node:fs');
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('## What a target needs'), readme.indexOf('## Modules'));
    for (const p of TARGET_PROGRAMS) assert.match(section, new RegExp(`\`${p.name}\``), p.name);
    assert.doesNotMatch(readme, /only a POSIX\s+shell/);
  });
});
