/**
 * `kernelModule`: a kernel module loaded now (`modprobe`) and at every boot
 * (/etc/modules-load.d/<name>.conf, parameters in /etc/modprobe.d/<name>.conf); or unloaded
 * and no longer persisted.
 *
 *   kernelModule({ name: 'br_netfilter' })
 *   kernelModule({ name: 'nf_conntrack', params: { hashsize: 65536 } })
 *   kernelModule({ name: 'dummy', state: 'absent' })
 *
 * The module is loaded first and persisted only once it loaded, so a module that cannot be
 * loaded fails the step and leaves no file claiming otherwise. A module built into the kernel
 * counts as loaded. Parameters apply when the module is loaded: a module already loaded is not
 * reloaded to change them. The parameters file is written only when `params` is not empty and
 * removed with `state: 'absent'`. A container shares its host's kernel and usually has no
 * /lib/modules: loading fails there, saying so; load the module on the host instead.
 */
import { z } from 'zod';
import { defineModule, predict, type Prediction } from '../define/module.ts';
import { change, changes, exec, fail, noop, put, type Change, type Plan } from '../define/plan.ts';
import { sh } from '../commands/quote.ts';
import { pathExists } from '../facts/file.ts';
import { kernelModuleInfo, kernelName, loadFilePath, optionsFilePath, type KernelModuleState } from '../facts/kernel.ts';
import { copyArgs, predictedStat, predictHashed } from './copy.ts';

export const moduleName = z
  .string()
  .max(56)
  .regex(/^[A-Za-z0-9_][A-Za-z0-9_-]*$/, 'must be a kernel module name (letters, digits, "_", "-"; not starting with "-")');

const paramValue = z
  .union([z.string(), z.number(), z.boolean()])
  .transform((v) => (typeof v === 'boolean' ? (v ? 'Y' : 'N') : String(v)))
  .refine((v) => /^[^\s"'\\\0]+$/.test(v), 'must be a non-empty value without blanks, quotes or backslashes');

export const kernelModuleArgs = z
  .object({
    name: moduleName,
    state: z.enum(['present', 'absent']).default('present'),
    params: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a module parameter name'), paramValue).default({}),
    /** Also load it at boot (the modules-load.d and modprobe.d files). */
    persistent: z.boolean().default(true),
  })
  .strict();

export type KernelModuleArgs = z.output<typeof kernelModuleArgs>;

function paramWords(a: KernelModuleArgs): string[] {
  return Object.entries(a.params).sort(([x], [y]) => (x < y ? -1 : 1)).map(([k, v]) => `${k}=${v}`);
}

/** What the two persisted files should hold (null: no file). */
export function wantedFiles(a: KernelModuleArgs): { load: string | null; options: string | null } {
  if (a.state === 'absent' || !a.persistent) return { load: null, options: null };
  const words = paramWords(a);
  return { load: `${a.name}\n`, options: words.length ? `options ${kernelName(a.name)} ${words.join(' ')}\n` : null };
}

export function planKernelModule(a: KernelModuleArgs, { mod }: { mod: KernelModuleState }): Plan {
  const list: Change[] = [];
  if (a.state === 'present' && mod.state === 'absent') {
    if (!mod.modprobe) return fail(`cannot load ${a.name}: modprobe is not installed (Debian package kmod)`);
    if (!mod.modulesDir) {
      return fail(`cannot load ${a.name}: this host has no /lib/modules/${mod.release}, so no loadable modules for its kernel ` +
        '(in a container the kernel is the host\'s: load the module there; or the kernel was upgraded and the host needs a reboot)');
    }
    const words = paramWords(a);
    list.push(change(`load ${a.name}${words.length ? ` ${words.join(' ')}` : ''}`, exec(sh`modprobe -- ${[a.name, ...words]}`)));
  }
  if (a.state === 'absent' && mod.state !== 'absent') {
    if (mod.state === 'builtin') return fail(`${a.name} is built into the kernel and cannot be unloaded`);
    if (!mod.modprobe) return fail(`cannot unload ${a.name}: modprobe is not installed (Debian package kmod)`);
    list.push(change(`unload ${a.name}`, exec(sh`modprobe -r -- ${a.name}`)));
  }
  list.push(...fileChanges(a, mod));
  if (list.length) return changes(...list);
  const where = a.persistent ? `, persisted in ${loadFilePath(a.name)}` : '';
  return noop(a.state === 'absent' ? `${a.name} is not loaded and not persisted` : `${a.name} is ${mod.state}${where}`);
}

function fileChanges(a: KernelModuleArgs, mod: KernelModuleState): Change[] {
  const want = wantedFiles(a);
  const out: Change[] = [];
  const sync = (path: string, have: string | null, wanted: string | null, keepExtra: boolean) => {
    if (wanted === null) {
      if (have !== null && !keepExtra) out.push(change(`remove ${path}`, exec(sh`rm -f -- ${path}`)));
      return;
    }
    if (have === wanted) return;
    const write = change(`${have === null ? 'create' : 'update'} ${path}`, put({ dest: path, content: wanted, mode: '0644' }));
    write.diff = { path, before: have, after: wanted };
    out.push(write);
  };
  const removing = a.state === 'absent';
  if (!a.persistent && !removing) return out;
  sync(loadFilePath(a.name), mod.loadFile, want.load, false);
  sync(optionsFilePath(a.name), mod.optionsFile, want.options, !removing);
  return out;
}

function predictKernelModule(a: KernelModuleArgs, { mod }: { mod: KernelModuleState }): Prediction[] {
  const want = wantedFiles(a);
  const removing = a.state === 'absent';
  const load = a.persistent || removing ? want.load : mod.loadFile;
  const options = removing ? null : (want.options ?? mod.optionsFile);
  const state = removing ? 'absent' : mod.state === 'builtin' ? 'builtin' : 'loaded';
  const fileFacts = (path: string, content: string | null): Prediction[] => [
    ...predictHashed(path, content === null ? null : predictedStat(copyArgs.parse({ dest: path, content, mode: '0644' }), null)),
    predict(pathExists(path), content !== null),
  ];
  return [
    predict(kernelModuleInfo(a.name), { ...mod, state, loadFile: load, optionsFile: options }),
    ...fileFacts(loadFilePath(a.name), load),
    ...fileFacts(optionsFilePath(a.name), options),
  ];
}

export const kernelModule = defineModule({
  name: 'kernelModule',
  args: kernelModuleArgs,
  describe: (a) => `kernel module ${a.name}${a.state === 'absent' ? ' absent' : ''}`,
  facts: (a) => ({ mod: kernelModuleInfo(a.name) }),
  plan: (a, f) => planKernelModule(a, f),
  predicts: (a, f) => predictKernelModule(a, f),
  affects: ['sysctl'],
});
