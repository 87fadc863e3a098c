/**
 * Vault texts made by the real `ansible-vault` (Debian's ansible-core), so the reader is
 * proven against the tool that writes them, not against itself.
 *
 *   describe('...', { skip: requires(TOOLS.ansibleVault) }, () => { ... });
 *   const dir = await vaultTree({ 'group_vars/all/vault.yml': 'k: v\n' }, { encrypt: ['group_vars/all/vault.yml'] });
 *   encryptString(dir, 'token', 'value');   // `token: !vault |` and the encrypted text
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

function run(args: string[], cwd: string, input?: string): string {
  const r = spawnSync('ansible-vault', args, { cwd, encoding: 'utf8', input, env: { ...process.env, ANSIBLE_NOCOLOR: '1', ANSIBLE_LOCAL_TEMP: join(cwd, '.ansible-tmp'), HOME: cwd } });
  if (r.error || r.status !== 0) throw new Error(`ansible-vault ${args.join(' ')} failed: ${r.error?.message ?? r.stderr}`);
  return r.stdout;
}

/** A temporary directory holding `files`; those named in `encrypt` are encrypted in place with `password` (and `label`). */
export async function vaultTree(
  files: Record<string, string>,
  o: { password?: string; label?: string; encrypt?: string[] } = {},
): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'capstan-vault-'));
  await writeFile(join(dir, '.pw'), o.password ?? 'correct horse battery');
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  for (const path of o.encrypt ?? []) {
    const id = o.label ? ['--vault-id', `${o.label}@.pw`] : ['--vault-password-file', '.pw'];
    run(['encrypt', ...id, path], dir);
  }
  return dir;
}

/** `name: !vault |` followed by the encrypted text of `value`, as `ansible-vault encrypt_string` prints it. */
export function encryptString(dir: string, name: string, value: string, label?: string): string {
  const id = label ? ['--vault-id', `${label}@.pw`] : ['--vault-password-file', '.pw'];
  return `${run(['encrypt_string', ...id, '--stdin-name', name], dir, value).trimEnd()}\n`;
}
