/**
 * Argument types shared by modules, with the checks RELIABILITY.md asks for.
 *
 *   z.object({ path: remotePath, mode: fileMode.optional(), owner: userName.optional() })
 */
import { z } from 'zod';

/** Absolute remote path; no NUL. */
export const remotePath = z
  .string()
  .min(1, 'path must not be empty')
  .refine((p) => !p.includes('\0'), 'path must not contain a NUL byte')
  .refine((p) => p.startsWith('/'), 'path must be absolute (start with /)');

/** A file mode as a string of octal digits ('0644', '755'): numbers are refused (0644 unquoted in YAML is 420). */
export const fileMode = z
  .string({ error: 'mode must be a string of octal digits such as "0644" (quote it)' })
  .regex(/^0?[0-7]{3,4}$/, 'mode must be octal digits such as "0644"')
  .transform((m) => m.padStart(4, '0').slice(-4));

/** A user or group name: no leading '-', no whitespace, no ':' or NUL. */
export const accountName = z
  .string()
  .min(1)
  .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]*\$?$/, 'must be a user or group name (letters, digits, _ . -; not starting with -)');

/** Environment for a command: names checked, values plain strings. */
export const envVars = z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'invalid environment variable name'), z.string());

/** Owner, group, backup and validation: every module that writes a file on the host takes them. */
const writtenFileFields = {
  owner: accountName.optional(),
  group: accountName.optional(),
  backup: z.boolean().default(false),
  validate: z.string().includes('%s', { message: 'validate must contain %s (the temp file path)' }).optional(),
};

/** Options shared by the modules that write a whole file (copy, template). */
export const fileWriteFields = {
  ...writtenFileFields,
  /** Treat the content as secret even without a Secret in it. */
  secret: z.boolean().default(false),
};

/** Options shared by the modules that edit a file in place (lineinfile, blockinfile, replace). */
export const fileEditFields = {
  mode: fileMode.optional(),
  ...writtenFileFields,
};
