/**
 * `hostname`: the host's name, both the static one (/etc/hostname) and the live one.
 *
 *   hostname({ name: 'web1' })
 *   hostname({ name: 'db1.example.internal' })
 *
 * With systemd running, `hostnamectl set-hostname` sets both. Otherwise /etc/hostname is
 * written atomically and `hostname` sets the live name. In a container /etc/hostname is
 * usually a bind mount owned by the runtime and cannot be replaced: the step fails (in check
 * mode too) and says so; set the name with the runtime instead (`docker run --hostname`).
 * A refused live change (no CAP_SYS_ADMIN) fails with the command's own message.
 */
import { z } from 'zod';
import { defineModule, predict } from '../define/module.ts';
import { change, changes, exec, fail, noop, put, type Plan } from '../define/plan.ts';
import { sh } from '../commands/quote.ts';
import { hostnameState, type HostnameState } from '../facts/hostname.ts';

const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';

/** An RFC 1123 host name of at most 64 characters (Linux's limit). */
export const hostName = z
  .string()
  .max(64, 'host name must be at most 64 characters')
  .regex(new RegExp(`^${LABEL}(?:\\.${LABEL})*$`), 'host name must be letters, digits and inner hyphens, in dot-separated labels');

export const hostnameArgs = z.object({ name: hostName }).strict();
export type HostnameArgs = z.output<typeof hostnameArgs>;

export const hostname = defineModule({
  name: 'hostname',
  args: hostnameArgs,
  describe: (a) => `hostname ${a.name}`,
  facts: () => ({ st: hostnameState() }),
  plan: (a, { st }) => planHostname(a, st),
  predicts: (a, { st }) => [predict(hostnameState(), { ...st, static: a.name, live: a.name })],
  affects: ['host'],
});

export function planHostname(a: HostnameArgs, st: HostnameState): Plan {
  const staticDiffers = st.static !== a.name;
  const liveDiffers = st.live !== a.name;
  if (!staticDiffers && !liveDiffers) return noop(`the host is already called ${a.name}`);
  if (staticDiffers && st.bindMounted) {
    return fail(`/etc/hostname is a bind mount (a container runtime owns it) and cannot be replaced from inside: set the name with the runtime (docker run --hostname ${a.name})`);
  }
  if (st.hostnamectl) {
    return changes(change(`host name ${describe(st)} -> ${a.name}`, exec(sh`hostnamectl set-hostname -- ${a.name}`)));
  }
  return changes(
    staticDiffers && change(`/etc/hostname ${st.static || '(empty)'} -> ${a.name}`, put({ dest: '/etc/hostname', content: `${a.name}\n`, mode: '0644' })),
    liveDiffers && change(`live host name ${st.live} -> ${a.name}`, exec(sh`hostname -- ${a.name}`)),
  );
}

function describe(st: HostnameState): string {
  return st.static === st.live ? st.live : `${st.static || '(empty)'} (live ${st.live})`;
}
