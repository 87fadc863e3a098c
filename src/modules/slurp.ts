/**
 * `slurp`: reads a file's content for later steps; changes nothing.
 *
 *   const token = slurp({ path: '/var/lib/rancher/k3s/server/node-token', secret: true });
 *   k3sAgent({ token: deferred((ctx) => ctx.result(token, 'server1')?.data?.text ?? knownAfterApply('server token')) })
 *
 * `data` holds the bytes as base64 and, when they are valid UTF-8, as text. Files larger
 * than `maxBytes` (1 MiB by default) fail the step instead of flooding the run. With
 * `secret`, the content is masked wherever Capstan prints (events, logs, errors).
 * Under --check, a file an earlier step would change is reported as known only after apply.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { defineModule } from '../define/module.ts';
import { change, changes, fail, noop, type Plan } from '../define/plan.ts';
import { registerSecret } from '../commands/secret.ts';
import { hashedFacts, withSha256, type HashedStat } from '../facts/file.ts';
import { fileBytes, type FileBytes } from '../facts/file-bytes.ts';
import { remotePath } from './args.ts';

export const slurpArgs = z
  .object({
    path: remotePath,
    maxBytes: z.number().int().positive().max(64 * 1024 * 1024, 'maxBytes must be at most 64 MiB').default(1024 * 1024),
    secret: z.boolean().default(false),
  })
  .strict();

export type SlurpArgs = z.output<typeof slurpArgs>;

export interface SlurpData {
  path: string;
  /** The content, base64-encoded. */
  content: string;
  /** The content as text, or null when it is not valid UTF-8. */
  text: string | null;
  size: number;
  sha256: string;
}

export interface SlurpFacts {
  st: HashedStat | null;
  content: FileBytes;
}

export const slurp = defineModule({
  name: 'slurp',
  args: slurpArgs,
  describe: (a) => `slurp ${a.path}`,
  readOnly: true,
  facts: (a) => ({ ...hashedFacts(a.path), content: fileBytes({ path: a.path, maxBytes: a.maxBytes }) }),
  plan: (a, f) => planSlurp(a, { st: withSha256(f.st, f.sha), content: f.content }),
  data: (a, f): SlurpData => slurpData(a, f.content),
});

export function planSlurp(a: SlurpArgs, f: SlurpFacts): Plan {
  const { st, content } = f;
  if (!st) return fail(`${a.path} does not exist`);
  if (content.kind === 'too-large') return fail(`${a.path} is ${content.size} bytes, more than maxBytes (${a.maxBytes})`);
  if (content.kind === 'not-a-file' || (st.type !== 'file' && st.type !== 'link')) return fail(`${a.path} is a ${st.type}, not a file`);
  const bytes = content.kind === 'ok' ? Buffer.from(content.base64, 'base64') : undefined;
  const sha = bytes && createHash('sha256').update(bytes).digest('hex');
  if (!bytes || (st.type === 'file' && st.sha256 !== sha)) {
    const c = change(`read ${a.path} once earlier steps have changed it`);
    c.unpredictable = `an earlier step would change ${a.path}: its content is known after apply`;
    return changes(c);
  }
  return noop(`read ${bytes.length} bytes of ${a.path}`);
}

export function slurpData(a: SlurpArgs, content: FileBytes): SlurpData {
  const bytes = Buffer.from(content.kind === 'ok' ? content.base64 : '', 'base64');
  const text = utf8(bytes);
  const data = { path: a.path, content: bytes.toString('base64'), text, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
  if (a.secret) {
    registerSecret(data.content);
    if (text !== null) registerSecret(text);
  }
  return data;
}

function utf8(bytes: Buffer): string | null {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
}
