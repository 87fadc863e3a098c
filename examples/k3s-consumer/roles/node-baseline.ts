/**
 * This project's own role, composed with the K3s roles from npm: a login banner naming the
 * node's place in the cluster, and the journal kept within a size.
 *
 *   nodeBaseline.use({ cluster_name: 'edge-lab', journal_max_mb: 200 })
 */
import { copy, defineRole, file, z } from 'capstan';

export const nodeBaseline = defineRole({
  name: 'node-baseline',
  description: 'login banner and journal size limit for every cluster node',
  vars: z.object({
    cluster_name: z.string().regex(/^[a-z0-9-]+$/, 'lowercase letters, digits and dashes').describe('shown in the login banner'),
    journal_max_mb: z.number().int().min(16).max(4096).default(200).describe('SystemMaxUse of journald, MiB'),
  }),
  steps: (v, ctx) => [
    copy({ dest: '/etc/motd', content: `${ctx.host}: node of K3s cluster ${v.cluster_name}, managed by Capstan\n`, mode: '0644' }, { name: 'login banner' }),
    file({ path: '/etc/systemd/journald.conf.d', state: 'directory', mode: '0755' }, { name: 'journald drop-in directory' }),
    copy({ dest: '/etc/systemd/journald.conf.d/size.conf', content: `[Journal]\nSystemMaxUse=${v.journal_max_mb}M\n`, mode: '0644' }, { name: 'journal size limit' }),
  ],
});
