import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dockerSkipReason } from '../../src/testing/index.ts';

const skip = await dockerSkipReason();
const root = new URL('../..', import.meta.url).pathname;

function capstan(cwd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(join(root, 'bin/capstan.js'), args, { cwd, env: { ...process.env, NO_COLOR: '1' } }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
  });
}

describe('capstan lab', { skip }, () => {
  it('up, inventory, a run on the lab, down', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'capstan-lab-cli-'));
    try {
      const up = await capstan(cwd, ['lab', 'up', '--nodes', '1']);
      assert.equal(up.code, 0, up.stderr);
      const inv = await capstan(cwd, ['lab', 'inventory']);
      assert.equal(inv.code, 0, inv.stderr);
      const path = inv.stdout.trim();
      assert.ok(path.endsWith('inventory.yml') && existsSync(path), `lab inventory printed ${JSON.stringify(path)}`);
      const run = await capstan(cwd, ['run', join(root, 'playbooks/lab-demo.ts'), '-i', path, '--check']);
      assert.equal(run.code, 0, run.stdout + run.stderr);
      const down = await capstan(cwd, ['lab', 'down']);
      assert.equal(down.code, 0, down.stderr);
      assert.notEqual((await capstan(cwd, ['lab', 'inventory'])).code, 0, 'no lab after down');
    } finally {
      await capstan(cwd, ['lab', 'down']);
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});
