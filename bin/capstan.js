#!/usr/bin/env node
// Capstan's command line. It runs the precompiled `dist/` (built by `npm install`, or
// `npm run build`) while that is as new as `src/`, else the TypeScript sources directly;
// CAPSTAN_FROM_SOURCE=1 always takes the sources. Playbooks, roles and inventories are
// TypeScript either way, loaded when the command needs them.
import { precompiledIsCurrent } from './precompiled.js';

let main;
if (process.env.CAPSTAN_FROM_SOURCE !== '1' && precompiledIsCurrent(new URL('..', import.meta.url))) {
  ({ main } = await import('../dist/cli.js'));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/cli/main.ts'));
}
process.exitCode = await main(process.argv.slice(2));
