/**
 * Reads one line from the terminal with echo off (a password), the prompt on stderr.
 *
 *   const pw = await readHiddenLine('Vault password: ');
 *
 * Refused when standard input is not a terminal: a password never comes from a pipe by
 * accident (use a password file then). Ctrl-C at the prompt ends the process with 130.
 */
import { ConfigError, InterruptedError } from '../errors.ts';

export function readHiddenLine(question: string, input: NodeJS.ReadStream = process.stdin, output: NodeJS.WriteStream = process.stderr): Promise<string> {
  if (!input.isTTY || typeof input.setRawMode !== 'function') {
    return Promise.reject(new ConfigError('--ask-vault-pass needs a terminal, and standard input is not one', { hint: 'pass --vault-password-file FILE (or --vault-id LABEL@FILE) in scripts and CI' }));
  }
  input.setRawMode(true); // echo off before the prompt shows, so nothing typed after it is echoed
  output.write(question);
  input.resume();
  return new Promise((resolve, reject) => {
    let typed = '';
    const done = (fn: () => void) => {
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
      output.write('\n');
      fn();
    };
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return done(() => resolve(typed));
        if (ch === '\u0003') return done(() => reject(new InterruptedError('interrupted at the vault password prompt')));
        if (ch === '\u007f' || ch === '\b') typed = typed.slice(0, -1);
        else if (ch >= ' ') typed += ch;
      }
    };
    input.on('data', onData);
  });
}
