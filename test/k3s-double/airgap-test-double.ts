/**
 * Builds an air-gap directory holding the K3s TEST DOUBLE (never real K3s): `k3s` (the
 * double, reporting `version`), `install.sh` (the installer double) and a small image archive,
 * laid out as the k3s roles expect a real air-gap directory to be.
 *
 *   const dir = await buildTestDoubleAirgap(join(workDir, 'airgap-v1'), 'v1.32.11+k3s3');
 *   k3sServer.use({ airgap_dir: dir, k3s_version: 'v1.32.11+k3s3' })
 */
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const HERE = new URL('.', import.meta.url).pathname;

export const TEST_DOUBLE_IMAGE_ARCHIVE = 'k3s-airgap-images-test-double.tar';

export async function buildTestDoubleAirgap(dir: string, version: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const double = (await readFile(join(HERE, 'k3s-test-double.py'), 'utf8')).replace('@@K3S_TEST_DOUBLE_VERSION@@', version);
  await writeFile(join(dir, 'k3s'), double);
  await chmod(join(dir, 'k3s'), 0o755);
  await writeFile(join(dir, 'install.sh'), await readFile(join(HERE, 'install-test-double.sh')));
  await chmod(join(dir, 'install.sh'), 0o755);
  await writeFile(join(dir, TEST_DOUBLE_IMAGE_ARCHIVE), `k3s test double: stands in for an image archive (${version})\n`);
  return dir;
}
