import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (f === 'node_modules') return [];
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

describe('the K3s test double stays a test double', () => {
  it('no product code (the K3s roles\' code, their playbooks and inventory) refers to it', () => {
    const product = [...['roles/k3s-server', 'roles/k3s-agent', 'inventory/k3s'].flatMap((d) => files(join(root, d))),
      join(root, 'playbooks/stage1-single-node.ts'), join(root, 'playbooks/stage3-multi-node.ts')];
    const code = product.filter((f) => /\.(ts|json|ya?ml)$/.test(f));
    assert.ok(code.length > 10, code.join(', '));
    const offending = code.filter((f) => /k3s-double|test-double/.test(readFileSync(f, 'utf8')));
    assert.deepEqual(offending, []);
  });

  it('it is named as a test double in its file names and in its output', () => {
    const names = readdirSync(join(root, 'test/k3s-double')).filter((f) => !f.endsWith('.ts'));
    assert.ok(names.length > 0 && names.every((f) => f.includes('test-double')), names.join(', '));
    const double = readFileSync(join(root, 'test/k3s-double/k3s-test-double.py'), 'utf8');
    assert.match(double, /k3s version %s \(test-double\)/);
    assert.match(double, /K3s TEST DOUBLE/);
  });
});
