/**
 * The Capstan API this role builds on, in one place. Inside this repository it comes from
 * the source tree; a consumer project imports the same names from the `capstan` package.
 *
 *   import { defineRole, copy, Secret, z } from './capstan.ts';
 */
export * from '../../../src/index.ts';
export { remotePath, fileMode } from '../../../src/modules/args.ts';
export { predictUnknown } from '../../../src/define/module.ts';
