/**
 * `getUrl`: downloads a URL on the host into `dest`, atomically (a temp file in the
 * destination directory, checksum checked, mode and owner set, then renamed).
 *
 *   getUrl({ url: 'https://get.k3s.io/k3s', dest: '/usr/local/bin/k3s', mode: '0755',
 *            checksum: 'sha256:3f9a…' })                   // a no-op when dest has that sha256
 *   getUrl({ url: 'https://example.com/feed.xml', dest: '/srv/feed.xml', checksum: 'none' })
 *   getUrl({ url, dest, checksum, headers: { Authorization: new Secret(`Bearer ${token}`) } })
 *
 * `checksum` is required: `sha256:<hex>`, or `none` to opt out explicitly. With a checksum
 * nothing is downloaded when dest already has it, and a download with another checksum is
 * refused and leaves dest as it was. With `none`, an existing dest is kept unless `force`.
 * The host downloads with curl, else GNU wget, else python3; the step fails (in check mode
 * too) when it has none of them. Headers travel on stdin, never in argv (wget reads them
 * from a 0600 temp file beside dest, removed on exit): put credentials there as a Secret,
 * not in the URL. Check mode only reports "would download": it never touches the network.
 */
import { dirname } from 'node:path/posix';
import { z } from 'zod';
import { defineModule, predict, type Prediction } from '../define/module.ts';
import { change, changes, exec, fail, noop, type Change, type Plan } from '../define/plan.ts';
import { sh } from '../commands/quote.ts';
import { Secret } from '../commands/secret.ts';
import type { ExecResult } from '../connectors/connector.ts';
import { predictHashed } from './copy.ts';
import { fileStat, hashedFacts, pathExists, withSha256, type FileStat, type HashedStat } from '../facts/file.ts';
import { commandsAvailable } from '../facts/tools.ts';
import { accountName, fileMode, remotePath } from './args.ts';

/** Programs that can download, in order of preference. */
export const DOWNLOADERS = ['curl', 'wget', 'python3'] as const;
export type Downloader = (typeof DOWNLOADERS)[number];

const url = z.string().refine((u) => {
  if (/[\s\0]/.test(u)) return false;
  try {
    return ['http:', 'https:', 'ftp:'].includes(new URL(u).protocol);
  } catch {
    return false;
  }
}, 'url must be an http, https or ftp URL without whitespace');

const checksum = z
  .string({ error: (i) => (i.input === undefined ? "checksum is required: 'sha256:<64 hex digits>', or 'none' to download without checking" : 'checksum must be a string') })
  .regex(/^(none|sha256:[0-9a-fA-F]{64})$/, "checksum must be 'sha256:<64 hex digits>' or 'none'")
  .transform((c) => c.toLowerCase());

const headerValue = z.union([z.string(), z.instanceof(Secret)]).refine((v) => !/[\r\n\0]/.test(typeof v === 'string' ? v : v.reveal()), 'header values must not contain CR, LF or NUL');

export const getUrlArgs = z
  .object({
    url,
    dest: remotePath.refine((p) => !p.endsWith('/'), 'dest must be a file path, not a directory'),
    checksum,
    mode: fileMode.default('0644'),
    owner: accountName.optional(),
    group: accountName.optional(),
    headers: z.record(z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'not a valid header name'), headerValue).optional(),
    timeoutMs: z.number().int().positive().max(86_400_000).default(60_000),
    /** With checksum 'none': download even when dest exists. */
    force: z.boolean().default(false),
  })
  .strict();

export type GetUrlArgs = z.output<typeof getUrlArgs>;

export interface GetUrlData {
  dest: string;
  /** sha256 of dest after the step ('' when it did not run). */
  sha256: string;
}

