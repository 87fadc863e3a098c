/**
 * `template`: an EJS template rendered on the controller, then written like `copy`
 * (atomically, compared by SHA-256, optional validate and backup).
 *
 *   template({ src: roleFile(import.meta.url, '../templates/haproxy.cfg.ejs'), dest: '/etc/haproxy/haproxy.cfg',
 *              vars: { port: 6443, servers }, escape: 'haproxy', validate: 'haproxy -c -f %s' }, { notify: 'reload haproxy' })
 *   template({ content: 'token: <%= yaml(token) %>\n', dest: '/etc/rancher/k3s/config.yaml', vars: { token: new Secret(t) } })
 *
 * `<%=` never HTML-escapes: it writes the value with the `escape` chosen for the file's
 * format (`none` by default; `yaml`, `json`, `shell`, `ini`, `haproxy`), and the helpers
 * `yaml(v)`, `json(v)`, `shell(v)`, `ini(v)`, `haproxy(v)` escape one value explicitly.
 * A variable that is not in `vars` fails the step with its name and the template's
 * file:line, in check mode too (rendering happens while planning, so --check --diff shows
 * the result). Variables are data: they are never rendered as templates, and none of them
 * can change EJS's options. A `Secret` in `vars` is rendered as its value and makes the
 * whole file secret: diffs show sizes and hashes only, and the mode defaults to 0600.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { defineModule, predict, type Prediction } from '../define/module.ts';
import { fail, type Plan } from '../define/plan.ts';
import { Secret } from '../commands/secret.ts';
import { hashedFacts, withSha256, type HashedStat } from '../facts/file.ts';
import { fileContent, textFileValue } from '../facts/content.ts';
import { fileMode, fileWriteFields, remotePath } from './args.ts';
import { planCopy, predictedStat, predictHashed, type CopyArgs } from './copy.ts';
import { ESCAPE_NAMES } from './template/escapers.ts';
import { renderTemplate, TemplateError } from './template/render.ts';
import { familiesWrittenBy, writesPaths } from './affects.ts';

/** Template variables: a plain object, kept as given (a zod record would drop a `__proto__` key). */
const templateVars = z.custom<Record<string, unknown>>(
  (v) => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Secret),
  { message: 'vars must be an object of variable names to values' },
);

export const templateArgs = z
  .object({
    src: z.string().min(1).optional(),
    content: z.string().optional(),
    dest: remotePath,
    vars: templateVars.default(() => ({})),
    escape: z.enum(ESCAPE_NAMES).default('none'),
    mode: fileMode.optional(),
    ...fileWriteFields,
  })
  .strict()
  .refine((a) => (a.content === undefined) !== (a.src === undefined), { message: 'give exactly one of src or content', path: ['src'] });

export type TemplateArgs = z.output<typeof templateArgs>;

export const template = defineModule({
  name: 'template',
  affects: (a) => familiesWrittenBy(a.dest),
  args: templateArgs,
  describe: (a) => `template ${a.dest}`,
  facts: (a) => hashedFacts(a.dest),
  plan: (a, { st, sha }) => planTemplate(a, withSha256(st, sha)),
  predicts: (a, { st, sha }) => predictTemplate(a, withSha256(st, sha)),
  invalidates: (a) => writesPaths(a.dest),
});

type Outcome = { ok: true; copy: CopyArgs; text: string } | { ok: false; error: string };

/** Rendering is deterministic for given arguments; plan and predicts share one result. */
const rendered = new WeakMap<TemplateArgs, Outcome>();

export function renderArgs(a: TemplateArgs): Outcome {
  let out = rendered.get(a);
  if (!out) {
    out = render(a);
    rendered.set(a, out);
  }
  return out;
}

function render(a: TemplateArgs): Outcome {
  let text = a.content;
  if (a.src !== undefined) {
    try {
      text = readFileSync(a.src, 'utf8');
    } catch (e) {
      return { ok: false, error: `cannot read template ${a.src}: ${(e as Error).message}` };
    }
  }
  try {
    const r = renderTemplate({ text: text ?? '', file: a.src ?? `inline template for ${a.dest}`, ...(a.src ? { path: a.src } : {}), vars: a.vars, escape: a.escape });
    const secret = a.secret || r.secret;
    const copy: CopyArgs = {
      dest: a.dest, content: secret ? new Secret(r.text, `template ${a.dest}`) : r.text, mode: a.mode ?? (secret ? '0600' : '0644'),
      owner: a.owner, group: a.group, backup: a.backup, validate: a.validate, secret,
    };
    return { ok: true, copy, text: r.text };
  } catch (e) {
    if (e instanceof TemplateError) return { ok: false, error: `template ${e.message}` };
    throw e;
  }
}

export function planTemplate(a: TemplateArgs, st: HashedStat | null): Plan {
  const r = renderArgs(a);
  if (!r.ok) return fail(r.error);
  return planCopy(r.copy, st);
}

export function predictTemplate(a: TemplateArgs, st: HashedStat | null): Prediction[] {
  const r = renderArgs(a);
  if (!r.ok) return [];
  const stat = predictedStat(r.copy, st);
  return [
    ...predictHashed(a.dest, stat),
    predict(fileContent(a.dest), textFileValue(r.text, { mode: stat.mode, owner: stat.owner, group: stat.group })),
  ];
}
