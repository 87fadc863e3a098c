/**
 * Splits an INI host line into words the way Ansible does (POSIX shell-like, `#` starts a
 * comment, quotes group words and are removed).
 *
 *   splitWords(`web1 ansible_user=ops motd="hello world" # primary`);
 *   // [{ text: 'web1', col: 1 }, { text: 'ansible_user=ops', col: 6 }, { text: 'motd=hello world', col: 23 }]
 *
 * Inside double quotes a backslash only escapes `"` and `\`; outside quotes it escapes any
 * character; single quotes keep everything literally. An unclosed quote is an error.
 */

export interface Word {
  text: string;
  /** 1-based column where the word starts. */
  col: number;
}

export class ShlexError extends Error {
  constructor(
    message: string,
    readonly col: number,
  ) {
    super(message);
  }
}

const WHITESPACE = /[ \t\r\n]/;

/**
 * Splits one line into words; throws ShlexError on an unclosed quote or a trailing backslash.
 * With `comments: false`, `#` is an ordinary character (command-line arguments, not INI lines).
 */
export function splitWords(line: string, opts: { comments?: boolean } = {}): Word[] {
  const comments = opts.comments !== false;
  const words: Word[] = [];
  let token = '';
  let start = -1;
  let quote: '"' | "'" | undefined;
  let quoteAt = 0;
  const flush = () => {
    if (start >= 0) words.push({ text: token, col: start + 1 });
    token = '';
    start = -1;
  };
  for (let i = 0; i < line.length; i++) {
    const ch = line[i] as string;
    if (quote) {
      if (ch === quote) quote = undefined;
      else if (ch === '\\' && quote === '"' && (line[i + 1] === '"' || line[i + 1] === '\\')) token += line[++i];
      else token += ch;
      continue;
    }
    if (WHITESPACE.test(ch)) {
      flush();
      continue;
    }
    if (ch === '#' && comments) break;
    if (start < 0) start = i;
    if (ch === '"' || ch === "'") {
      quote = ch;
      quoteAt = i;
    } else if (ch === '\\') {
      if (i + 1 >= line.length) throw new ShlexError('a backslash at the end of the line escapes nothing', i + 1);
      token += line[++i];
    } else {
      token += ch;
    }
  }
  if (quote) throw new ShlexError(`no closing quotation for the ${quote} at column ${quoteAt + 1}`, quoteAt + 1);
  flush();
  return words;
}

/** Command-line words as a POSIX shell splits them (quotes removed; `#` kept): `--a 'b c'` -> ['--a', 'b c']. */
export function splitShellWords(line: string): string[] {
  return splitWords(line, { comments: false }).map((w) => w.text);
}
