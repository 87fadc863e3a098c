// Whether the precompiled `dist/` is as new as the sources under `src/` (files only:
// unpacked packages get new directories). An installed package ships `dist/` alone. Shared by bin/capstan.js and scripts/build.mjs.
//
//   import { newestMtime, precompiledIsCurrent } from './precompiled.js';
//   precompiledIsCurrent(new URL('..', import.meta.url));   // true after `npm run build`
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

export function precompiledIsCurrent(rootUrl) {
  try {
    const built = JSON.parse(readFileSync(new URL('dist/built-from.json', rootUrl), 'utf8'));
    const src = fileURLToPath(new URL('src', rootUrl));
    return !existsSync(src) || newestMtime(src) <= built.sourcesMtimeMs;
  } catch {
    return false;
  }
}
