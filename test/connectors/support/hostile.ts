/**
 * The hostile strings of RELIABILITY.md: every one must reach the host byte for byte (or be
 * rejected with a clear error), and /tmp/PWNED must never exist.
 *
 *   for (const s of HOSTILE) assert.equal(await echoBack(s), s);
 */
export const HOSTILE: readonly string[] = [
  '', ' ', 'a b', "it's", '"', '\\', '$(touch /tmp/PWNED)', '`touch /tmp/PWNED`',
  '${IFS}', '$HOME', 'a;touch /tmp/PWNED', 'a&&touch /tmp/PWNED', 'a|tee /tmp/PWNED',
  'line1\nline2', 'cr\r', 'tab\tx', '-rf', '--help', '-oProxyCommand=touch /tmp/PWNED',
  '*', '~', '!', '#comment', '%s%n', "'; rm -rf / #", '<%= process.env %>', '{{ 7*7 }}',
  'é中😀', '\u202eRTL', 'ANSI\u001b[31mred', '../../etc/passwd', '__proto__',
  'constructor', 'delimiter', 'debug', 'x'.repeat(100000), '0644', 'no', 'null',
];

/** Strings usable as one file name: no '/', not empty, not '.' or '..', short enough. */
export const HOSTILE_FILE_NAMES = HOSTILE.filter((s) => s !== '' && !s.includes('/') && Buffer.byteLength(s) <= 200);

export const PWNED = '/tmp/PWNED';
