/**
 * YAML 1.2 with limits, for inventories and variable files: duplicate keys are errors,
 * aliases are capped (billion laughs), and scalars that YAML 1.1 (Ansible) and YAML 1.2
 * read differently, or that lose information, must be written unambiguously.
 *
 *   const doc = loadYaml('mode: "0644"\nport: 22\n', 'group_vars/all.yml');
 *   doc.value;                      // { mode: '0644', port: 22 }
 *   doc.locate(['port']);           // { line: 2, col: 1 }
 *   loadYaml('mode: 0644\n', 'x.yml');   // throws ConfigError x.yml:1:7 (key mode): ... quote it
 *
 * Every problem names file:line:col and the key path; all problems of a file are reported together.
 */
import { basename } from 'node:path';
import { LineCounter, isAlias, isMap, isPair, isScalar, isSeq, parseDocument } from 'yaml';
import type { Document, Node, Scalar } from 'yaml';
import { ConfigError } from '../errors.ts';
import type { ConfigProblem } from '../errors.ts';
import { NO_VAULT_PASSWORD_HINT, type VaultKeyring } from '../vault/keyring.ts';
import { isVaultText } from '../vault/format.ts';
import { asSecrets, sealVaultValues, VaultPlaintext } from '../vault/values.ts';

export type PathKey = string | number;

export interface LoadedYaml {
  value: unknown;
  /** Line and column of the key (or sequence item) at `path`, or of its nearest located parent. */
  locate(path: readonly PathKey[]): { line: number; col: number } | undefined;
  /** Key paths (see `pathId`) whose value carries Ansible's `!unsafe` tag: literal text by definition. */
  unsafe: ReadonlySet<string>;
}

export interface YamlLimits {
  /** Alias expansions allowed, weighted by the size of what they point at (default 100). */
  maxAliases?: number;
  /** Vault passwords: a vault-encrypted file or `!vault` value is opened with them, its text becoming Secrets. */
  vault?: VaultKeyring;
}

/** YAML 1.1 booleans that YAML 1.2 reads as strings (`true`/`false` mean the same in both). */
const YAML11_BOOL = /^(yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF)$/;
const LEADING_ZERO_INT = /^[-+]?0[0-9_]+$/;
const TRAILING_ZERO_FLOAT = /^[-+]?[0-9]*\.[0-9]*0(?:[eE][-+]?[0-9]+)?$/;

/** Stable identity of a key path, for maps keyed by path. */
export function pathId(path: readonly PathKey[]): string {
  return path.map(String).join('\u0000');
}

/** Key path as users write it: `all.children.web.hosts.web1` or `packages[2]`. */
export function formatKeyPath(path: readonly PathKey[]): string {
  let out = '';
  for (const k of path) out += typeof k === 'number' ? `[${k}]` : out ? `.${k}` : k;
  return out;
}

interface WalkState {
  file: string;
  lines: LineCounter;
  problems: ConfigProblem[];
  locations: Map<string, { line: number; col: number }>;
  unsafe: Set<string>;
  vault: VaultKeyring | undefined;
  firstAlias?: { line: number; col: number; keyPath: string };
}

/**
 * Parses one YAML document; throws a ConfigError listing every problem found. A whole file
 * encrypted with Ansible Vault is opened with `limits.vault`, and every text value in it is a Secret.
 */
export function loadYaml(text: string, file: string, limits: YamlLimits = {}): LoadedYaml {
  if (!isVaultText(text)) return loadPlainYaml(text, file, limits);
  if (!limits.vault?.size) throw new ConfigError('this file is vault-encrypted, and no vault password was given', { file, line: 1, col: 1, hint: NO_VAULT_PASSWORD_HINT });
  const doc = loadPlainYaml(limits.vault.open(text, { file, line: 1, col: 1 }), `${file} (decrypted)`, limits);
  return { ...doc, value: asSecrets(doc.value, basename(file)) };
}

