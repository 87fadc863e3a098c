/**
 * Role READMEs cannot drift from the roles' variable schemas: `capstan role docs` writes the
 * variables table (name, type, default, secret or not, description) from the zod schema,
 * `--check` fails on a README that says something else, and every role in roles/ is current.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Secret, z } from '../../src/index.ts';
import { ExitCode } from '../../src/events.ts';
import { roleDocsCommand } from '../../src/cli/role-docs.ts';
import { BEGIN_MARKER, END_MARKER, varsTable } from '../../src/cli/vars-table.ts';

const root = new URL('../..', import.meta.url).pathname;
const quiet = () => undefined;

describe('the variables table of a role, from its zod schema', () => {
  it('names each variable with the type a user writes, its default, whether it is secret, and its description', () => {
    const table = varsTable(z.object({
      port: z.number().int().min(1).default(6443).describe('API port'),
      mode: z.enum(['single', 'join']).default('single').describe('how the server starts'),
      token: z.union([z.instanceof(Secret), z.string().transform((s) => new Secret(s))]).optional().describe('cluster token'),
      names: z.array(z.string()).default([]).describe('extra names'),
      endpoint: z.string().describe('where clients connect'),
      extra: z.record(z.string(), z.string()).optional(),
    }));
    assert.deepEqual(table.split('\n'), [
      '| Variable | Type | Default | Secret | Description |',
      '|---|---|---|---|---|',
      '| `port` | integer | `6443` | no | API port |',
      '| `mode` | "single" \\| "join" | `"single"` | no | how the server starts |',
      '| `token` | Secret \\| string | – | yes | cluster token |',
      '| `names` | string[] | `[]` | no | extra names |',
      '| `endpoint` | string | required | no | where clients connect |',
      '| `extra` | Record<string, string> | – | no |  |',
    ]);
  });
});

describe('capstan role docs', () => {
  it('writes the table into a role package\'s README, and --check fails until it is written', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'capstan-role-docs-'));
    await mkdir(join(dir, 'src'));
    await writeFile(join(dir, 'src/index.ts'), [
      "import { defineRole, file, z } from 'capstan';",
      'export const motd = defineRole({',
      "  name: 'motd',",
      "  vars: z.object({ motd_text: z.string().default('managed').describe('the banner') }),",
      "  steps: (v) => [file({ path: '/etc/motd.d', state: 'directory' }, { name: v.motd_text })],",
      '});',
      '',
    ].join('\n'));
    await writeFile(join(dir, 'README.md'), `# motd\n\n## Variables\n\n${BEGIN_MARKER}\n| stale |\n${END_MARKER}\n\nMore prose.\n`);

    assert.equal(await roleDocsCommand({ dir, check: true }, quiet), ExitCode.invalidInput);
    assert.equal(await roleDocsCommand({ dir, check: false }, quiet), ExitCode.ok);
    const readme = readFileSync(join(dir, 'README.md'), 'utf8');
    assert.match(readme, /\| `motd_text` \| string \| `"managed"` \| no \| the banner \|/);
    assert.doesNotMatch(readme, /stale/);
    assert.match(readme, /More prose\.\n$/);
    assert.equal(await roleDocsCommand({ dir, check: true }, quiet), ExitCode.ok);
  });

  for (const role of readdirSync(join(root, 'roles'), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name)) {
    it(`roles/${role}/README.md is current with the role's schemas (else: capstan role docs roles/${role})`, async () => {
      assert.equal(await roleDocsCommand({ dir: join(root, 'roles', role), check: true }, quiet), ExitCode.ok);
    });
  }
});
