/**
 * Kernel module facts: whether a module is loaded (or built in), whether modprobe exists, and
 * the two files that persist it, from one probe.
 *
 *   kernelModuleInfo('br_netfilter')
 *   // → { state: 'loaded', modprobe: true, release: '6.1.0-21-amd64', modulesDir: true,
 *   //     loadFile: 'br_netfilter\n', optionsFile: null }   // /etc/modules-load.d/… and /etc/modprobe.d/…
 *
 * `loaded`: listed in /proc/modules. `builtin`: part of the kernel image (in modules.builtin, or
 * present in /sys/module while absent from /proc/modules); such a module is always there and
 * cannot be unloaded.
 * Names compare with `-` and `_` as the same character, as the kernel does.
 */
import { defineFact } from '../define/fact.ts';
import { sh } from '../commands/quote.ts';

export interface KernelModuleState {
  state: 'loaded' | 'builtin' | 'absent';
  /** modprobe is installed (kmod). */
  modprobe: boolean;
  /** The running kernel's release (`uname -r`). */
  release: string;
  /** /lib/modules/<release> exists: there are loadable modules for the running kernel. */
  modulesDir: boolean;
  /** Content of /etc/modules-load.d/<name>.conf; null when absent. */
  loadFile: string | null;
  /** Content of /etc/modprobe.d/<name>.conf; null when absent. */
  optionsFile: string | null;
}

export const loadFilePath = (name: string) => `/etc/modules-load.d/${name}.conf`;
export const optionsFilePath = (name: string) => `/etc/modprobe.d/${name}.conf`;

/** The kernel's spelling of a module name (`-` as `_`). */
export function kernelName(name: string): string {
  return name.replace(/-/g, '_');
}

export const kernelModuleInfo = defineFact<string, KernelModuleState>({
  name: 'kernel.module',
  command: (name) => String(sh`n=${kernelName(name)}; lf=${loadFilePath(name)}; of=${optionsFilePath(name)}; `) + [
    `r=$(uname -r)`,
    `if awk -v n="$n" '{gsub("-","_",$1)} $1==n {f=1} END {exit !f}' /proc/modules 2>/dev/null; then echo state=loaded;` +
      ` elif awk -v n="$n" '{k=$0; sub(".*/","",k); sub("[.]ko.*$","",k); gsub("-","_",k)} k==n {f=1} END {exit !f}' "/lib/modules/$r/modules.builtin" 2>/dev/null || [ -d "/sys/module/$n" ]; then echo state=builtin;` +
      ` else echo state=absent; fi`,
    `if command -v modprobe >/dev/null 2>&1; then echo modprobe=yes; else echo modprobe=no; fi`,
    `printf 'release=%s\\n' "$r"`,
    `if [ -d "/lib/modules/$r" ]; then echo modulesdir=yes; else echo modulesdir=no; fi`,
    `if [ -f "$lf" ]; then printf 'load=%s\\n' "$(base64 -w0 < "$lf")"; else echo load=-; fi`,
    `if [ -f "$of" ]; then printf 'options=%s\\n' "$(base64 -w0 < "$of")"; else echo options=-; fi`,
  ].join('\n'),
  parse: (out) => parseKernelModule(out),
});

export function parseKernelModule(out: string): KernelModuleState {
  const kv = new Map<string, string>();
  for (const line of out.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) kv.set(line.slice(0, i), line.slice(i + 1).trim());
  }
  const state = kv.get('state');
  if (state !== 'loaded' && state !== 'builtin' && state !== 'absent') throw new Error('expected state=loaded|builtin|absent');
  const file = (k: string) => {
    const v = kv.get(k);
    return v === undefined || v === '-' ? null : Buffer.from(v, 'base64').toString('utf8');
  };
  return { state, modprobe: kv.get('modprobe') === 'yes', release: kv.get('release') ?? '', modulesDir: kv.get('modulesdir') === 'yes', loadFile: file('load'), optionsFile: file('options') };
}
