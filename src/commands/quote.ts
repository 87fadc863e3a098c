/**
 * POSIX shell quoting: the one place where arguments become shell text.
 *
 *   quote("it's")            // 'it'\''s'
 *   quote('')                // ''   (empty arguments survive)
 *   sh`rm -f -- ${path}`     // every interpolated value is quoted; arrays become several words
 *
 * NUL cannot travel in a POSIX argument and is rejected with a clear error.
 */
import { ConfigError } from '../errors.ts';
import { Secret } from './secret.ts';

/** Quotes one argument in POSIX single quotes. */
export function quote(arg: string | number): string {
  const s = String(arg);
  if (s.includes('\0')) throw new ConfigError(`a value contains a NUL byte, which cannot be passed to a shell: ${JSON.stringify(s.slice(0, 40))}`);
  if (s !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** A piece of shell text that must not be quoted again (from `sh` or `raw`). */
export class ShellText {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

/** Marks trusted shell text (operators, redirections) written by Capstan itself. */
export function raw(text: string): ShellText {
  return new ShellText(text);
}

type Interpolated = string | number | ShellText | readonly (string | number)[];

/** Template tag that quotes every interpolated value; arrays expand to several quoted words. */
export function sh(strings: TemplateStringsArray, ...values: Interpolated[]): ShellText {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    if (v instanceof Secret) throw new ConfigError('a Secret was interpolated into a command line; pass it through stdin or a 0600 file instead');
    if (v instanceof ShellText) out += v.text;
    else if (Array.isArray(v)) out += v.map((x) => quote(x)).join(' ');
    else out += quote(v as string | number);
    out += strings[i + 1] ?? '';
  });
  return new ShellText(out);
}

/** Joins shell steps with `&&` so that a failing step stops the rest. */
export function andThen(...parts: (ShellText | string)[]): ShellText {
  return new ShellText(parts.map((p) => String(p)).filter(Boolean).join(' && '));
}
