/**
 * Planning an in-place edit of a text file, shared by lineinfile, blockinfile and replace:
 * the current content (from the `fileContent` fact) goes through a pure edit function; a
 * different result is written atomically with `put` (temp file in the same directory,
 * checksum, validate, backup, rename), an equal one changes nothing but mode and owner. A
 * file that is created gets its missing parent directories first, as Ansible's do.
 *
 *   facts: (a) => ({ content: fileContent(a.path), st: fileStat(a.path) }),
 *   plan: (a, facts) => planEdit(target(a), facts, (text) => editLines(text, a)),
 *   predicts: (a, facts) => predictEdit(target(a), facts, (text) => editLines(text, a)),
 *
 * A symbolic link is followed: the file it points to is edited, the link stays. Under --check,
 * a file that an earlier step changes without predicting its content (a copy, a command with
 * `creates`) makes the edit "cannot predict" instead of planning against the old content.
 */
import { posix } from 'node:path';
import { defineModule, predict, predictUnknown, type ModuleFn, type Prediction } from '../../define/module.ts';
import type { z } from 'zod';
import type { FactRef } from '../../define/fact.ts';
import { familiesWrittenBy, writesPaths } from '../affects.ts';
import { change, changes, exec, fail, noop, put, type Change, type Plan } from '../../define/plan.ts';
import { sh } from '../../commands/quote.ts';
import { hashedFacts, withSha256, type HashedStat } from '../../facts/file.ts';
import { predictHashed } from '../copy.ts';
import { fileContent, textFileValue, type FileContent } from '../../facts/content.ts';

export interface TextTarget {
  path: string;
  mode?: string;
  owner?: string;
  group?: string;
  validate?: string;
  backup: boolean;
}

/** What an edit function returns: new text, the reason nothing changes, or why it cannot be done. */
export type EditResult = { text: string; summary: string } | { noop: string } | { error: string };

/** The edit of a file's text; `null` when the file does not exist. */
export type Edit = (text: string | null) => EditResult;

/** The facts an edit reads: the content, and the stat that tells whether an earlier step changed it. */
export interface EditFacts {
  content: FileContent;
  /** Undefined in table tests that do not model earlier steps. */
  st?: HashedStat | null;
}

/**
 * Defines a module that edits a text file in place (lineinfile, blockinfile, replace): it reads
 * the file's content and stat in the play's batch, plans with a pure edit function, writes
 * atomically only when the text changes, and predicts the new content for --check.
 */
export function defineTextEdit<S extends z.ZodType<TextTarget>>(def: {
  name: string;
  args: S;
  describe: (a: z.output<S>) => string;
  edit: (text: string | null, a: z.output<S>) => EditResult;
}): ModuleFn<z.input<S>, undefined> {
  const target = (a: TextTarget): TextTarget => ({ path: a.path, mode: a.mode, owner: a.owner, group: a.group, validate: a.validate, backup: a.backup });
  return defineModule<S, { content: FactRef<FileContent> } & ReturnType<typeof hashedFacts>, undefined>({
    name: def.name,
    args: def.args as S & z.ZodType<z.output<S>>,
    describe: def.describe,
    affects: (a) => familiesWrittenBy(a.path),
    facts: (a) => ({ content: fileContent(a.path), ...hashedFacts(a.path) }),
    plan: (a, f) => planEdit(target(a), { content: f.content, st: withSha256(f.st, f.sha) }, (text) => def.edit(text, a)),
    predicts: (a, f) => predictEdit(target(a), { content: f.content, st: withSha256(f.st, f.sha) }, (text) => def.edit(text, a)),
    invalidates: (a) => writesPaths(a.path),
  });
}