export const getUrl = defineModule({
  name: 'getUrl',
  args: getUrlArgs,
  describe: (a) => `getUrl ${a.dest}`,
  facts: (a) => ({ ...hashedFacts(a.dest), dir: fileStat(dirname(a.dest)), tools: commandsAvailable(DOWNLOADERS) }),
  plan: (a, f) => planGetUrl(a, { st: withSha256(f.st, f.sha), dir: f.dir, tools: f.tools }),
  predicts: (a, f) => predictGetUrl(a, withSha256(f.st, f.sha)),
  data: (a, f, outputs) => getUrlData(a, withSha256(f.st, f.sha), outputs),
});

export interface GetUrlFacts {
  st: HashedStat | null;
  dir: FileStat | null;
  tools: string[];
}

function wantedSha(a: GetUrlArgs): string | undefined {
  return a.checksum === 'none' ? undefined : a.checksum.slice('sha256:'.length);
}

function needsDownload(a: GetUrlArgs, st: HashedStat | null): boolean {
  if (!st) return true;
  const sha = wantedSha(a);
  return sha === undefined ? a.force : st.sha256 !== sha;
}

export function planGetUrl(a: GetUrlArgs, f: GetUrlFacts): Plan {
  if (f.st && f.st.type !== 'file') return fail(`${a.dest} exists and is a ${f.st.type}, not a file`);
  if (!needsDownload(a, f.st) && f.st) {
    const fix = attributeChanges(a.dest, f.st, a);
    if (fix.length) return changes(...fix);
    return noop(wantedSha(a) ? `${a.dest} already has sha256 ${wantedSha(a)}` : `${a.dest} exists (checksum 'none': not downloaded again without force)`);
  }
  const dir = dirname(a.dest);
  if (f.dir?.type !== 'directory') return fail(`the directory ${dir} does not exist on the host: create it first`);
  const tool = DOWNLOADERS.find((t) => f.tools.includes(t));
  if (!tool) return fail(`cannot download ${a.url}: the host has none of ${DOWNLOADERS.join(', ')} (install curl, or copy the file from the controller with copy({ src }))`);
  return changes(download(a, tool));
}

function download(a: GetUrlArgs, tool: Downloader): Change {
  const stdin = headerInput(a.headers, tool);
  const temp = (kind: string) => `${dirname(a.dest)}/.capstan-get-url-${kind}.XXXXXXXX`;
  const script = [
    sh`dest=${a.dest}; cfg=''; tmp=$(mktemp ${temp('body')}) || exit 1`,
    `trap 'rm -f -- "$tmp" \${cfg:+"$cfg"}' EXIT; trap 'exit 129' HUP; trap 'exit 130' INT; trap 'exit 143' TERM`,
    ...(stdin !== undefined && tool === 'wget' ? [sh`cfg=$(mktemp ${temp('headers')}) && cat > "$cfg" || exit 1`] : []),
    `${fetchCommand(a, tool, stdin !== undefined)} || exit 1`,
    `sum=$(sha256sum < "$tmp" | cut -c1-64) || exit 1`,
    ...verifyLines(wantedSha(a)),
    ...(a.owner || a.group ? [sh`chown -- ${`${a.owner ?? ''}${a.group ? `:${a.group}` : ''}`} "$tmp" || exit 1`] : []),
    sh`chmod ${a.mode} -- "$tmp" || exit 1`,
    `mv -f -- "$tmp" "$dest" || exit 1`,
    `printf 'sha256=%s\\n' "$sum"`,
  ].map(String).join('\n');
  return change(`download ${redactedUrl(a.url)} -> ${a.dest} (with ${tool})`, exec(script, { ...(stdin !== undefined ? { stdin } : {}), timeoutMs: a.timeoutMs + 15_000 }));
}

const PY_GET = [
  'import json, shutil, sys, urllib.request',
  'url, out, timeout, with_headers = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4] == "1"',
  'headers = json.loads(sys.stdin.read()) if with_headers else {}',
  'try:',
  '    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=timeout) as r, open(out, "wb") as f:',
  '        shutil.copyfileobj(r, f)',
  'except Exception as e:',
  '    sys.stderr.write("download failed: %s\\n" % e)',
  '    sys.exit(1)',
].join('\n');

