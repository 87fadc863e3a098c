/**
 * Regenerates roles/k3s-server/src/k3s-config-schema.ts from K3s's own flag definitions, for
 * the K3s release the roles pin (run it whenever DEFAULT_K3S_VERSION changes):
 *
 *   node --import tsx scripts/k3s-config-schema.ts --tag v1.32.11+k3s3 > roles/k3s-server/src/k3s-config-schema.ts
 *       reads the files at https://raw.githubusercontent.com/k3s-io/k3s/<tag>/<file> (needs internet)
 *   node --import tsx scripts/k3s-config-schema.ts --checkout ~/src/k3s --tag v1.32.11+k3s3 [--commit SHA] > …
 *       reads them from a local checkout of that tag (`git clone --depth 1 --branch <tag> https://github.com/k3s-io/k3s`)
 *
 * It reads every urfave/cli flag (v1 `Name: "data-dir,d"` and v2 `Name:` + `Aliases:` forms,
 * named variables or inline literals) in the files below, then the flag lists of
 * NewServerCommand (ServerFlags) and NewAgentCommand. Each flag gives its names and a type:
 * StringFlag string, BoolFlag/BoolTFlag bool, IntFlag int, StringSliceFlag stringSlice,
 * DurationFlag duration. A list item it cannot read is an error, never a silent omission.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export type FlagType = 'string' | 'bool' | 'int' | 'stringSlice' | 'duration';
export interface SchemaKeys { server: Record<string, FlagType>; agent: Record<string, FlagType> }
export interface SchemaSource { tag: string; commit: string; files: readonly string[] }

export const FLAG_FILES = ['pkg/cli/cmds/server.go', 'pkg/cli/cmds/agent.go', 'pkg/cli/cmds/log.go', 'pkg/cli/cmds/config.go', 'pkg/cli/cmds/root.go', 'pkg/cli/cmds/init_linux.go'];

const TYPES: Record<string, FlagType> = {
  String: 'string', Bool: 'bool', BoolT: 'bool', Int: 'int', Int64: 'int', Uint: 'int', Uint64: 'int', StringSlice: 'stringSlice', Duration: 'duration',
};

interface Flag { names: string[]; type: FlagType }

/** The text without Go comments; string literals are kept as they are. */
function stripComments(src: string): string {
  let out = '';
  for (let i = 0; i < src.length; i++) {
    const c = src[i] as string;
    if (c === '"' || c === '`') {
      let j = i + 1;
      while (j < src.length && src[j] !== c) j += c === '"' && src[j] === '\\' ? 2 : 1;
      out += src.slice(i, j + 1);
      i = j;
    } else if (src.startsWith('//', i)) {
      while (i < src.length && src[i] !== '\n') i++;
      out += '\n';
    } else if (src.startsWith('/*', i)) {
      i = src.indexOf('*/', i) + 1;
    } else out += c;
  }
  return out;
}

/** Index just past the bracket closing the one opened at `open` (string literals skipped). */
function closing(src: string, open: number): number {
  const pairs: Record<string, string> = { '{': '}', '(': ')', '[': ']' };
  const stack: string[] = [];
  for (let i = open; i < src.length; i++) {
    const c = src[i] as string;
    if (c === '"' || c === '`') {
      let j = i + 1;
      while (j < src.length && src[j] !== c) j += c === '"' && src[j] === '\\' ? 2 : 1;
      i = j;
    } else if (pairs[c]) stack.push(pairs[c]);
    else if (c === stack.at(-1)) {
      stack.pop();
      if (stack.length === 0) return i + 1;
    }
  }
  throw new Error(`unbalanced bracket at offset ${open}`);
}

/** Items of a Go composite literal body, split at top-level commas. */
function items(body: string): string[] {
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body[i] as string;
    if ('{(['.includes(c) || c === '"' || c === '`') {
      i = c === '"' || c === '`' ? closingQuote(body, i) : closing(body, i) - 1;
    } else if (c === ',') {
      out.push(body.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(body.slice(start).trim());
  return out.filter(Boolean);
}

function closingQuote(src: string, i: number): number {
  const q = src[i];
  let j = i + 1;
  while (j < src.length && src[j] !== q) j += q === '"' && src[j] === '\\' ? 2 : 1;
  return j;
}

function flagLiteral(kind: string, body: string, where: string): Flag {
  const type = TYPES[kind];
  if (!type) throw new Error(`${where}: cli.${kind}Flag has no config type here (add it to TYPES)`);
  const name = /(?:^|[\s{,])Name:\s*"([^"]+)"/.exec(body)?.[1];
  if (!name) throw new Error(`${where}: a cli.${kind}Flag without a literal Name`);
  const aliases = /Aliases:\s*\[\]string\{([^}]*)\}/.exec(body)?.[1]?.match(/"([^"]+)"/g)?.map((s) => s.slice(1, -1)) ?? [];
  return { names: [...name.split(',').map((n) => n.trim()), ...aliases], type };
}

