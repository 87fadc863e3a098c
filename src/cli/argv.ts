/**
 * Secrets given on the command line (`-e db_password=…`, `-e '{"api_token": "…"}'`,
 * `-e ansible_password=…`) are masked in the process title, so `ps` on the controller shows
 * `-e db_password=***` once Capstan has started. A file (`-e @secrets.yml`) keeps them out of
 * the process list from the start.
 *
 * The extra-vars reader is loaded only when some argument can be extra vars.
 *
 *   await maskSecretArguments(process.argv.slice(2));
 *   // ps -eww: node …/capstan.js run site.ts -i hosts.yml -e db_password=***
 */
import { redact } from '../commands/secret.ts';

export async function maskSecretArguments(args: readonly string[]): Promise<void> {
  const candidates = args.filter((arg) => !arg.startsWith('@') && (arg.includes('=') || arg.trim().startsWith('{')));
  if (candidates.length > 0) {
    const { loadExtraVars } = await import('./load.ts');
    for (const arg of candidates) {
      try {
        loadExtraVars([arg]); // registers the credentials among them; any other word is left alone
      } catch {
        // not extra vars: the command line's own validation reports it
      }
    }
  }
  const line = process.argv.join(' ');
  const masked = redact(line);
  if (masked !== line) process.title = masked;
}
