/**
 * Imports the user's TypeScript at run time: playbooks, the roles they use, TypeScript
 * inventories. From the sources, the TypeScript loader is already in place; from the
 * precompiled `dist/`, it is registered on first use, together with a resolution rule that
 * sends `capstan` imports to `dist/` too, so user code and the engine share one copy of
 * every module (one `Secret` class, one module registry).
 *
 *   const mod = await importUserModule('/home/ops/infra/playbooks/site.ts');
 */
import { register } from 'node:module';
import { pathToFileURL } from 'node:url';

const PRECOMPILED = !import.meta.url.endsWith('.ts');
let ready: Promise<void> | undefined;

/** Adds the `capstan-dist` export condition when resolving `capstan` and `capstan/...`. */
const DIST_CONDITION_HOOK = `export async function resolve(specifier, context, next) {
  if (specifier === 'capstan' || specifier.startsWith('capstan/')) {
    return next(specifier, { ...context, conditions: [...context.conditions, 'capstan-dist'] });
  }
  return next(specifier, context);
}`;

async function ensureLoader(): Promise<void> {
  if (!PRECOMPILED) return;
  const tsx = (await import('tsx/esm/api')) as { register: () => unknown };
  tsx.register();
  register(`data:text/javascript,${encodeURIComponent(DIST_CONDITION_HOOK)}`);
}

export async function importUserModule(path: string): Promise<unknown> {
  ready ??= ensureLoader();
  await ready;
  return import(pathToFileURL(path).href);
}
