/**
 * The Docker labels on every container and network of the harness, so leftovers can be found.
 *
 *   docker ps -a --filter label=capstan.lab=3fa9c1     # one set
 *   docker ps -a --filter label=capstan.kind=lab       # nodes of `capstan lab up`
 */
export const LABEL_LAB = 'capstan.lab';
export const LABEL_NODE = 'capstan.node';
export const LABEL_WORKDIR = 'capstan.workdir';
/** `test` (a test's set) or `lab` (`capstan lab up`). */
export const LABEL_KIND = 'capstan.kind';
