/**
 * Air-gap artifacts from a controller directory onto a node, as K3s documents it: the
 * binary to /usr/local/bin/k3s, the installer to /usr/local/bin/k3s-install.sh, image
 * archives to <data dir>/agent/images/ (/var/lib/rancher/k3s/agent/images by default). Files
 * are compared by hash, never rewritten when equal.
 *
 *   const { steps, binary } = airgapSteps('/srv/k3s-airgap', 'restart k3s', k3sPaths(v.k3s_data_dir).images);
 *   k3sInstall({ ..., binaryChanged: deferred((ctx) => ctx.result(binary)?.changed === true) })
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { copy, file, loop, type Step } from 'capstan';
import { K3S_BIN } from './facts.ts';
import { INSTALLER_PATH } from './modules/install.ts';
import { k3sPaths } from './paths.ts';

export const IMAGES_DIR = k3sPaths().images;
const IMAGE_ARCHIVE = /\.tar(\.gz|\.zst)?$/;

/** Image archives in the air-gap directory, sorted. */
export function imageArchives(dir: string): string[] {
  return readdirSync(dir).filter((f) => IMAGE_ARCHIVE.test(f)).sort();
}

export function airgapSteps(dir: string, restartHandler: string, imagesDir: string = IMAGES_DIR): { steps: Step[]; binary: Step } {
  const binary = copy({ dest: K3S_BIN, src: join(dir, 'k3s'), mode: '0755' }, { name: 'air-gap: K3s binary', notify: restartHandler });
  const images = imageArchives(dir);
  const steps: Step[] = [
    copy({ dest: INSTALLER_PATH, src: join(dir, 'install.sh'), mode: '0755' }, { name: 'air-gap: K3s installer' }),
    binary,
    file({ path: imagesDir, state: 'directory', mode: '0755' }, { name: 'air-gap: image directory' }),
    ...(images.length
      ? [loop(images, (f) => copy({ dest: `${imagesDir}/${f}`, src: join(dir, f), mode: '0644' }), { name: 'air-gap: image archives', label: (f) => f })]
      : []),
  ];
  return { steps, binary };
}
