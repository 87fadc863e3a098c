// Records every module the main thread of a process imports (resolved URLs, one a line, to
// the file named by CAPSTAN_MODULES_LOG), for specifications of what a command loads.
//
//   CAPSTAN_MODULES_LOG=/tmp/mods.txt node --import ./test/support/loaded-modules.mjs bin/capstan.js --version
import { register } from 'node:module';

const hook = `import { appendFileSync } from 'node:fs';
const LOG = ${JSON.stringify(process.env.CAPSTAN_MODULES_LOG ?? '')};
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  if (LOG) appendFileSync(LOG, r.url + '\\n');
  return r;
}`;
register(`data:text/javascript,${encodeURIComponent(hook)}`);
