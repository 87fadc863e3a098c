/**
 * The controller's kubeconfig re-pointed at the load balancer: the admin kubeconfig read on the
 * first server (a Secret), its server rewritten to https://<lb>:<port>, written 0600 on the
 * controller. Used by the stage-4 playbook once HAProxy answers.
 *
 *   steps: kubeconfigViaLb({ first: 'server1', server: 'https://10.10.10.100:6443', dest: '~/.kube/k3s.yaml', context: 'k3s' })
 */
import { homedir } from 'node:os';
import { dirname } from 'node:path';
import { ADMIN_KUBECONFIG, k3sReadSecret, rewriteKubeconfig } from '@capstan/k3s-server';
import { copy, deferred, file, knownAfterApply, Secret, type Step, type StepContext } from 'capstan';

export interface KubeconfigViaLb {
  first: string;
  server: string;
  dest: string;
  context: string;
}

export function kubeconfigViaLb(o: KubeconfigViaLb): Step[] {
  const local = o.dest === '~' || o.dest.startsWith('~/') ? `${homedir()}${o.dest.slice(1)}` : o.dest;
  const on = { when: (c: StepContext) => c.host === o.first };
  const read = k3sReadSecret({ path: ADMIN_KUBECONFIG, what: 'admin kubeconfig' }, { name: 'read the admin kubeconfig', ...on });
  const content = deferred((c: StepContext) => {
    const data = c.result(read)?.data;
    return data ? new Secret(rewriteKubeconfig(data.value.reveal(), { server: o.server, name: o.context }), 'kubeconfig') : knownAfterApply('the admin kubeconfig');
  }, 'kubeconfig');
  return [
    read,
    file({ path: dirname(local), state: 'directory' }, { name: 'controller: kubeconfig directory', delegateTo: 'localhost', become: false, ...on }),
    copy({ dest: local, content, mode: '0600' }, { name: `controller: kubeconfig via ${o.server}`, delegateTo: 'localhost', become: false, ...on }),
  ];
}
