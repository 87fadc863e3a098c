#!/usr/bin/env node
// Capstan's command line. Playbooks, roles and inventories are TypeScript: tsx loads them
// (and Capstan's own sources) without a separate build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
