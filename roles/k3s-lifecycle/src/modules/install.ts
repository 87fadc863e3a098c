/**
 * The new K3s binary through K3s's installer (online upgrades), as K3s documents a manual
 * upgrade: the installer with INSTALL_K3S_VERSION. The installer rewrites the systemd unit and
 * its env file from the variables it is given, so both are kept aside and put back (an
 * install made with other arguments keeps them); it never starts or enables the service: the
 * restart is the next step's.
 *
 *   k3sUpgradeInstall({ unit: 'k3s', exec: 'server', version: 'v1.32.12+k3s1', from: 'v1.32.11+k3s3' })
 */
import { installEnv, INSTALLER_PATH, SYSTEMD_DIR } from '@capstan/k3s-server';
import { change, changes, defineModule, exec, noop, sh, z } from 'capstan';

const args = z.object({
  unit: z.enum(['k3s', 'k3s-agent']),
  exec: z.enum(['server', 'agent']),
  version: z.string(),
  from: z.string().nullable(),
  installScriptUrl: z.string().url().default('https://get.k3s.io/'),
  extraEnv: z.record(z.string(), z.string()).default({}),
}).strict();

type Args = z.output<typeof args>;

export function upgradeInstallScript(a: Args) {
  const unit = `${SYSTEMD_DIR}/${a.unit}.service`;
  const tmp = `${INSTALLER_PATH}.capstan-tmp`;
  const keep = sh`u=${unit}; e=${`${unit}.env`}; cp -p "$u" "$u.capstan-upgrade" && { [ ! -f "$e" ] || cp -p "$e" "$e.capstan-upgrade"; } && `;
  const install = sh`{ { curl -sfL ${a.installScriptUrl} || wget -qO- ${a.installScriptUrl}; } > ${tmp} && chmod 0755 ${tmp} && mv -f ${tmp} ${INSTALLER_PATH} && sh ${INSTALLER_PATH}; }; rc=$?; `;
  return sh`${keep}${install}mv -f "$u.capstan-upgrade" "$u"; if [ -f "$e.capstan-upgrade" ]; then mv -f "$e.capstan-upgrade" "$e"; fi; systemctl daemon-reload; exit $rc`;
}

export const k3sUpgradeInstall = defineModule({
  name: 'k3s.upgrade-install',
  args,
  describe: (a) => `K3s ${a.version} through the installer (${a.unit})`,
  plan: (a) => {
    if (a.from === a.version) return noop(`the binary is already ${a.version}`);
    const env = { ...installEnv({ ...a, airgap: false, allowDowngrade: false, binaryChanged: false }), INSTALL_K3S_SKIP_ENABLE: 'true' };
    return changes(change(`run the K3s installer: ${a.from ?? 'nothing'} → ${a.version} (${a.unit}.service and its env file kept as they are)`, exec(upgradeInstallScript(a), { env, timeoutMs: 600_000 })));
  },
  affects: ['k3s'],
});
