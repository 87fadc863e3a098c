/**
 * Installing K3s through its installer, only when needed, and the downgrade guard.
 *
 *   k3sVersionGuard({ unit: 'k3s', version: 'v1.32.11+k3s3', allowDowngrade: false })
 *   k3sInstall({ unit: 'k3s', exec: 'server', version: 'v1.32.11+k3s3', airgap: true, binaryChanged: false }, { notify: 'restart k3s' })
 *
 * The installer runs when the unit or its env file is missing, the installed binary reports
 * another version, or the air-gap binary was just replaced. It always runs with
 * INSTALL_K3S_SKIP_START=true: starting and restarting is the role's decision.
 */
import { change, changes, defineModule, exec, fail, noop, sh, z } from 'capstan';
import { k3sInstallState, SYSTEMD_DIR } from '../facts.ts';
import { downgradeRefusal, K3S_VERSION_PATTERN } from '../version.ts';

export const INSTALLER_PATH = '/usr/local/bin/k3s-install.sh';

const unit = z.enum(['k3s', 'k3s-agent']);

/** What the guard saw before anything changed: the installed version and the hostname. */
export interface GuardData {
  installed: string | null;
  hostname: string;
}

export const k3sVersionGuard = defineModule({
  name: 'k3s.version-guard',
  args: z.object({ unit, version: z.string().regex(K3S_VERSION_PATTERN), allowDowngrade: z.boolean().default(false) }).strict(),
  describe: (a) => `K3s version guard (${a.version})`,
  facts: (a) => ({ st: k3sInstallState({ unit: a.unit }) }),
  plan: (a, { st }) => {
    const refusal = downgradeRefusal(st.version, a.version, a.allowDowngrade);
    return refusal ? fail(refusal) : noop(`installed ${st.version ?? 'nothing'}, desired ${a.version}`);
  },
  data: (_a, { st }): GuardData => ({ installed: st.version, hostname: st.hostname }),
});

const installArgs = z.object({
  unit,
  exec: z.enum(['server', 'agent']),
  version: z.string().regex(K3S_VERSION_PATTERN),
  airgap: z.boolean(),
  installScriptUrl: z.string().url().default('https://get.k3s.io/'),
  extraEnv: z.record(z.string(), z.string()).default({}),
  allowDowngrade: z.boolean().default(false),
  /** The binary at /usr/local/bin/k3s was replaced by this run (air-gap). */
  binaryChanged: z.boolean().default(false),
}).strict();

export type K3sInstallArgs = z.output<typeof installArgs>;

export function installEnv(a: K3sInstallArgs): Record<string, string> {
  return {
    ...a.extraEnv,
    INSTALL_K3S_VERSION: a.version,
    INSTALL_K3S_SKIP_START: 'true',
    INSTALL_K3S_EXEC: a.exec,
    INSTALL_K3S_SYSTEMD_DIR: SYSTEMD_DIR,
    ...(a.airgap ? { INSTALL_K3S_SKIP_DOWNLOAD: 'true' } : {}),
  };
}

function installScript(a: K3sInstallArgs) {
  if (a.airgap) return sh`sh ${INSTALLER_PATH}`;
  const tmp = `${INSTALLER_PATH}.capstan-tmp`;
  return sh`{ curl -sfL ${a.installScriptUrl} || wget -qO- ${a.installScriptUrl}; } > ${tmp} && chmod 0755 ${tmp} && mv -f ${tmp} ${INSTALLER_PATH} && sh ${INSTALLER_PATH}`;
}

export const k3sInstall = defineModule({
  name: 'k3s.install',
  args: installArgs,
  describe: (a) => `install K3s ${a.version} (${a.unit})`,
  facts: (a) => ({ st: k3sInstallState({ unit: a.unit }) }),
  plan: (a, { st }) => {
    const refusal = downgradeRefusal(st.version, a.version, a.allowDowngrade);
    if (refusal) return fail(refusal);
    const reasons = [
      !st.unit && `${a.unit}.service missing`,
      st.unit && !st.env && `${a.unit}.service.env missing`,
      st.version !== a.version && `installed ${st.version ?? 'nothing'}, desired ${a.version}`,
      a.binaryChanged && st.version === a.version && 'binary replaced',
    ].filter((r): r is string => Boolean(r));
    if (!reasons.length) return noop(`K3s ${a.version} is installed with its ${a.unit} unit`);
    return changes(change(`run the K3s installer (${reasons.join('; ')})`, exec(installScript(a), { env: installEnv(a), timeoutMs: 600_000 })));
  },
  affects: ['k3s'],
});
