/**
 * `getUrl`: table tests (facts in, download command or no-op reason out), argument checks,
 * then each downloader's script run for real with the controller's `sh` against a local
 * HTTP server: atomic rename, checksum refusal leaving dest intact, headers on stdin.
 *
 *   node --import tsx --test test/modules/get-url.test.ts
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DOWNLOADERS, getUrlArgs, planGetUrl, type GetUrlFacts } from '../../src/modules/get-url.ts';
import { renderScript, type Command } from '../../src/commands/command.ts';
import { Secret } from '../../src/commands/secret.ts';
import type { HashedStat as FileStat } from '../../src/facts/file.ts';
import type { Plan } from '../../src/define/plan.ts';
import { requires, TOOLS } from '../support/tools.ts';

const BODY = 'payload from the server\n';
const SHA = createHash('sha256').update(BODY).digest('hex');
const dir: FileStat = { type: 'directory', mode: '0755', owner: 'root', group: 'root', size: 4096 };
const have = (sha: string, mode = '0644'): FileStat => ({ type: 'file', mode, owner: 'root', group: 'root', size: 24, sha256: sha });

function plan(raw: Record<string, unknown>, f: Partial<GetUrlFacts> = {}): Plan {
  return planGetUrl(getUrlArgs.parse({ url: 'http://example.test/a', dest: '/opt/a', checksum: `sha256:${SHA}`, ...raw }), { st: null, dir, tools: ['curl'], ...f });
}

function commands(p: Plan): Command[] {
  return p.changes.flatMap((c) => c.actions.flatMap((a) => (a.kind === 'exec' ? [a.command] : [])));
}

describe('getUrl: planning', () => {
  it('a missing dest is downloaded with the first downloader the host has', () => {
    for (const [tools, tool] of [[['curl', 'wget'], 'curl'], [['wget', 'python3'], 'wget'], [['python3'], 'python3']] as const) {
      const p = plan({}, { tools: [...tools] });
      assert.match(p.changes[0]?.summary ?? '', new RegExp(`^download http://example.test/a -> /opt/a \\(with ${tool}\\)$`));
      assert.match(commands(p)[0]?.script ?? '', new RegExp(`^${tool} `, 'm'));
    }
  });

  it('dest with the checksum is a no-op: nothing is downloaded', () => {
    const p = plan({}, { st: have(SHA) });
    assert.deepEqual(p.changes, []);
    assert.equal(p.noop, `/opt/a already has sha256 ${SHA}`);
  });

  it('dest with the checksum but another mode or owner is fixed without downloading', () => {
    const p = plan({ mode: '0755', owner: 'app' }, { st: have(SHA) });
    assert.deepEqual(commands(p).map((c) => c.script), ['chmod 0755 -- /opt/a', 'chown -- app /opt/a']);
  });

  it('dest with another checksum is downloaded again', () => {
    assert.equal(plan({}, { st: have('0'.repeat(64)) }).changes.length, 1);
  });

  it("checksum 'none': an existing dest is kept, unless force", () => {
    assert.equal(plan({ checksum: 'none' }, { st: have('x') }).noop, "/opt/a exists (checksum 'none': not downloaded again without force)");
    assert.equal(plan({ checksum: 'none', force: true }, { st: have('x') }).changes.length, 1);
  });

  it('fails clearly without a downloader, without the directory, or over a directory', () => {
    assert.match(plan({}, { tools: [] }).error ?? '', /the host has none of curl, wget, python3/);
    assert.match(plan({}, { dir: null }).error ?? '', /the directory \/opt does not exist/);
    assert.match(plan({}, { st: { ...dir } }).error ?? '', /\/opt\/a exists and is a directory/);
  });

  it('the URL password is not shown in the summary', () => {
    const p = plan({ url: 'https://user:hunter2@example.test/a' });
    assert.ok(!p.changes[0]?.summary.includes('hunter2'));
  });
});

describe('getUrl: arguments', () => {
  const issue = (raw: Record<string, unknown>) => {
    const r = getUrlArgs.safeParse({ url: 'http://example.test/a', dest: '/opt/a', checksum: 'none', ...raw });
    return r.success ? undefined : r.error.issues[0];
  };

  it('checksum is required, and says how to opt out', () => {
    const r = getUrlArgs.safeParse({ url: 'http://example.test/a', dest: '/opt/a' });
    assert.equal(r.error?.issues[0]?.path[0], 'checksum');
    assert.match(r.error?.issues[0]?.message ?? '', /checksum is required.*'none'/);
    assert.equal(issue({ checksum: 'md5:abc' })?.path[0], 'checksum');
    assert.equal(issue({ checksum: `sha256:${SHA.toUpperCase()}` }), undefined);
  });

  it('refuses URLs that are not http, https or ftp, or carry whitespace', () => {
    for (const url of ['file:///etc/passwd', 'example.com', '-oProxyCommand=x', 'http://a b/', 'http://a/\nb', '']) assert.equal(issue({ url })?.path[0], 'url', url);
  });

  it('refuses header names and values that could inject headers', () => {
    assert.equal(issue({ headers: { 'X-A\r\nB': 'v' } })?.path[0], 'headers');
    assert.equal(issue({ headers: { 'X-A': 'v\r\nEvil: 1' } })?.path[0], 'headers');
    assert.equal(issue({ headers: { 'X-A': new Secret('v\nEvil: 1') } })?.path[0], 'headers');
    assert.equal(issue({ dest: '/opt/' })?.path[0], 'dest');
  });
});

describe('getUrl: the download scripts, run for real', () => {
  let server: Server;
  let base = '';
  let work: string;
  const seen: IncomingHttpHeaders[] = [];
  before(async () => {
    server = createServer((req, res) => {
      seen.push(req.headers);
      if (req.url === '/file') return void res.end(BODY);
      res.statusCode = 404;
      res.end('not here');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    work = mkdtempSync(join(tmpdir(), 'capstan-get-url-'));
  });
  after(() => {
    server.close();
    rmSync(work, { recursive: true, force: true });
  });

  /** Runs the plan's command with the controller's sh, without blocking the local server. */
  function runPlan(p: Plan): Promise<{ status: number | null; stdout: string; stderr: string }> {
    const [c] = commands(p);
    assert.ok(c, p.error ?? p.noop);
    const input = c.stdin instanceof Secret ? c.stdin.reveal() : (c.stdin as string | undefined);
    return new Promise((resolve, reject) => {
      const child = spawn('sh', ['-c', renderScript(c)]);
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('close', (status) => resolve({ status, stdout, stderr }));
      child.stdin.end(input ?? '');
    });
  }

  for (const tool of DOWNLOADERS) {
    const skip = requires(TOOLS[tool]);
    it(`${tool}: downloads atomically with the mode, checks the sum, sends headers from stdin`, { skip }, async () => {
      const dest = join(work, `${tool} it's $(x).bin`);
      const token = `Bearer canary-${tool}-${Date.now()}`;
      const p = planGetUrl(getUrlArgs.parse({ url: `${base}/file`, dest, checksum: `sha256:${SHA}`, mode: '0640', headers: { 'X-Plain': 'one', Authorization: new Secret(token) } }), { st: null, dir, tools: [tool] });
      assert.ok(!commands(p)[0]?.script.includes(token), 'the secret header is not in the script');
      const r = await runPlan(p);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(readFileSync(dest, 'utf8'), BODY);
      assert.equal(statSync(dest).mode & 0o777, 0o640);
      assert.match(r.stdout, new RegExp(`sha256=${SHA}`));
      const h = seen.at(-1);
      assert.equal(h?.authorization, token);
      assert.equal(h?.['x-plain'], 'one');
      assert.deepEqual(readdirSync(work).filter((n) => n.startsWith('.capstan')), [], 'no temp file is left');
    });

    it(`${tool}: a wrong checksum or an HTTP error leaves dest as it was`, { skip }, async () => {
      const dest = join(work, `${tool}-kept`);
      writeFileSync(dest, 'old content');
      const wrong = await runPlan(planGetUrl(getUrlArgs.parse({ url: `${base}/file`, dest, checksum: `sha256:${'0'.repeat(64)}` }), { st: null, dir, tools: [tool] }));
      assert.notEqual(wrong.status, 0);
      assert.match(wrong.stderr, /checksum mismatch/);
      const missing = await runPlan(planGetUrl(getUrlArgs.parse({ url: `${base}/missing`, dest, checksum: 'none', force: true }), { st: null, dir, tools: [tool] }));
      assert.notEqual(missing.status, 0);
      assert.equal(readFileSync(dest, 'utf8'), 'old content');
      assert.deepEqual(readdirSync(work).filter((n) => n.startsWith('.capstan')), []);
      assert.equal(existsSync('/tmp/PWNED'), false);
    });
  }
});
