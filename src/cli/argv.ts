/**
 * Secrets given on the command line (`-e db_password=…`, `-e '{"api_token": "…"}'`,
 * `-e ansible_password=…`) are masked in the process title, so `ps` on the controller shows
 * `-e db_password=***` once Capstan has started. A file (`-e @secrets.yml`) keeps them out of
 * the process list from the start.
 *
 *   maskSecretArguments(process.argv.slice(2));
 *   // ps -eww: node …/capstan.js run site.ts -i hosts.yml -e db_password=***
 */
import { redact } from '../commands/secret.ts';
import { loadExtraVars } from './load.ts';

export function maskSecretArguments(args: readonly string[]): void {
  for (const arg of args) {
    if (arg.startsWith('@') || !(arg.includes('=') || arg.trim().startsWith('{'))) continue;
    try {
      loadExtraVars([arg]); // registers the credentials among them; any other word is left alone
    } catch {
      // not extra vars: the command line's own validation reports it
    }
  }
  const line = process.argv.join(' ');
  const masked = redact(line);
  if (masked !== line) process.title = masked;
}
