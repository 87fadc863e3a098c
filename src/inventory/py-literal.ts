/**
 * INI inventory values, read the way Ansible reads them (Python literal syntax): quoted
 * strings, numbers, `True`/`False`/`None`, lists, tuples and dicts; anything else is kept
 * as the text itself.
 *
 *   iniValue('8080');             // 8080
 *   iniValue('True');             // true   (but 'true' and 'yes' stay text, as in Ansible)
 *   iniValue(`"eu west" # note`); // 'eu west'
 *   iniValue(`['a', 2]`);         // ['a', 2]
 *   iniValue('0644');             // '0644' (not a valid Python number: kept as text)
 *   iniValue('1.10');             // 1.1
 */

type Parsed = { value: unknown } | undefined;

class Fail extends Error {}

/** Parses a value like Ansible's INI plugin: a Python literal when it is one, else the text. */
export function iniValue(text: string): unknown {
  const parsed = parsePythonLiteral(text);
  return parsed ? parsed.value : text;
}

/** Parses a whole Python literal expression, or returns undefined when `text` is not one. */
export function parsePythonLiteral(text: string): Parsed {
  try {
    const p = new Parser(text);
    p.skipSpace();
    const value = p.expression();
    p.skipSpace();
    if (!p.done()) return undefined;
    return { value };
  } catch (e) {
    if (e instanceof Fail) return undefined;
    throw e;
  }
}

const NUMBER = /^(?:0[xX](?:_?[0-9a-fA-F])+|0[oO](?:_?[0-7])+|0[bB](?:_?[01])+|(?:[0-9](?:_?[0-9])*)?(?:\.(?:[0-9](?:_?[0-9])*)?)?(?:[eE][-+]?[0-9](?:_?[0-9])*)?)[jJ]?/;
const SIMPLE_ESCAPES: Record<string, string> = { '\n': '', '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

class Parser {
  private i = 0;
  constructor(private readonly s: string) {}

  done(): boolean {
    return this.i >= this.s.length;
  }

  skipSpace(): void {
    while (this.i < this.s.length) {
      const ch = this.s[this.i];
      if (ch === ' ' || ch === '\t' || ch === '\f') this.i++;
      else if (ch === '#') this.i = this.s.length;
      else break;
    }
  }

  expression(): unknown {
    this.skipSpace();
    const ch = this.s[this.i];
    if (ch === '[') return this.sequence('[', ']');
    if (ch === '(') return this.parenthesised();
    if (ch === '{') return this.braces();
    if (ch === '-' || ch === '+') {
      this.i++;
      this.skipSpace();
      const n = this.number();
      return ch === '-' ? -n : n;
    }
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.s.slice(this.i))?.[0];
    if (word && !this.startsString()) {
      this.i += word.length;
      if (word === 'True') return true;
      if (word === 'False') return false;
      if (word === 'None') return null;
      throw new Fail();
    }
    if (this.startsString()) return this.strings();
    return this.number();
  }

  private number(): number {
    const m = NUMBER.exec(this.s.slice(this.i));
    const text = m?.[0] ?? '';
    if (!text || text === '.' || /[jJ]$/.test(text)) throw new Fail();
    if (/^0[0-9_]*[1-9]/.test(text) && !/[.eE]/.test(text)) throw new Fail();
    this.i += text.length;
    if (/^[A-Za-z0-9_.]/.test(this.s[this.i] ?? '')) throw new Fail();
    const clean = text.replace(/_/g, '');
    if (/^0[oO]/.test(clean)) return parseInt(clean.slice(2), 8);
    if (/^0[bB]/.test(clean)) return parseInt(clean.slice(2), 2);
    const n = Number(clean);
    if (Number.isNaN(n)) throw new Fail();
    return n;
  }

  private startsString(): boolean {
    return /^(?:[rRuUbB]|[rR][bB]|[bB][rR])?['"]/.test(this.s.slice(this.i));
  }

  private strings(): string {
    let out = '';
    do {
      out += this.string();
      this.skipSpace();
    } while (this.startsString());
    return out;
  }

  private string(): string {
    const prefix = /^[rRuUbB]*/.exec(this.s.slice(this.i))?.[0] ?? '';
    this.i += prefix.length;
    const raw = /[rR]/.test(prefix);
    const q = this.s[this.i] as string;
    const triple = this.s.startsWith(q.repeat(3), this.i);
    const close = triple ? q.repeat(3) : q;
    this.i += close.length;
    let out = '';
    while (!this.s.startsWith(close, this.i)) {
      if (this.done()) throw new Fail();
      const ch = this.s[this.i++] as string;
      if (ch !== '\\') out += ch;
      else if (raw) out += ch + (this.s[this.i++] ?? '');
      else out += this.escape();
    }
    this.i += close.length;
    return out;
  }

  private escape(): string {
    const ch = this.s[this.i++];
    if (ch === undefined) throw new Fail();
    const simple = SIMPLE_ESCAPES[ch];
    if (simple !== undefined) return simple;
    const oct = /^[0-7]{1,3}/.exec(this.s.slice(this.i - 1))?.[0];
    if (oct) {
      this.i += oct.length - 1;
      return String.fromCodePoint(parseInt(oct, 8));
    }
    const width = ch === 'x' ? 2 : ch === 'u' ? 4 : ch === 'U' ? 8 : 0;
    if (!width) return `\\${ch}`;
    const hex = this.s.slice(this.i, this.i + width);
    if (!new RegExp(`^[0-9a-fA-F]{${width}}$`).test(hex)) throw new Fail();
    this.i += width;
    const code = parseInt(hex, 16);
    if (code > 0x10ffff) throw new Fail();
    return String.fromCodePoint(code);
  }

  private sequence(open: string, close: string): unknown[] {
    this.i += open.length;
    const items: unknown[] = [];
    for (;;) {
      this.skipSpace();
      if (this.s[this.i] === close) break;
      items.push(this.expression());
      this.skipSpace();
      if (this.s[this.i] === ',') this.i++;
      else if (this.s[this.i] !== close) throw new Fail();
    }
    this.i++;
    return items;
  }

  private parenthesised(): unknown {
    const start = this.i;
    this.i++;
    this.skipSpace();
    if (this.s[this.i] === ')') {
      this.i++;
      return [];
    }
    const first = this.expression();
    this.skipSpace();
    if (this.s[this.i] === ')') {
      this.i++;
      return first;
    }
    this.i = start;
    return this.sequence('(', ')');
  }

  private braces(): unknown {
    const start = this.i;
    this.i++;
    this.skipSpace();
    if (this.s[this.i] === '}') {
      this.i++;
      return {};
    }
    this.expression();
    this.skipSpace();
    const isDict = this.s[this.i] === ':';
    this.i = start;
    return isDict ? this.dict() : this.sequence('{', '}');
  }

  private dict(): Record<string, unknown> {
    this.i++;
    const entries: [string, unknown][] = [];
    for (;;) {
      this.skipSpace();
      if (this.s[this.i] === '}') break;
      const key = this.expression();
      if (key !== null && typeof key === 'object') throw new Fail();
      this.skipSpace();
      if (this.s[this.i++] !== ':') throw new Fail();
      entries.push([pyKey(key), this.expression()]);
      this.skipSpace();
      if (this.s[this.i] === ',') this.i++;
      else if (this.s[this.i] !== '}') throw new Fail();
    }
    this.i++;
    return Object.fromEntries(entries);
  }
}

/** Dict keys become JSON keys the way Python's json module writes them. */
function pyKey(key: unknown): string {
  if (key === true) return 'true';
  if (key === false) return 'false';
  if (key === null) return 'null';
  return String(key);
}
