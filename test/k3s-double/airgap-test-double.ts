/**
 * Builds an air-gap directory holding the K3s TEST DOUBLE (never real K3s): `k3s` (the
 * double, reporting `version`), `install.sh` (the installer double) and a small image archive,
 * laid out as the k3s roles expect a real air-gap directory to be.
 *
 *   const dir = await buildTestDoubleAirgap(join(workDir, 'airgap-v1'), 'v1.32.11+k3s3');
 *   k3sServer.use({ airgap_dir: dir, k3s_version: 'v1.32.11+k3s3' })
 *   await buildTestDoubleAirgap(dir, version, { readyDelayS: 25, helmJobS: 8 })   // a slower double
 *
 * The double knows the pinned release's config keys and their types (K3S_CONFIG_KEYS), and how
 * long it takes: `readyDelayS` until /readyz answers ok and a node turns Ready after a (re)start,
 * `helmJobS` for a HelmChart's install Job. Unset, they come from K3S_TEST_DOUBLE_READY_DELAY_S and
 * K3S_TEST_DOUBLE_HELM_JOB_S, else 1 s and 2 s.
 */
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { K3S_CONFIG_KEYS } from '@capstan/k3s-server';

const HERE = new URL('.', import.meta.url).pathname;

export const TEST_DOUBLE_IMAGE_ARCHIVE = 'k3s-airgap-images-test-double.tar';

export interface TestDoubleTiming {
  /** Seconds from a (re)start until /readyz is ok and the node is Ready. */
  readyDelayS?: number;
  /** Seconds a HelmChart's install Job runs before it succeeds or fails. */
  helmJobS?: number;
}

function seconds(given: number | undefined, env: string, dflt: number): string {
  const v = given ?? (process.env[env] ? Number(process.env[env]) : dflt);
  if (!Number.isFinite(v) || v < 0) throw new Error(`${env}: a number of seconds >= 0, got ${process.env[env]}`);
  return String(v);
}

export async function buildTestDoubleAirgap(dir: string, version: string, timing: TestDoubleTiming = {}): Promise<string> {
  await mkdir(dir, { recursive: true });
  const double = (await readFile(join(HERE, 'k3s-test-double.py'), 'utf8'))
    .replace('@@K3S_TEST_DOUBLE_VERSION@@', version)
    .replace('@@K3S_CONFIG_KEYS@@', JSON.stringify(K3S_CONFIG_KEYS))
    .replace('@@K3S_TEST_DOUBLE_READY_DELAY_S@@', seconds(timing.readyDelayS, 'K3S_TEST_DOUBLE_READY_DELAY_S', 1))
    .replace('@@K3S_TEST_DOUBLE_HELM_JOB_S@@', seconds(timing.helmJobS, 'K3S_TEST_DOUBLE_HELM_JOB_S', 2));
  await writeFile(join(dir, 'k3s'), double);
  await chmod(join(dir, 'k3s'), 0o755);
  await writeFile(join(dir, 'install.sh'), await readFile(join(HERE, 'install-test-double.sh')));
  await chmod(join(dir, 'install.sh'), 0o755);
  await writeFile(join(dir, TEST_DOUBLE_IMAGE_ARCHIVE), `k3s test double: stands in for an image archive (${version})\n`);
  return dir;
}
