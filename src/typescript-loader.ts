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
 *   const mod = await importUserModule('/home/ops/infra/playbooks/site.ts');
 */
import { register } from 'node:module';
import { pathToFileURL } from 'node:url';

const PRECOMPILED = !import.meta.url.endsWith('.ts');
let ready: Promise<void> | undefined;

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

async function ensureLoader(): Promise<void> {
  if (PRECOMPILED) {
    const tsx = (await import('tsx/esm/api')) as { register: () => unknown };
    tsx.register();
  }
  register(`data:text/javascript,${encodeURIComponent(pinHook(runningCopy()))}`);
}

export async function importUserModule(path: string): Promise<unknown> {
  ready ??= ensureLoader();
  await ready;
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