function loadPlainYaml(text: string, file: string, limits: YamlLimits): LoadedYaml {
  const lines = new LineCounter();
  const doc = parseDocument(text, {
    version: '1.2',
    uniqueKeys: false,
    merge: true,
    prettyErrors: false,
    lineCounter: lines,
    customTags: [
      { tag: '!unsafe', resolve: (s: string) => s },
      { tag: '!vault', resolve: (s: string) => s },
    ],
  });
  const state: WalkState = { file, lines, problems: [], locations: new Map(), unsafe: new Set(), vault: limits.vault };
  for (const e of [...doc.errors, ...doc.warnings]) {
    const at = pos(state, e.pos[0]);
    const keyPath = formatKeyPath(keyPathAt(doc, e.pos[0]));
    state.problems.push({ message: `invalid YAML: ${firstLine(e.message)}`, file, ...at, keyPath: keyPath || undefined });
  }
  if (doc.contents) walk(doc.contents, [], state);
  if (state.problems.length > 0) throw ConfigError.of(state.problems);
  const value = sealVaultValues(toValue(doc, limits, state));
  return {
    value,
    unsafe: state.unsafe,
    locate: (path) => {
      for (let n = path.length; n > 0; n--) {
        const loc = state.locations.get(pathId(path.slice(0, n)));
        if (loc) return loc;
      }
      return undefined;
    },
  };
}

function toValue(doc: Document, limits: YamlLimits, state: WalkState): unknown {
  try {
    return doc.toJS({ maxAliasCount: limits.maxAliases ?? 100 });
  } catch (e) {
    if (!(e instanceof ReferenceError)) throw e;
    const at = state.firstAlias;
    throw new ConfigError(`YAML aliases expand too far (${e.message}); refusing to expand them`, {
      file: state.file,
      line: at?.line,
      col: at?.col,
      keyPath: at?.keyPath,
      hint: 'an alias bomb (billion laughs) or a very large reuse of anchors: write the values out instead',
    });
  }
}

function firstLine(message: string): string {
  return (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '').replace('; please use YAML.parseAllDocuments()', ': an inventory or variables file holds one document');
}

function walk(node: Node, path: PathKey[], state: WalkState): void {
  if (isAlias(node)) {
    if (!state.firstAlias) state.firstAlias = { ...pos(state, node.range?.[0]), keyPath: formatKeyPath(path) };
    return;
  }
  checkTag(node, path, state);
  if (isMap(node)) return walkMap(node.items, path, state);
  if (isSeq(node)) {
    node.items.forEach((item, i) => {
      const child = [...path, i];
      const range = (item as Node | null)?.range;
      if (range) state.locations.set(pathId(child), pos(state, range[0]));
      if (isPair(item)) walkMap([item], path, state);
      else if (item) walk(item as Node, child, state);
    });
    return;
  }
  if (isScalar(node)) checkScalar(node, path, state);
}

function walkMap(items: readonly unknown[], path: PathKey[], state: WalkState): void {
  const seen = new Map<string, number>();
  for (const pair of items) {
    if (!isPair(pair)) continue;
    const key = pair.key as Node | null;
    const at = pos(state, key?.range?.[0]);
    if (key && !isScalar(key)) {
      state.problems.push({ message: 'a mapping key must be a plain value, not a list or mapping', file: state.file, ...at, keyPath: formatKeyPath(path) || undefined });
      continue;
    }
    const name = String(key?.value ?? '');
    const child = [...path, name];
    if (name === '<<' && key?.type === 'PLAIN') {
      if (pair.value) walk(pair.value as Node, path, state);
      continue;
    }
    const first = seen.get(name);
    if (first !== undefined) {
      state.problems.push({
        message: `duplicate key "${name}" (first written at line ${first})`,
        file: state.file,
        ...at,
        keyPath: formatKeyPath(child),
        hint: 'YAML keys must be unique in a mapping; remove or rename one of them',
      });
      continue;
    }
    seen.set(name, at.line);
    state.locations.set(pathId(child), at);
    if (pair.value) walk(pair.value as Node, child, state);
  }
}

function checkTag(node: Node, path: PathKey[], state: WalkState): void {
  if (node.tag === '!unsafe') state.unsafe.add(pathId(path));
  if (node.tag === '!vault') openVaultValue(node, path, state);
}

/** Decrypts a `!vault` scalar in place; the value becomes a Secret once the tree is built. */
function openVaultValue(node: Node, path: PathKey[], state: WalkState): void {
  const at = { file: state.file, ...pos(state, node.range?.[0]), keyPath: formatKeyPath(path) || undefined };
  if (!isScalar(node) || typeof node.value !== 'string') {
    state.problems.push({ ...at, message: '!vault must tag the encrypted text (a block scalar: `!vault |`)', hint: 'make the value with `ansible-vault encrypt_string`' });
    return;
  }
  if (!state.vault?.size) {
    state.problems.push({ ...at, message: 'this value is vault-encrypted, and no vault password was given', hint: NO_VAULT_PASSWORD_HINT });
    return;
  }
  try {
    node.value = new VaultPlaintext(state.vault.open(node.value, at), formatKeyPath(path) || 'vault value');
  } catch (e) {
    if (e instanceof ConfigError) state.problems.push(...e.problems);
    else throw e;
  }
}

