/**
 * The default job on throwaway lab nodes: prepare every node over SSH as the non-root lab
 * user with sudo: an application directory, a managed message of the day, a one-time
 * initialisation guarded by `creates`, and a handler.
 *
 *   capstan lab up --nodes 3
 *   capstan run playbooks/lab-demo.ts -i "$(capstan lab inventory)" --check --diff
 *   capstan run playbooks/lab-demo.ts -i "$(capstan lab inventory)"
 */
import { definePlaybook, file, copy, shell } from 'capstan';

export default definePlaybook({
  name: 'lab demo',
  plays: [{
    name: 'prepare nodes',
    hosts: 'all',
    become: true,
    steps: (v) => [
      file({ path: '/opt/demo', state: 'directory', mode: '0755' }, { name: 'application directory' }),
      copy({ dest: '/etc/motd', content: `This node (${String(v.inventory_hostname)}) is managed by Capstan.\n`, mode: '0644' }, { name: 'message of the day', notify: 'note motd' }),
      shell({ script: 'date -u +%FT%TZ > /opt/demo/.initialized', creates: '/opt/demo/.initialized' }, { name: 'one-time initialisation' }),
      file({ path: '/opt/demo/.initialized', state: 'file', mode: '0600' }, { name: 'initialisation marker is private' }),
    ],
    handlers: { 'note motd': shell({ script: 'logger -t capstan "motd updated"' }, { name: 'note motd' }) },
  }],
});
