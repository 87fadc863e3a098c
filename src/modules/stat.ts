/**
 * `stat`: reads what is at a path, for later steps; changes nothing.
 *
 *   const conf = stat({ path: '/etc/app/app.conf' });
 *   const steps = [
 *     conf,
 *     shell({ script: 'app --init' }, { when: (ctx) => ctx.result(conf)?.data?.exists === false }),
 *   ];
 *   stat({ path: '/var/lib/images/disk.img', checksum: false })   // no sha256: large files are not read
 *
 * It reads the same facts as `file` and `copy`, so under --check it sees what earlier steps
 * would write. With `checksum: false` the file is not hashed (no `sha256sum` runs; `sha256`
 * is null): only `stat` reads it.
 */
import { z } from 'zod';
import { defineModule } from '../define/module.ts';
import { noop, type Plan } from '../define/plan.ts';
import { fileSha256, fileStat, withSha256, type FileStat, type HashedStat } from '../facts/file.ts';
import { remotePath } from './args.ts';

export const statArgs = z.object({ path: remotePath, checksum: z.boolean().default(true) }).strict();
export type StatArgs = z.output<typeof statArgs>;

export interface StatData {
  path: string;
  exists: boolean;
  type: FileStat['type'] | null;
  isFile: boolean;
  isDir: boolean;
  isLink: boolean;
  /** Four octal digits, e.g. '0644'. */
  mode: string | null;
  owner: string | null;
  group: string | null;
  size: number | null;
  /** For regular files, unless `checksum: false`. */
  sha256: string | null;
  /** For symbolic links. */
  linkTarget: string | null;
}

export const stat = defineModule({
  name: 'stat',
  args: statArgs,
  describe: (a) => `stat ${a.path}`,
  readOnly: true,
  facts: (a) => ({ st: fileStat(a.path), ...(a.checksum ? { sha: fileSha256(a.path) } : {}) }),
  plan: (a, { st }) => planStat(a, st),
  data: (a, { st, sha }): StatData => statData(a, withSha256(st, sha)),
});

export function planStat(a: StatArgs, st: HashedStat | null): Plan {
  return noop(st ? `${a.path} is a ${st.type}` : `${a.path} does not exist`);
}

export function statData(a: StatArgs, st: HashedStat | null): StatData {
  return {
    path: a.path,
    exists: st !== null,
    type: st?.type ?? null,
    isFile: st?.type === 'file',
    isDir: st?.type === 'directory',
    isLink: st?.type === 'link',
    mode: st?.mode ?? null,
    owner: st?.owner ?? null,
    group: st?.group ?? null,
    size: st?.size ?? null,
    sha256: a.checksum ? (st?.sha256 ?? null) : null,
    linkTarget: st?.target ?? null,
  };
}