function checkScalar(node: Scalar, path: PathKey[], state: WalkState): void {
  if (node.type !== 'PLAIN' || node.tag) return;
  const src = node.source ?? '';
  const key = path.at(-1);
  if (typeof key === 'string' && key.startsWith('ansible_') && YAML11_BOOL.test(src)) {
    // Ansible's own settings (ansible_become: yes) are booleans there; read them the same way.
    node.value = /^(yes|on)$/i.test(src);
    return;
  }
  const message = scalarProblem(src, node.value);
  if (!message) return;
  state.problems.push({ file: state.file, ...pos(state, node.range?.[0]), keyPath: formatKeyPath(path) || undefined, ...message });
}

/** Why an unquoted scalar is ambiguous or lossy, or undefined when it is fine. */
export function scalarProblem(src: string, value: unknown): { message: string; hint: string } | undefined {
  if (typeof value === 'number' && LEADING_ZERO_INT.test(src)) {
    return {
      message: `unquoted ${src} is read as the decimal number ${value} (YAML 1.2), but as an octal number by YAML 1.1 and Ansible`,
      hint: `quote it ('${src}') for a file mode or any text, or write 0o${src.replace(/^[-+]?0+/, '')} for an octal number`,
    };
  }
  if (typeof value === 'number' && TRAILING_ZERO_FLOAT.test(src)) {
    return {
      message: `unquoted ${src} is read as the number ${value}, which drops the trailing zero`,
      hint: `quote it ('${src}') if it is a version or any text, or write ${value} if a number is meant`,
    };
  }
  if (typeof value === 'number' && losesPrecision(src, value)) {
    return { message: `unquoted ${src} cannot be represented exactly as a number (read as ${value})`, hint: `quote it ('${src}')` };
  }
  if (typeof value === 'string' && YAML11_BOOL.test(src)) {
    const b = /^(yes|on)$/i.test(src);
    return {
      message: `unquoted ${src} is the string "${src}" in YAML 1.2, but the boolean ${b} in YAML 1.1 and Ansible`,
      hint: `write ${b} for a boolean, or quote it ('${src}') for the word`,
    };
  }
  return undefined;
}

function losesPrecision(src: string, value: number): boolean {
  if (!Number.isFinite(value)) return false;
  if (Number.isInteger(value) && /^[-+]?[0-9_]+$/.test(src)) return !Number.isSafeInteger(value);
  if (!/^[-+]?[0-9]*\.?[0-9]*(?:[eE][-+]?[0-9]+)?$/.test(src)) return false;
  const digits = (s: string) => (s.split(/[eE]/)[0] ?? '').replace(/[-+.]/g, '').replace(/^0+/, '').replace(/0+$/, '');
  const wanted = digits(src);
  return wanted.length > 15 && wanted !== digits(String(value));
}

function pos(state: WalkState, offset: number | undefined): { line: number; col: number } {
  const p = state.lines.linePos(offset ?? 0);
  return { line: p.line, col: p.col };
}

/** The key path of the deepest mapping entry whose text contains `offset`. */
function keyPathAt(doc: Document, offset: number): PathKey[] {
  const path: PathKey[] = [];
  let node: unknown = doc.contents;
  for (let depth = 0; depth < 100 && node; depth++) {
    const next = childContaining(node, offset);
    if (!next) break;
    path.push(next.key);
    node = next.node;
  }
  return path;
}

function childContaining(node: unknown, offset: number): { key: PathKey; node: unknown } | undefined {
  if (isMap(node)) {
    for (const pair of node.items) {
      const key = pair.key as Node | null;
      const value = pair.value as Node | null;
      const start = key?.range?.[0] ?? value?.range?.[0];
      const end = value?.range?.[2] ?? key?.range?.[2];
      if (start !== undefined && end !== undefined && offset >= start && offset <= end) {
        return { key: isScalar(key) ? String(key.value) : '?', node: value };
      }
    }
  }
  if (isSeq(node)) {
    for (const [i, item] of node.items.entries()) {
      const r = (item as Node | null)?.range;
      if (r && offset >= r[0] && offset <= r[2]) return { key: i, node: item };
    }
  }
  return undefined;
}

/** The value of one YAML document read with the limits above; throws a ConfigError naming file:line:col. */
export function parseYamlStrict(text: string, file: string, limits?: YamlLimits): unknown {
  return loadYaml(text, file, limits).value;
}