export function planEdit(t: TextTarget, { content: cur, st }: EditFacts, edit: Edit): Plan {
  if (stale(cur, st)) {
    const c = change(`edit ${t.path} after an earlier step changes it`);
    c.unpredictable = `an earlier step changes ${t.path} in a way check mode cannot show, so this edit cannot be predicted`;
    return changes(c);
  }
  if (cur.exists && !cur.readable) return fail(`${t.path} ${cur.reason}`);
  const r = edit(cur.exists ? cur.text : null);
  if ('error' in r) return fail(r.error);
  const dest = cur.realPath ?? t.path;
  if ('noop' in r || (cur.exists && r.text === cur.text)) {
    const attrs = cur.exists ? attributeChanges(t, dest, cur) : [];
    return attrs.length ? changes(...attrs) : noop('noop' in r ? r.noop : `${t.path} already has the wanted content`);
  }
  const written = put({
    dest, content: Buffer.from(r.text, 'utf8'), mode: t.mode ?? (cur.exists ? cur.mode : '0644'),
    ...(t.owner ? { owner: t.owner } : {}), ...(t.group ? { group: t.group } : {}),
    ...(t.validate ? { validate: t.validate } : {}), backup: t.backup,
  });
  const write = cur.exists ? change(r.summary, written) : change(r.summary, exec(sh`mkdir -p -- ${posix.dirname(dest)}`), written);
  write.diff = { path: dest, before: cur.exists ? cur.text : null, after: r.text };
  return changes(write);
}

/**
 * Whether the content fact disagrees with the stat fact. It can only under --check, when an
 * earlier step (copy, file, a command) predicted the file's stat but not its content.
 * (`sha256sum` prefixes its sum with a backslash when the file name holds a backslash or a
 * newline; that prefix is not a difference.)
 */
export function stale(cur: FileContent, st: HashedStat | null | undefined): boolean {
  if (st === undefined || st?.type === 'link') return false;
  if (st === null) return cur.exists && cur.realPath === undefined;
  if (st.type !== 'file') return !cur.exists;
  if (!cur.exists) return true;
  return cur.readable && st.sha256 !== undefined && st.sha256.replace(/^\\/, '') !== cur.sha256;
}

/** The file's content and stat once the plan is applied, for later steps under --check. */
export function predictEdit(t: TextTarget, { content: cur, st }: EditFacts, edit: Edit): Prediction[] {
  if (stale(cur, st)) return [predictUnknown(fileContent(t.path)), ...predictHashed(cur.realPath ?? t.path, 'unknown')];
  if (cur.exists && !cur.readable) return [];
  const r = edit(cur.exists ? cur.text : null);
  if ('error' in r) return [];
  const text = 'text' in r ? r.text : cur.exists ? cur.text : undefined;
  if (text === undefined) return [];
  const dest = cur.realPath ?? t.path;
  const value = textFileValue(text, {
    mode: t.mode ?? (cur.exists ? cur.mode : '0644'),
    owner: t.owner ?? (cur.exists ? cur.owner : 'root'),
    group: t.group ?? (cur.exists ? cur.group : 'root'),
    ...(cur.realPath === undefined ? {} : { realPath: cur.realPath }),
  });
  return [
    predict(fileContent(t.path), value),
    ...predictHashed(dest, { type: 'file', mode: value.mode, owner: value.owner, group: value.group, size: value.size, sha256: value.sha256 }),
  ];
}

function attributeChanges(t: TextTarget, dest: string, cur: { mode: string; owner: string; group: string }): Change[] {
  const out: Change[] = [];
  if (t.mode && t.mode !== cur.mode) out.push(change(`mode ${cur.mode} -> ${t.mode}`, exec(sh`chmod ${t.mode} -- ${dest}`)));
  if ((t.owner && t.owner !== cur.owner) || (t.group && t.group !== cur.group)) {
    const spec = `${t.owner ?? ''}${t.group ? `:${t.group}` : ''}`;
    out.push(change(`owner ${cur.owner}:${cur.group} -> ${spec}`, exec(sh`chown ${spec} -- ${dest}`)));
  }
  return out;
}
