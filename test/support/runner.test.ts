import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { onNodes, ordered, parseArgs, testFiles } from './runner.ts';

describe('the suite runner', () => {
  const files = testFiles();

  it('finds every test file once, this one among them', () => {
    assert.ok(files.includes('test/support/runner.test.ts'));
    assert.equal(new Set(files).size, files.length);
    assert.deepEqual([...ordered(files, 'all')].sort(), files);
  });

  it('starts the throwaway-node files first, then the others', () => {
    const all = ordered(files, 'all');
    const firstUnit = all.findIndex((f) => !onNodes(f));
    assert.ok(firstUnit > 0, 'there are throwaway-node files, and they lead');
    assert.ok(all.slice(firstUnit).every((f) => !onNodes(f)), 'no throwaway-node file after the first other one');
    assert.deepEqual(all.slice(0, firstUnit), ordered(files, 'nodes'));
    assert.deepEqual(all.slice(firstUnit), ordered(files, 'unit'));
  });

  it('counts a file as on throwaway nodes by a nodes/ directory on its path', () => {
    assert.equal(onNodes('test/nodes/registry.test.ts'), true);
    assert.equal(onNodes('test/connectors/nodes/ssh-nodes.test.ts'), true);
    assert.equal(onNodes('test/connectors/ssh-connect.test.ts'), false);
    assert.equal(onNodes('test/engine/nodeset.test.ts'), false);
  });

  it('takes a selection and a concurrency, and refuses anything else', () => {
    assert.deepEqual(parseArgs([]), { selection: 'all', concurrency: 2 });
    assert.deepEqual(parseArgs(['--nodes', '--concurrency', '1']), { selection: 'nodes', concurrency: 1 });
    assert.deepEqual(parseArgs(['--unit']), { selection: 'unit', concurrency: 2 });
    assert.throws(() => parseArgs(['--concurrency', '0']), /whole number/);
    assert.throws(() => parseArgs(['test/engine']), /unknown argument test\/engine/);
  });
});