/** The command that writes the URL's body to "$tmp" (failing on HTTP errors). */
export function fetchCommand(a: Pick<GetUrlArgs, 'url' | 'timeoutMs'>, tool: Downloader, withHeaders: boolean): string {
  const secs = Math.ceil(a.timeoutMs / 1000);
  switch (tool) {
    case 'curl':
      return `${sh`curl -fsSL --proto =http,https,ftp --proto-redir =http,https,ftp --max-time ${secs}`}${withHeaders ? ' -H @-' : ''}${sh` -o "$tmp" --url ${a.url}`}`;
    case 'wget':
      return `${sh`wget -q --tries=1 --max-redirect=10 --timeout=${secs}`}${withHeaders ? ' --config="$cfg"' : ''} -O "$tmp" ${sh`-- ${a.url}`}`;
    case 'python3':
      return `${sh`python3 -c ${PY_GET} ${a.url}`} "$tmp" ${sh`${secs} ${withHeaders ? '1' : '0'}`}`;
  }
}

function verifyLines(sha: string | undefined): string[] {
  if (!sha) return [];
  return [sh`if [ "$sum" != ${sha} ]; then printf 'checksum mismatch: expected sha256 %s, got %s (dest left as it was)\\n' ${sha} "$sum" >&2; exit 1; fi`.text];
}

/** Headers on stdin, in the form each downloader reads; a Secret when any value is one. */
export function headerInput(headers: GetUrlArgs['headers'], tool: Downloader): string | Secret | undefined {
  const entries = Object.entries(headers ?? {});
  if (!entries.length) return undefined;
  const plain = entries.map(([k, v]) => [k, typeof v === 'string' ? v : v.reveal()] as const);
  const text = tool === 'python3'
    ? JSON.stringify(Object.fromEntries(plain))
    : plain.map(([k, v]) => (tool === 'wget' ? `header = ${k}: ${v}\n` : `${k}: ${v}\n`)).join('');
  return entries.some(([, v]) => v instanceof Secret) ? new Secret(text, 'request headers') : text;
}

/** Mode and ownership fixes for a file whose content is already right. */
function attributeChanges(path: string, st: FileStat, a: Pick<GetUrlArgs, 'mode' | 'owner' | 'group'>): Change[] {
  const out: Change[] = [];
  if (st.mode !== a.mode) out.push(change(`mode ${st.mode} -> ${a.mode}`, exec(sh`chmod ${a.mode} -- ${path}`)));
  if ((a.owner && a.owner !== st.owner) || (a.group && a.group !== st.group)) {
    const spec = `${a.owner ?? ''}${a.group ? `:${a.group}` : ''}`;
    out.push(change(`owner ${st.owner}:${st.group} -> ${spec}`, exec(sh`chown -- ${spec} ${path}`)));
  }
  return out;
}

/** The URL without user:password. */
function redactedUrl(u: string): string {
  const parsed = new URL(u);
  if (parsed.username || parsed.password) {
    parsed.username = '***';
    parsed.password = '';
  }
  return parsed.toString();
}

function predictGetUrl(a: GetUrlArgs, st: HashedStat | null): Prediction[] {
  if (needsDownload(a, st) || !st) return [predict(pathExists(a.dest), true), ...predictHashed(a.dest, 'unknown')];
  return predictHashed(a.dest, { ...st, mode: a.mode, owner: a.owner ?? st.owner, group: a.group ?? st.group });
}

function getUrlData(a: GetUrlArgs, st: HashedStat | null, outputs: readonly ExecResult[]): GetUrlData {
  const printed = /^sha256=([0-9a-f]{64})$/m.exec(outputs.at(-1)?.stdout ?? '')?.[1];
  return { dest: a.dest, sha256: printed ?? st?.sha256 ?? '' };
}
