/**
 * kubectl for a login user on a server (k3s-ansible's `user_kubectl`): the admin kubeconfig
 * copied to `~USER/.kube/config` (0600, owned by the user, in a 0750 directory of theirs) and
 * `export KUBECONFIG=~/.kube/config` in their ~/.bashrc, so `kubectl get nodes` works for them
 * without sudo. K3s's installer links /usr/local/bin/kubectl to k3s.
 *
 *   userKubectlSteps('ops')   // [home of ops, ~ops/.kube, ~ops/.kube/config, KUBECONFIG in ~ops/.bashrc]
 *
 * The copy follows the admin kubeconfig: when K3s rewrites it (new CA, new address), the next
 * run copies it again.
 */
import { command, copy, deferred, file, knownAfterApply, lineinfile, Secret, type Step, type StepContext } from 'capstan';
import { ADMIN_KUBECONFIG } from './paths.ts';
import { k3sReadSecret } from './modules/read.ts';

/** The home directory field of a `getent passwd` line. */
export function homeOf(passwdLine: string): string | undefined {
  const home = passwdLine.trim().split(':')[5];
  return home?.startsWith('/') ? home : undefined;
}

export function userKubectlSteps(user: string): Step[] {
  const passwd = command({ argv: ['getent', 'passwd', user] }, { name: `home directory of ${user}`, checkMode: 'run', changedWhen: () => false });
  const home = (sub: string) => deferred((ctx: StepContext) => {
    const h = homeOf(ctx.result(passwd)?.stdout ?? '');
    return h ? `${h}${sub}` : knownAfterApply(`the home directory of ${user}`);
  }, `~${user}${sub}`);
  const admin = k3sReadSecret({ path: ADMIN_KUBECONFIG, what: 'admin kubeconfig' }, { name: `read the admin kubeconfig for ${user}` });
  const content = deferred((ctx: StepContext) => {
    const v = ctx.result(admin)?.data?.value;
    return v ? new Secret(v.reveal(), `kubeconfig of ${user}`) : knownAfterApply('the admin kubeconfig');
  }, `kubeconfig of ${user}`);
  return [
    passwd,
    admin,
    file({ path: home('/.kube'), state: 'directory', owner: user, mode: '0750' }, { name: `~${user}/.kube` }),
    copy({ dest: home('/.kube/config'), content, owner: user, mode: '0600' }, { name: `kubectl for ${user}: ~${user}/.kube/config`, diff: false }),
    lineinfile({ path: home('/.bashrc'), regexp: '^export KUBECONFIG=~/\\.kube/config', line: 'export KUBECONFIG=~/.kube/config', create: true, owner: user }, { name: `KUBECONFIG in ~${user}/.bashrc` }),
  ];
}
