/**
 * What `capstan init` and `capstan role new` write: the files of a new project and of a new
 * role package, as path -> content. Pure: the commands (scaffold.ts) write them.
 *
 *   projectFiles({ name: 'infra', capstanVersion: '0.1.0' })['site.ts']
 *   roleFiles({ packageName: '@acme/motd', exportName: 'motd', roleName: 'motd', capstanVersion: '0.1.0' })['src/index.ts']
 */
import { BEGIN_MARKER, END_MARKER } from './vars-table.ts';

export interface ProjectSpec {
  name: string;
  capstanVersion: string;
}

export interface RoleSpec {
  packageName: string;
  exportName: string;
  roleName: string;
  capstanVersion: string;
}

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
const caret = (version: string) => `^${version}`;

const STRICT_OPTIONS = {
  target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext',
  strict: true, exactOptionalPropertyTypes: true, noUncheckedIndexedAccess: true, skipLibCheck: false,
  isolatedModules: true, verbatimModuleSyntax: true, types: ['node'],
};

export function projectFiles(p: ProjectSpec): Record<string, string> {
  return {
    'package.json': json({
      name: p.name, version: '0.1.0', private: true, type: 'module',
      scripts: { typecheck: 'tsc -p .', check: 'capstan run site.ts -i inventory/hosts.yml --check --diff', apply: 'capstan run site.ts -i inventory/hosts.yml' },
      dependencies: { capstan: caret(p.capstanVersion) },
      devDependencies: { '@types/node': '^20.19.0', typescript: '~5.9' },
    }),
    'tsconfig.json': json({ compilerOptions: { ...STRICT_OPTIONS, allowImportingTsExtensions: true, noEmit: true }, include: ['*.ts', 'roles'] }),
    'site.ts': `/**
 * This project's playbook: a login banner on every host.
 *
 *   npx capstan run site.ts -i inventory/hosts.yml --check --diff
 */
import { copy, definePlaybook } from 'capstan';

export default definePlaybook({
  name: '${p.name}',
  plays: [
    {
      name: 'login banner', hosts: 'all', become: true,
      steps: [copy({ dest: '/etc/motd', content: 'managed by Capstan\\n', mode: '0644' }, { name: 'login banner' })],
    },
  ],
});
`,
    'inventory/hosts.yml': `# The hosts this project manages (Ansible's YAML inventory format).
all:
  hosts:
    web1:
      ansible_host: 192.0.2.10
      ansible_user: ops
`,
    'README.md': `# ${p.name}

\`\`\`sh
npm install
npx capstan run site.ts -i inventory/hosts.yml --check --diff
\`\`\`

Put your hosts in \`inventory/hosts.yml\`; \`npm run typecheck\` checks the playbook and the
variables of every role it uses; \`npm run apply\` changes the hosts. Roles come from npm
(\`npm install @capstan/k3s-server\`) or from \`npx capstan role new NAME\`.
`,
    '.gitignore': 'node_modules/\n',
  };
}

export function roleFiles(r: RoleSpec): Record<string, string> {
  return {
    'package.json': json({
      name: r.packageName, version: '0.1.0', description: `Capstan role: ${r.roleName}`, type: 'module',
      exports: { '.': { types: './dist/index.d.ts', default: './dist/index.js' } },
      files: ['dist', 'README.md'],
      scripts: {
        prepack: 'tsc -p tsconfig.build.json', typecheck: 'tsc -p .', docs: 'capstan role docs .',
        test: 'tsc -p . && capstan role docs . --check && node --import tsx --test test/*.test.ts',
      },
      dependencies: { zod: '^4.0.0' },
      peerDependencies: { capstan: caret(r.capstanVersion) },
      devDependencies: { '@types/dockerode': '^4.0.2', '@types/node': '^20.19.0', capstan: caret(r.capstanVersion), dockerode: '^5.0.1', tsx: '^4.20.0', typescript: '~5.9' },
    }),
    'tsconfig.json': json({ compilerOptions: { ...STRICT_OPTIONS, allowImportingTsExtensions: true, noEmit: true }, include: ['src', 'test'] }),
    'tsconfig.build.json': json({
      compilerOptions: { ...STRICT_OPTIONS, rewriteRelativeImportExtensions: true, declaration: true, sourceMap: true, inlineSources: true, rootDir: 'src', outDir: 'dist' },
      include: ['src'],
    }),
    'src/index.ts': `/**
 * \`${r.packageName}\`: a login banner, kept in place.
 *
 *   import { ${r.exportName} } from '${r.packageName}';
 *   roles: [${r.exportName}.use({ banner: 'web tier' })]
 */
import { copy, defineRole, file, z } from 'capstan';

export const ${r.exportName} = defineRole({
  name: '${r.roleName}',
  description: 'a login banner',
  vars: z.object({
    banner: z.string().min(1).describe('text shown at login'),
    path: z.string().startsWith('/').default('/etc/motd').describe('file the banner is written to'),
    stamp_dir: z.string().startsWith('/').default('/var/lib/${r.roleName}').describe('where the handler records banner changes'),
  }),
  steps: (v) => [
    copy({ dest: v.path, content: \`\${v.banner}\\n\`, mode: '0644' }, { name: 'banner', notify: 'record banner change' }),
  ],
  handlers: (v) => ({
    'record banner change': file({ path: v.stamp_dir, state: 'directory', mode: '0755' }, { name: 'record banner change' }),
  }),
});
`,
    'test/role.test.ts': `/**
 * The role on a throwaway node (Docker): check changes nothing, apply converges, a second
 * apply and a check after it report zero changes, and the banner is there.
 *
 *   npm test
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { definePlaybook } from 'capstan';
import { dockerSkipReason, runScenario, startNodes } from 'capstan/testing';
import { ${r.exportName} } from '../src/index.ts';

const skip = await dockerSkipReason();

test('${r.roleName} converges, is idempotent, and a check after apply reports nothing', { skip }, async () => {
  const nodes = await startNodes({ groups: { target: 1 } });
  try {
    const playbook = definePlaybook({
      plays: [{ name: '${r.roleName}', hosts: 'target', become: true, roles: [${r.exportName}.use({ banner: 'hello from ${r.roleName}' })] }],
    });
    const report = await runScenario({
      playbook, nodes,
      verify: async () => assert.equal((await nodes.exec('target1', ['cat', '/etc/motd'])).stdout, 'hello from ${r.roleName}\\n'),
    });
    assert.ok((report.apply.recap.hosts['target1']?.changed ?? 0) > 0, 'the first apply changed the node');
    assert.equal(report.applyAgain.recap.hosts['target1']?.changed, 0, 'idempotent');
    assert.equal(report.checkAgain.recap.hosts['target1']?.changed, 0, 'check after apply: nothing to do');
  } finally {
    await nodes.destroy();
  }
});
`,
    'README.md': `# ${r.packageName}

A Capstan role: a login banner.

\`\`\`ts
import { ${r.exportName} } from '${r.packageName}';
roles: [${r.exportName}.use({ banner: 'web tier' })]
\`\`\`

## Variables

${BEGIN_MARKER}
${END_MARKER}

## Develop

\`\`\`sh
npm install
npm test          # types, this README's table, then the role on a throwaway node (Docker)
npm run docs      # rewrite the table above from the zod schema
npm publish       # compiles to dist/ first
\`\`\`
`,
    '.gitignore': 'node_modules/\ndist/\n',
  };
}
