/**
 * Which of some programs the host has on its PATH, in the order asked.
 *
 *   commandsAvailable(['curl', 'wget', 'python3'])   // → ['wget', 'python3']
 */
import { defineFact } from '../define/fact.ts';
import { sh } from '../commands/quote.ts';

const PROGRAM = /^[A-Za-z0-9_][A-Za-z0-9_.+-]*$/;

export const commandsAvailable = defineFact<readonly string[], string[]>({
  name: 'tools.available',
  command: (names) => {
    const bad = names.find((n) => !PROGRAM.test(n));
    if (bad !== undefined) throw new Error(`not a program name: ${JSON.stringify(bad)}`);
    return sh`for c in ${names}; do if command -v "$c" >/dev/null 2>&1; then echo "$c"; fi; done`;
  },
  parse: (out, _code, names) => parseAvailable(out, names),
});

/** The names of `names` that appear as lines of `out`, in the order of `names`. */
export function parseAvailable(out: string, names: readonly string[]): string[] {
  const found = new Set(out.split('\n').map((l) => l.trim()));
  return names.filter((n) => found.has(n));
}
