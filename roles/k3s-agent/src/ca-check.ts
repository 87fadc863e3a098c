/**
 * Before an agent joins: fetch the CA bundle the server hands joining nodes
 * (`https://<server>:6443/cacerts`, from the agent itself) and compare its SHA-256 with the
 * hash inside a full K10 token. A mismatch fails early with a clear error instead of an
 * agent that loops on "token CA hash does not match".
 *
 *   k3sCaCheck({ serverUrl: 'https://10.0.0.5:6443', token })
 */
import { caHashCheck } from '@capstan/k3s-server';
import { defineFact, defineModule, fail, noop, Secret, sh, z } from 'capstan';

export type Cacerts = { pem: string } | { error: string };

const FETCH_PY = 'import ssl,sys,urllib.request as r; sys.stdout.buffer.write(r.urlopen(sys.argv[1], context=ssl._create_unverified_context(), timeout=10).read())';

/** The CA bundle served at <url>/cacerts, fetched with curl, wget or python3, whichever the host has. */
export const k3sCacerts = defineFact<string, Cacerts>({
  name: 'k3sremote.cacerts',
  command: (url) => sh`u=${`${url.replace(/\/$/, '')}/cacerts`}; py=${FETCH_PY}; t=$(mktemp); ` + [
    'if command -v curl >/dev/null 2>&1; then f() { curl -fsSk --max-time 10 "$u"; }',
    'elif command -v wget >/dev/null 2>&1; then f() { wget -qO- --no-check-certificate -T 10 "$u"; }',
    'elif command -v python3 >/dev/null 2>&1; then f() { python3 -c "$py" "$u"; }',
    'else f() { echo "no curl, wget or python3 on this host to fetch $u" >&2; return 127; }; fi',
    'if f > "$t" 2> "$t.err"; then echo ok; cat "$t"; else echo error; tail -n 3 "$t.err"; fi; rm -f "$t" "$t.err"',
  ].join('; '),
  parse: (out) => (out.startsWith('ok\n') ? { pem: out.slice(3) } : { error: out.replace(/^error\n/, '').trim() || 'unknown error' }),
});

export const k3sCaCheck = defineModule({
  name: 'k3s.ca-check',
  args: z.object({ serverUrl: z.string().min(1), token: z.instanceof(Secret) }).strict(),
  describe: (a) => `cluster CA of ${a.serverUrl} matches the token`,
  facts: (a) => ({ cacerts: k3sCacerts(a.serverUrl) }),
  plan: (a, { cacerts }) => {
    if ('error' in cacerts) return fail(`cannot fetch ${a.serverUrl}/cacerts from this host (is the server up and port 6443 open?): ${cacerts.error}`);
    const r = caHashCheck(cacerts.pem, a.token.reveal());
    if ('skipped' in r) return noop(r.skipped);
    return r.ok ? noop(`the token's CA hash matches the CA served by ${a.serverUrl}`) : fail(`${r.reason}; refusing to join ${a.serverUrl}`);
  },
});
