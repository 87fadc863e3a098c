/**
 * A PATH for a fake host: every program the controller has, linked into a directory, minus
 * some (a host that lacks them) and with others counted (each start appends a line to a log).
 *
 *   const bin = hostPrograms({ without: ['sha256sum'], counted: ['sha256sum', 'stat'] });
 *   runWithFakes(pb, inv, { behaviour: { h: { path: bin.path } } });
 *   bin.started('stat')   // how many times the host started `stat`
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface HostPrograms {
  path: string;
  started(program: string): number;
  remove(): void;
}

export function hostPrograms(o: { without?: readonly string[]; counted?: readonly string[] } = {}): HostPrograms {
  const root = mkdtempSync(join(tmpdir(), 'capstan-host-bin-'));
  const bin = join(root, 'bin');
  const log = join(root, 'started.log');
  mkdirSync(bin);
  writeFileSync(log, '');
  const skip = new Set([...(o.without ?? []), ...(o.counted ?? [])]);
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(':')) {
    if (!dir || !existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      if (skip.has(name) || existsSync(join(bin, name))) continue;
      symlinkSync(join(dir, name), join(bin, name));
    }
  }
  for (const name of o.counted ?? []) {
    if (o.without?.includes(name)) continue;
    const real = (process.env.PATH ?? '').split(':').map((d) => join(d, name)).find((p) => existsSync(p));
    if (!real) throw new Error(`the controller has no ${name} to count`);
    writeFileSync(join(bin, name), `#!/bin/sh\necho ${name} >> '${log}'\nexec '${real}' "$@"\n`);
    chmodSync(join(bin, name), 0o755);
  }
  return {
    path: bin,
    started: (program) => readFileSync(log, 'utf8').split('\n').filter((l) => l === program).length,
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}
