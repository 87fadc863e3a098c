/**
 * `blockinfile`: a block of lines between two marker lines, present or absent.
 *
 *   blockinfile({ path: '/etc/hosts', block: '10.0.0.5 db1\n10.0.0.6 db2\n' })
 *   // # BEGIN MANAGED BLOCK
 *   // 10.0.0.5 db1
 *   // 10.0.0.6 db2
 *   // # END MANAGED BLOCK
 *   blockinfile({ path: '/etc/ssh/sshd_config', block, marker: '# {mark} capstan sftp', insertbefore: '^Match ' })
 *   blockinfile({ path: '/etc/hosts', state: 'absent' })
 *
 * The markers are `marker` with `{mark}` replaced by `markerBegin` / `markerEnd`. An
 * existing block is replaced where it is; a new one goes after the last line matching
 * `insertafter` / before the last line matching `insertbefore` (or `BOF` / `EOF`; default:
 * at the end). The block is written as given, ended with a newline if it lacks one; the
 * markers follow the file's line endings. As in Ansible, an empty block with state present
 * removes the block. A begin marker without its end marker (or the reverse) is an error,
 * never guessed at. A missing file is an error unless `create` is set.
 */
import { z } from 'zod';
import { fileEditFields, remotePath } from './args.ts';
import { anchorArg, fileEol, joinLines, lastIndex, oneLine, splitLines, terminateLast, type Anchor, type Line } from './template/lines.ts';
import { defineTextEdit, type EditResult } from './template/text-file.ts';

export const blockinfileArgs = z
  .object({
    path: remotePath,
    block: z.string().default(''),
    state: z.enum(['present', 'absent']).default('present'),
    marker: oneLine('marker').default('# {mark} MANAGED BLOCK'),
    markerBegin: oneLine('markerBegin').default('BEGIN'),
    markerEnd: oneLine('markerEnd').default('END'),
    insertafter: anchorArg.optional(),
    insertbefore: anchorArg.optional(),
    create: z.boolean().default(false),
    ...fileEditFields,
  })
  .strict()
  .refine((a) => a.insertafter === undefined || a.insertbefore === undefined, { message: 'give insertafter or insertbefore, not both', path: ['insertbefore'] })
  .refine((a) => markers(a).begin !== markers(a).end, { message: 'the begin and end markers must differ (put {mark} in marker)', path: ['marker'] })
  .refine((a) => !splitLines(a.block).some((l) => l.body === markers(a).begin || l.body === markers(a).end), {
    message: 'the block must not contain its own marker lines', path: ['block'],
  });

export type BlockinfileArgs = z.output<typeof blockinfileArgs>;

export const blockinfile = defineTextEdit({
  name: 'blockinfile',
  args: blockinfileArgs,
  describe: (a) => `blockinfile ${a.path}`,
  edit: (text, a) => editBlockInFile(text, a),
});

export function markers(a: { marker: string; markerBegin: string; markerEnd: string }): { begin: string; end: string } {
  return { begin: a.marker.split('{mark}').join(a.markerBegin), end: a.marker.split('{mark}').join(a.markerEnd) };
}

type BlockEdit = Pick<BlockinfileArgs, 'block' | 'state' | 'marker' | 'markerBegin' | 'markerEnd' | 'insertafter' | 'insertbefore' | 'create'> & { path?: string };

/** The edit as a pure function: the file's text (null: missing) in, new text or a reason out. */
export function editBlockInFile(text: string | null, a: BlockEdit): EditResult {
  const where = a.path ?? 'the file';
  const remove = a.state === 'absent' || a.block === '';
  if (text === null) {
    if (remove) return { noop: `${where} does not exist` };
    if (!a.create) return { error: `${where} does not exist (set create: true to create it)` };
  }
  const m = markers(a);
  const lines = splitLines(text ?? '');
  const found = findBlock(lines, m);
  if ('error' in found) return { error: `${where}: ${found.error}` };
  if (remove) {
    if (!found.block) return { noop: 'no managed block to remove' };
    lines.splice(found.block.begin, found.block.end - found.block.begin + 1);
    return { text: joinLines(lines), summary: 'remove the block' };
  }
  const eol = fileEol(lines);
  const at = found.block ? found.block.begin : insertionIndex(lines, a.insertafter, a.insertbefore);
  if (found.block) lines.splice(found.block.begin, found.block.end - found.block.begin + 1);
  const head = lines.slice(0, at);
  terminateLast(head, eol);
  const body = a.block.endsWith('\n') ? a.block : a.block + eol;
  const next = joinLines(head) + m.begin + eol + body + m.end + eol + joinLines(lines.slice(at));
  if (next === text) return { noop: 'the block is already as wanted' };
  const summary = text === null ? 'create the file with the block' : found.block ? 'update the block' : 'insert the block';
  return { text: next, summary };
}

type Found = { block?: { begin: number; end: number } } | { error: string };

/** The last begin marker and the end marker after it; a lone marker is an error. */
function findBlock(lines: readonly Line[], m: { begin: string; end: string }): Found {
  const begin = lastIndex(lines, (l) => l.body === m.begin);
  const end = begin < 0 ? -1 : lines.findIndex((l, i) => i > begin && l.body === m.end);
  if (begin >= 0 && end >= 0) return { block: { begin, end } };
  if (begin >= 0) return { error: `line ${begin + 1} is the begin marker "${m.begin}" but no end marker "${m.end}" follows it; fix the file by hand` };
  const lone = lines.findIndex((l) => l.body === m.end);
  if (lone >= 0) return { error: `line ${lone + 1} is the end marker "${m.end}" but no begin marker "${m.begin}" comes before it; fix the file by hand` };
  return {};
}

function insertionIndex(lines: readonly Line[], after: Anchor | undefined, before: Anchor | undefined): number {
  const anchor = after ?? before;
  if (anchor === undefined || anchor === 'EOF') return lines.length;
  if (anchor === 'BOF') return 0;
  const hit = lastIndex(lines, (l) => anchor.test(l.body));
  if (hit < 0) return lines.length;
  return after !== undefined ? hit + 1 : hit;
}
