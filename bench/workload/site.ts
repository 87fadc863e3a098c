/**
 * The reference node-preparation workload, in Capstan: the same end state as
 * `shared/bench/ansible/site.yml` (packages, a system user and group, directories, copied
 * files, two templates (one validated with `haproxy -c`), lineinfile edits and a sysctl
 * setting, a systemd unit with daemon-reload and handlers, guarded commands, a stat and a
 * conditional).
 *
 *   capstan run bench/workload/site.ts -i inventory.yml --forks 20
 */
import {
  apt, command, copy, definePlaybook, deferred, file, group, lineinfile, loop, roleFile, shell, stat, sysctl, systemd, template, user,
} from 'capstan';

const here = (p: string) => roleFile(import.meta.url, p);

const vars = {
  app_name: 'benchapp',
  app_user: 'benchapp',
  app_port: 8080,
  app_workers_per_cpu: 2,
  app_features: { metrics: true, tracing: false, cache: true },
  haproxy_port: 80,
  haproxy_maxconn: 2048,
  haproxy_backends: [
    { name: 'app1', addr: '127.0.0.1', port: 8080 },
    { name: 'app2', addr: '127.0.0.1', port: 8081 },
  ],
  sysctl_conf: '/etc/sysctl.d/60-bench.conf',
  // The reference renders Ansible's default `ansible_managed` text; the same words keep the end states identical.
  managed: 'Ansible managed',
};

const unitFile = copy({ dest: '/etc/systemd/system/benchapp.service', src: here('files/benchapp.service'), mode: '0644' }, { name: '13 systemd unit file', notify: 'restart benchapp' });
const secretStat = stat({ path: '/etc/benchapp/secret', checksum: false }, { name: '19 stat secret' });

export default definePlaybook({
  name: 'bench workload',
  plays: [{
    name: 'Prepare nodes',
    hosts: 'nodes',
    vars,
    steps: [
      apt({ name: ['curl', 'haproxy'], state: 'present', updateCache: true, cacheValidTime: 3600 }, { name: '01 packages present' }),
      group({ name: vars.app_user, system: true }, { name: '02 group' }),
      user({ name: vars.app_user, group: vars.app_user, system: true, shell: '/usr/sbin/nologin', home: '/opt/benchapp', createHome: false }, { name: '03 user' }),
      loop([
        { path: '/opt/benchapp/bin', owner: 'root', mode: '0755' },
        { path: '/etc/benchapp', owner: 'root', mode: '0750' },
        { path: '/var/lib/benchapp', owner: vars.app_user, mode: '0750' },
      ], (d) => file({ path: d.path, state: 'directory', owner: d.owner, group: vars.app_user, mode: d.mode }), { name: '04 directories', label: (d) => d.path }),
      copy({ dest: '/opt/benchapp/bin/benchapp.sh', src: here('files/benchapp.sh'), mode: '0755' }, { name: '05 copy app script', notify: 'restart benchapp' }),
      copy({ dest: '/etc/motd', src: here('files/motd'), mode: '0644' }, { name: '06 copy motd' }),
      copy({ dest: '/etc/benchapp/logging.conf', src: here('files/logging.conf'), group: vars.app_user, mode: '0640' }, { name: '07 copy logging config' }),
      template({
        src: here('templates/app.conf.ejs'), dest: '/etc/benchapp/app.conf', group: vars.app_user, mode: '0640',
        vars: deferred((ctx) => ({
          ...vars,
          workers: (ctx.facts?.cpus ?? 1) * vars.app_workers_per_cpu,
          node: ctx.host,
          addr: ctx.facts?.defaultIpv4 ?? '127.0.0.1',
        })),
      }, { name: '08 render app config', notify: 'restart benchapp' }),
      template({ src: here('templates/haproxy.cfg.ejs'), dest: '/etc/haproxy/haproxy.cfg', mode: '0644', validate: 'haproxy -c -f %s', vars }, { name: '09 render haproxy config (validated)', notify: 'reload haproxy' }),
      lineinfile({ path: vars.sysctl_conf, regexp: '^net\\.core\\.somaxconn', line: 'net.core.somaxconn = 1024', create: true, mode: '0644' }, { name: '10 sysctl conf - somaxconn', notify: 'apply sysctl conf' }),
      lineinfile({ path: vars.sysctl_conf, regexp: '^net\\.ipv4\\.ip_local_port_range', line: 'net.ipv4.ip_local_port_range = 10240 65000' }, { name: '11 sysctl conf - local port range', notify: 'apply sysctl conf' }),
      sysctl({ name: 'net.ipv4.tcp_fin_timeout', value: '30', sysctlFile: '/etc/sysctl.d/61-bench-tcp.conf', reload: true }, { name: '12 sysctl setting' }),
      unitFile,
      systemd({ daemonReload: true }, { name: '14 daemon-reload', when: (ctx) => ctx.result(unitFile)?.changed === true }),
      systemd({ name: 'benchapp', enabled: true, state: 'started' }, { name: '15 benchapp enabled and started' }),
      systemd({ name: 'haproxy', enabled: true, state: 'started' }, { name: '16 haproxy enabled and started' }),
      command({ argv: ['/opt/benchapp/bin/benchapp.sh', '--init'], creates: '/var/lib/benchapp/.initialized' }, { name: '17 one-time app init (creates guard)' }),
      shell({ script: 'umask 077 && head -c 32 /dev/urandom | base64 > /etc/benchapp/secret', creates: '/etc/benchapp/secret' }, { name: '18 generate secret (creates guard)' }),
      secretStat,
      file({ path: '/etc/benchapp/secret', owner: vars.app_user, group: vars.app_user, mode: '0600' }, {
        name: '20 secret owned by app (conditional)',
        when: (ctx) => {
          const st = ctx.result(secretStat)?.data;
          return st?.exists === true && st.owner !== vars.app_user;
        },
      }),
    ],
    handlers: {
      'apply sysctl conf': command({ argv: ['sysctl', '-p', vars.sysctl_conf] }, { name: 'apply sysctl conf' }),
      'reload haproxy': systemd({ name: 'haproxy', state: 'reloaded' }, { name: 'reload haproxy' }),
      'restart benchapp': systemd({ name: 'benchapp', state: 'restarted' }, { name: 'restart benchapp' }),
    },
  }],
});
