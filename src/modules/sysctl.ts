/**
 * `sysctl`: a kernel parameter, set live (`sysctl -w`) and persisted in a sysctl.d file.
 *
 *   sysctl({ name: 'net.ipv4.ip_forward', value: '1' })
 *   sysctl({ name: 'net.core.somaxconn', value: 4096, sysctlFile: '/etc/sysctl.d/60-web.conf' })
 *   sysctl({ name: 'vm.swappiness', value: '10', reload: false })   // only at the next boot
 *   sysctl({ name: 'net.ipv4.tcp_fin_timeout', state: 'absent' })   // drops the line; the live value stays
 *
 * Both the file line and the live value are compared (blanks normalised: `32768 60999` equals
 * the kernel's `32768\t60999`). The live value is set first, so a value the kernel refuses
 * fails the step before anything is persisted. Other lines of the file are kept as they are;
 * duplicate lines of the key are dropped. The file is written atomically with mode 0644.
 * Inside containers only per-network-namespace keys (`net.*`) can be writable.
 */
import { z } from 'zod';
import { defineModule, predict, type Prediction } from '../define/module.ts';
import { change, changes, exec, fail, noop, put, type Change, type Plan } from '../define/plan.ts';
import { sh } from '../commands/quote.ts';
import { pathExists } from '../facts/file.ts';
import { canonicalKey, normalizeValue, procSysPath, sysctlFile, sysctlLive, type SysctlFile } from '../facts/sysctl.ts';
import { copyArgs, predictedStat, predictHashed } from './copy.ts';
import { remotePath } from './args.ts';
import { writesPaths } from './affects.ts';

/** A sysctl key: letters, digits, `_ . / -`; not starting with `-`, `.` or `/`; no empty segment (so no `..`). */
export const sysctlName = z
  .string()
  .max(255)
  .regex(/^[A-Za-z0-9_][A-Za-z0-9_./-]*$/, 'must be a sysctl key such as net.ipv4.ip_forward (letters, digits, "_./-", not starting with "-")')
  .refine((n) => n.split(/[./]/).every((s) => s !== ''), 'must not have an empty segment (no "..", "//" or trailing separator)');

const sysctlValue = z
  .union([z.string(), z.number()])
  .transform((v) => String(v).trim())
  .refine((v) => v !== '', 'must not be empty')
  .refine((v) => !/[\n\r\0]/.test(v), 'must be one line (no newline, carriage return or NUL)');

export const sysctlArgs = z
  .object({
    name: sysctlName,
    value: sysctlValue.optional(),
    state: z.enum(['present', 'absent']).default('present'),
    sysctlFile: remotePath.refine((p) => p.endsWith('.conf'), 'sysctl.d reads only files ending in .conf').default('/etc/sysctl.d/99-capstan.conf'),
    /** Set the live value too (`sysctl -w`). */
    reload: z.boolean().default(true),
  })
  .strict()
  .refine((a) => a.state === 'absent' || a.value !== undefined, { message: 'state present needs a value', path: ['value'] });

export type SysctlArgs = z.output<typeof sysctlArgs>;

interface SysctlFacts {
  live: string | null;
  file: SysctlFile;
}

/** The file's text with `name=value` (the form Ansible writes) set (first line kept or replaced, duplicates dropped) or removed (value null). */
export function editSysctlConf(content: string | null, name: string, value: string | null): string {
  const key = canonicalKey(name);
  const lines = (content ?? '').split('\n');
  if (lines.at(-1) === '') lines.pop();
  const out: string[] = [];
  let placed = false;
  for (const line of lines) {
    const m = /^\s*-?\s*([^\s=#;][^=]*?)\s*=(.*)$/.exec(line);
    if (!m?.[1] || canonicalKey(m[1]) !== key) {
      out.push(line);
      continue;
    }
    if (value === null || placed) continue;
    placed = true;
    out.push(normalizeValue(m[2] ?? '') === normalizeValue(value) ? line : `${name}=${value}`);
  }
  if (value !== null && !placed) out.push(`${name}=${value}`);
  return out.length ? `${out.join('\n')}\n` : '';
}

export function planSysctl(a: SysctlArgs, { live, file }: SysctlFacts): Plan {
  const value = a.state === 'present' ? (a.value ?? '') : null;
  const list: Change[] = [];
  if (value !== null && a.reload) {
    if (live === null) return fail(`the kernel has no ${a.name} (${procSysPath(a.name)} does not exist): misspelt, or the module that provides it is not loaded`);
    if (normalizeValue(live) !== normalizeValue(value)) {
      list.push(change(`set ${a.name} ${normalizeValue(live)} -> ${value} (live)`, exec(sh`sysctl -q -w -- ${`${a.name}=${value}`}`)));
    }
  }
  const next = editSysctlConf(file.content, a.name, value);
  if (next !== (file.content ?? '')) {
    if (!file.dirExists) list.push(change(`create directory of ${a.sysctlFile}`, exec(sh`mkdir -p -- ${a.sysctlFile.replace(/\/[^/]+$/, '') || '/'}`)));
    const write = change(`${value === null ? 'remove' : 'set'} ${a.name} in ${a.sysctlFile}`, put({ dest: a.sysctlFile, content: next, mode: '0644' }));
    write.diff = { path: a.sysctlFile, before: file.content, after: next };
    list.push(write);
  }
  if (list.length) return changes(...list);
  return noop(value === null ? `${a.name} is not in ${a.sysctlFile}` : `${a.name} = ${value} in ${a.sysctlFile}${a.reload ? ' and live' : ''}`);
}

function predictSysctl(a: SysctlArgs, { file }: SysctlFacts): Prediction[] {
  const value = a.state === 'present' ? (a.value ?? '') : null;
  const next = editSysctlConf(file.content, a.name, value);
  const out: Prediction[] = [
    predict(sysctlFile(a.sysctlFile), { dirExists: true, content: next }),
    ...predictHashed(a.sysctlFile, predictedStat(copyArgs.parse({ dest: a.sysctlFile, content: next, mode: '0644' }), null)),
    predict(pathExists(a.sysctlFile), true),
  ];
  if (value !== null && a.reload) out.push(predict(sysctlLive(a.name), value));
  return out;
}

export const sysctl = defineModule({
  name: 'sysctl',
  args: sysctlArgs,
  describe: (a) => `sysctl ${a.name}${a.state === 'absent' ? ' absent' : ''}`,
  facts: (a) => ({ live: sysctlLive(a.name), file: sysctlFile(a.sysctlFile) }),
  plan: (a, f) => planSysctl(a, f),
  predicts: (a, f) => predictSysctl(a, f),
  // the file, and live values (a reload applies every key it holds; some are the network's)
  invalidates: (a) => ({ ...writesPaths(a.sysctlFile), facts: ['sysctl', 'net'] }),
});
