/**
 * Imports the user's TypeScript at run time: playbooks, the roles they use, TypeScript
 * inventories. From the precompiled `dist/`, the TypeScript loader is registered on first
 * use (from the sources it is already in place). Either way a resolution rule pins
 * `capstan` and `capstan/testing` to the copy that is running, so user code, the roles it
 * installed and the engine share one copy of every module (one `Secret` class, one module
 * registry), whichever `node_modules` or workspace link they would otherwise reach.
 *
 * The user's `.ts` files are ES modules wherever they are: a playbook in a directory without
 * a `package.json` (which Node would read as CommonJS) loads like one in a project with
 * `"type": "module"`. Only files under `node_modules` keep the format their package gives.
 *
 * The user's code is compiled once and kept in the compile cache (compile-cache.ts): a run
 * whose files are as the cache has them imports the compiled module and starts no
 * TypeScript loader at all; the resolution rule is registered only when that module
 * imports packages (which may import `capstan` themselves). When the code cannot be
 * compiled, the sources are loaded as they are, so their errors read as Node reports them.
 *
 *   const mod = await importUserModule('/home/ops/infra/playbooks/site.ts');
 */
import { register } from 'node:module';
import { pathToFileURL } from 'node:url';
import { compiled } from './compile-cache.ts';

const PRECOMPILED = !import.meta.url.endsWith('.ts');

/** The running copy's entry points, by the specifier user code imports them with. */
function runningCopy(): Record<string, string> {
  const entry = (path: string) => new URL(path, import.meta.url).href;
  return PRECOMPILED
    ? { capstan: entry('./index.js'), 'capstan/testing': entry('./testing.js') }
    : { capstan: entry('./index.ts'), 'capstan/testing': entry('./testing/index.ts') };
}

/** Resolution rules for user code: `capstan` pinned to the running copy, `.ts` files read as ES modules. */
function pinHook(pinned: Record<string, string>): string {
  return `const PINNED = ${JSON.stringify(pinned)};
export async function resolve(specifier, context, next) {
  const url = PINNED[specifier];
  const r = await next(url ?? specifier, context);
  if (r.url.startsWith('file:') && /\\.tsx?$/.test(r.url) && !r.url.includes('/node_modules/') && r.format !== 'module') return { ...r, format: 'module' };
  return r;
}`;
}

let pinned: Promise<void> | undefined;
let tsLoader: Promise<void> | undefined;

/** The resolution rule pinning `capstan` to the running copy, registered once. */
function pinCapstan(): Promise<void> {
  pinned ??= Promise.resolve(register(`data:text/javascript,${encodeURIComponent(pinHook(runningCopy()))}`));
  return pinned;
}

/** The TypeScript loader (from the sources it is already in place), then the pin: for loading sources as they are. */
function loadTypeScript(): Promise<void> {
  tsLoader ??= (async () => {
    if (PRECOMPILED) ((await import('tsx/esm/api')) as { register: () => unknown }).register();
    await pinCapstan();
  })();
  return tsLoader;
}

export async function importUserModule(path: string): Promise<unknown> {
  const code = await compiled(path, runningCopy());
  if (code) {
    if (code.hasPackages) await pinCapstan();
    // Stack traces name the user's files and lines (steps are known by where they were built).
    // Capstan itself is loaded first, so that only the user's code has its source map read.
    await import(runningCopy().capstan as string);
    process.setSourceMapsEnabled(true);
    try {
      return await import(pathToFileURL(code.bundle).href);
    } catch (e) {
      // a run compiling an edited copy at the same moment replaced this bundle: load the sources
      const err = e as NodeJS.ErrnoException;
      if (err?.code !== 'ERR_MODULE_NOT_FOUND' || !String(err.message).includes(code.bundle)) throw e;
    }
  }
  await loadTypeScript();
  return import(pathToFileURL(path).href);
}

/**
 * When user code failed to load because `capstan` itself cannot be found from it, what to do
 * about it, in one line; undefined for any other failure.
 */
export function capstanNotFound(e: unknown, file: string): string | undefined {
  const err = e as NodeJS.ErrnoException;
  if (err?.code !== 'ERR_MODULE_NOT_FOUND' || !/Cannot find package 'capstan(\/[^']*)?'/.test(String(err.message))) return undefined;
  return `${file} imports capstan, which is not installed in its project: run \`npm i -D capstan\` in its directory (or a parent with a package.json)`;
}
