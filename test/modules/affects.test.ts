import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { familiesWrittenBy } from '../../src/modules/affects.ts';

describe('the fact families a file write can change', () => {
  const table: [string, string[]][] = [
    ['/etc/systemd/system/app.service', ['systemd']],
    ['/lib/systemd/system/app.service', ['systemd']],
    ['/etc/sysctl.d/60-app.conf', ['sysctl']],
    ['/etc/modules-load.d/k3s.conf', ['kernel']],
    ['/etc/apt/sources.list.d/x.sources', ['apt']],
    ['/etc/passwd', ['user', 'group']],
    ['/etc/motd', []],
    ['/opt/systemd/notes', []],
  ];
  for (const [path, families] of table) it(`${path} → ${families.join(', ') || 'none'}`, () => assert.deepEqual(familiesWrittenBy(path), families));
});