/** Flags assigned to a name anywhere in the files: `NodeLabels = &cli.StringSliceFlag{...}`. */
function namedFlags(texts: string[]): Map<string, Flag> {
  const named = new Map<string, Flag>();
  for (const t of texts) {
    for (const m of t.matchAll(/(\w+)\s*=\s*&?cli\.(\w+)Flag\s*\{/g)) {
      const open = (m.index ?? 0) + m[0].length - 1;
      named.set(m[1] as string, flagLiteral(m[2] as string, t.slice(open + 1, closing(t, open) - 1), m[1] as string));
    }
  }
  return named;
}

/** Body of `NAME = []cli.Flag{...}`, or of the `Flags: []cli.Flag{...}` in `func NAME(`. */
function flagList(texts: string[], command: string, listVar: string): string {
  for (const t of texts) {
    const v = new RegExp(`\\b${listVar}\\s*=\\s*\\[\\]cli\\.Flag\\s*\\{`).exec(t);
    const fn = new RegExp(`func ${command}\\(`).exec(t);
    const at = v ? v.index + v[0].length - 1 : -1;
    if (at >= 0) return t.slice(at + 1, closing(t, at) - 1);
    if (!fn) continue;
    const bodyOpen = t.indexOf('{', t.indexOf(')', t.indexOf(')', fn.index) + 1));
    const body = t.slice(bodyOpen, closing(t, bodyOpen));
    const flags = /Flags:\s*(?:\[\]cli\.Flag\s*\{|(\w+))/.exec(body);
    if (!flags) throw new Error(`${command} sets no Flags`);
    if (flags[1]) return flagList(texts, '\0', flags[1]);
    const open = flags.index + flags[0].length - 1;
    return body.slice(open + 1, closing(body, open) - 1);
  }
  throw new Error(`no flag list for ${command} (${listVar}) in the files read`);
}

function commandKeys(texts: string[], named: Map<string, Flag>, command: string, listVar: string): Record<string, FlagType> {
  const keys: Record<string, FlagType> = {};
  for (const item of items(flagList(texts, command, listVar))) {
    const inline = /^&?cli\.(\w+)Flag\s*\{/.exec(item);
    const ref = /^&?(\w+)$/.exec(item);
    const flag = inline ? flagLiteral(inline[1] as string, item.slice(inline[0].length, -1), command) : ref ? named.get(ref[1] as string) : undefined;
    if (!flag) throw new Error(`${command}: cannot read the flag list item ${JSON.stringify(item.slice(0, 80))}`);
    for (const n of flag.names) keys[n] = flag.type;
  }
  return Object.fromEntries(Object.keys(keys).sort().map((k) => [k, keys[k] as FlagType]));
}

/** Server and agent config keys from the Go files (path → text). */
export function parseFlagFiles(files: Readonly<Record<string, string>>): SchemaKeys {
  const texts = Object.values(files).map(stripComments);
  const named = namedFlags(texts);
  return { server: commandKeys(texts, named, 'NewServerCommand', 'ServerFlags'), agent: commandKeys(texts, named, 'NewAgentCommand', 'AgentFlags') };
}

const entries = (keys: Record<string, FlagType>) => Object.entries(keys).map(([k, t]) => `    '${k}': '${t}',`).join('\n');

/** The TypeScript module roles/k3s-server/src/k3s-config-schema.ts. */
export function renderSchema(keys: SchemaKeys, src: SchemaSource): string {
  return `/**
 * The configuration keys K3s accepts in /etc/rancher/k3s/config.yaml, with their types, for the
 * K3s release the roles pin. Each key is a command-line flag of \`k3s server\` or \`k3s agent\`
 * (long name, and its short alias when it has one); the type is the flag's urfave/cli kind.
 *
 *   K3S_CONFIG_KEYS.server['etcd-snapshot-retention']   // 'int'
 *   K3S_CONFIG_KEYS.agent['kubelet-arg']                // 'stringSlice'
 *
 * Source: github.com/k3s-io/k3s, tag ${src.tag} (commit ${src.commit}),
 * files ${src.files.join(', ')}.
 * Written by scripts/k3s-config-schema.ts: regenerate it when the pinned release changes.
 * A unit test fails when this tag and the roles' default k3s_version differ.
 */

export type K3sFlagType = 'string' | 'bool' | 'int' | 'stringSlice' | 'duration';

export const K3S_CONFIG_SOURCE = {
  repository: 'https://github.com/k3s-io/k3s',
  tag: '${src.tag}',
  commit: '${src.commit}',
  files: [${src.files.map((f) => `'${f}'`).join(', ')}],
} as const;

export const K3S_CONFIG_KEYS: { readonly server: Readonly<Record<string, K3sFlagType>>; readonly agent: Readonly<Record<string, K3sFlagType>> } = {
  server: {
${entries(keys.server)}
  },
  agent: {
${entries(keys.agent)}
  },
};
`;
}

async function cli(argv: string[]): Promise<void> {
  const opt = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const tag = opt('--tag');
  const checkout = opt('--checkout');
  if (!tag) throw new Error('usage: k3s-config-schema.ts --tag vX.Y.Z+k3sN [--checkout DIR] [--commit SHA]');
  const files: Record<string, string> = {};
  for (const f of FLAG_FILES) {
    if (checkout) files[f] = await readFile(join(checkout, f), 'utf8').catch(() => '');
    else {
      const r = await fetch(`https://raw.githubusercontent.com/k3s-io/k3s/${encodeURIComponent(tag)}/${f}`);
      files[f] = r.ok ? await r.text() : '';
    }
  }
  const read = FLAG_FILES.filter((f) => files[f]);
  process.stdout.write(renderSchema(parseFlagFiles(files), { tag, commit: opt('--commit') ?? '(not given)', files: read }));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  cli(process.argv.slice(2)).catch((e: unknown) => {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exit(1);
  });
}
