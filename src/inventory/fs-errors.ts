/**
 * File-system failures as input problems: a file Capstan was told to read that is a
 * directory, a symlink loop, unreadable or missing becomes one line naming the path and the
 * cause, instead of a Node error with a stack.
 *
 *   try { readFileSync(path, 'utf8') } catch (e) { throw new ConfigError(unreadable(path, e)) }
 *   // 'cannot read group_vars/web.yml: it is a symlink loop (ELOOP)'
 */

const CAUSES: Record<string, string> = {
  EISDIR: 'it is a directory, not a file',
  ELOOP: 'it is a symlink loop',
  ENOENT: 'it does not exist',
  ENOTDIR: 'a part of the path is not a directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ENAMETOOLONG: 'the path is too long',
  EROFS: 'the file system is read-only',
};

/** True for errors raised by the file system (they carry a string `code` such as ENOENT). */
export function isFsError(e: unknown): e is NodeJS.ErrnoException & { code: string } {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string' && /^E[A-Z]+$/.test((e as NodeJS.ErrnoException).code ?? '');
}

/** "it is a symlink loop (ELOOP)": the cause of a file-system error in words, with its code. */
export function fsCause(e: unknown): string {
  if (!isFsError(e)) return e instanceof Error ? e.message : String(e);
  return `${CAUSES[e.code] ?? e.message.replace(/^[A-Z]+: /, '')} (${e.code})`;
}

/** "cannot read PATH: CAUSE (CODE)". */
export function unreadable(path: string, e: unknown, verb = 'read'): string {
  return `cannot ${verb} ${path}: ${fsCause(e)}`;
}
