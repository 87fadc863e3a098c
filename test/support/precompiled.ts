/**
 * Whether the precompiled `dist/` can be tested: the skip reason for a test of the command
 * line from `dist/`, or false when it is built and as new as `src/`.
 *
 *   describe('from dist/', { skip: distSkip() }, () => { ... });
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;

function newest(dir: string): number {
  return readdirSync(dir, { withFileTypes: true }).reduce((m, e) =>
    Math.max(m, e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs), 0);
}

export function distSkip(): string | false {
  if (process.env.CI) return false; // npm ci builds dist/: under CI a missing or stale build fails the specs
  const stamp = join(root, 'dist/built-from.json');
  if (!existsSync(stamp)) return 'dist/ is not built (npm install builds it; or npm run build)';
  const built = (JSON.parse(readFileSync(stamp, 'utf8')) as { sourcesMtimeMs: number }).sourcesMtimeMs;
  return newest(join(root, 'src')) > built ? 'dist/ is older than src/ (npm run build)' : false;
}
