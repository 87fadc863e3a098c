/**
 * The file content fact: one command whose output carries the file in base64, and a pure
 * parser. Table tests feed the parser output; the round trips run the real command with the
 * controller's `sh` on real files, byte for byte.
 *
 *   node --import tsx --test test/facts/content.test.ts
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CONTENT_LIMIT, contentScript, fileContent, parseFileContent, textFileValue, type FileContent } from '../../src/facts/content.ts';
import { HOSTILE, HOSTILE_FILE_NAMES, PWNED } from '../connectors/support/hostile.ts';

const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');
const sha = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');

describe('parseFileContent', () => {
  const table: { name: string; out: string; want: FileContent }[] = [
    { name: 'a missing file', out: 'absent\n', want: { exists: false } },
    { name: 'a directory', out: 'directory\n', want: { exists: true, readable: false, reason: 'is a directory' } },
    { name: 'a device or socket', out: 'other\n', want: { exists: true, readable: false, reason: 'is not a regular file' } },
    { name: 'an empty file', out: 'file 644|root|root|0\ncontent\n', want: textFileValue('', { mode: '0644', owner: 'root', group: 'root' }) },
    {
      name: 'base64 split over lines', out: `file 600|app|adm|9\ncontent\n${b64('a\r\nb\tc\rd').slice(0, 8)}\n${b64('a\r\nb\tc\rd').slice(8)}\n`,
      want: textFileValue('a\r\nb\tc\rd', { mode: '0600', owner: 'app', group: 'adm' }),
    },
    {
      name: 'a symbolic link', out: `link ${b64('/etc/real file')}\nfile 4755|root|root|2\ncontent\n${b64('x\n')}\n`,
      want: textFileValue('x\n', { mode: '4755', owner: 'root', group: 'root', realPath: '/etc/real file' }),
    },
    { name: 'a dangling link', out: `link ${b64('/nowhere')}\nabsent\n`, want: { exists: false, realPath: '/nowhere' } },
    { name: 'a link loop', out: 'brokenlink\n', want: { exists: true, readable: false, reason: 'is a symbolic link that cannot be resolved (a loop?)' } },
    { name: 'a file too large', out: 'file 644|root|root|5000000\ntoolarge\n', want: { exists: true, readable: false, reason: 'is larger than 4 MiB (5000000 bytes), too large to edit in place' } },
    { name: 'a read error', out: 'file 644|root|root|3\ncontent\n!unreadable\n', want: { exists: true, readable: false, reason: 'cannot be read' } },
    { name: 'bytes that are not UTF-8', out: `file 644|root|root|2\ncontent\n${b64(Buffer.from([0xff, 0xfe]))}\n`, want: { exists: true, readable: false, reason: 'is not UTF-8 text' } },
  ];
  for (const t of table) it(`reads ${t.name}`, () => assert.deepEqual(parseFileContent(t.out), t.want));

  it('keeps a byte order mark and multibyte text exactly', () => {
    const text = '\ufeffé中😀\u202eRTL\n';
    const got = parseFileContent(`file 644|root|root|1\ncontent\n${b64(text)}\n`);
    assert.ok(got.exists && got.readable);
    assert.equal(got.text, text);
    assert.equal(got.sha256, sha(text));
    assert.equal(got.size, Buffer.byteLength(text));
  });

  it('refuses output the command cannot produce', () => {
    assert.throws(() => parseFileContent('garbage\n'), /unexpected file content output/);
  });

  it('is one fact per path, in the file family', () => {
    assert.equal(fileContent('/etc/a').name, 'file.content');
    assert.notEqual(fileContent('/etc/a').key, fileContent('/etc/b').key);
  });
});

describe('the content command on real files', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'capstan-content-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  const read = (path: string) => parseFileContent(execFileSync('sh', ['-c', contentScript(path)], { encoding: 'utf8', maxBuffer: 64 << 20 }));

  const contents: [string, string | Buffer][] = [
    ['no trailing newline', 'a\nb'],
    ['CRLF', 'a\r\nb\r\n'],
    ['a lone CR', 'cr\r\nx\ry\n'],
    ['multibyte', 'é中😀\n'],
    ['empty', ''],
    ['NUL bytes', 'a\0b\n'],
    ['only newlines', '\n\n\n'],
  ];
  for (const [name, content] of contents) {
    it(`round-trips ${name}`, () => {
      const path = join(dir, `f-${name}`);
      writeFileSync(path, content);
      const got = read(path);
      assert.ok(got.exists && got.readable, JSON.stringify(got));
      assert.ok(Buffer.from(got.text, 'utf8').equals(Buffer.from(content)));
      assert.equal(got.sha256, sha(content));
    });
  }

  it('round-trips every hostile string as content', () => {
    const path = join(dir, 'hostile');
    for (const s of HOSTILE) {
      writeFileSync(path, s);
      const got = read(path);
      assert.ok(got.exists && got.readable && got.text === s, `content ${JSON.stringify(s.slice(0, 40))}`);
    }
  });

  it('reads files whose names are hostile strings', () => {
    for (const name of HOSTILE_FILE_NAMES) {
      const path = join(dir, name);
      writeFileSync(path, `name ${name}\n`);
      const got = read(path);
      assert.ok(got.exists && got.readable && got.text === `name ${name}\n`, `name ${JSON.stringify(name.slice(0, 40))}`);
    }
    assert.deepEqual(read(join(dir, 'absent $(touch /tmp/PWNED)')), { exists: false });
    assert.equal(existsSync(PWNED), false);
  });

  it('follows a symbolic link and says where it points', () => {
    writeFileSync(join(dir, 'target'), 't\n');
    symlinkSync(join(dir, 'target'), join(dir, 'link'));
    symlinkSync(join(dir, 'missing'), join(dir, 'dangling'));
    const got = read(join(dir, 'link'));
    assert.ok(got.exists && got.readable);
    assert.equal(got.text, 't\n');
    assert.equal(got.realPath, join(dir, 'target'));
    assert.deepEqual(read(join(dir, 'dangling')), { exists: false, realPath: join(dir, 'missing') });
  });

  it('reports a directory and a file over the limit without reading them', () => {
    mkdirSync(join(dir, 'sub'));
    assert.deepEqual(read(join(dir, 'sub')), { exists: true, readable: false, reason: 'is a directory' });
    writeFileSync(join(dir, 'big'), '');
    truncateSync(join(dir, 'big'), CONTENT_LIMIT + 1);
    const got = read(join(dir, 'big'));
    assert.ok(got.exists && !got.readable && /larger than 4 MiB/.test(got.reason));
  });

  it('reads a file exactly at the limit', () => {
    writeFileSync(join(dir, 'edge'), '');
    truncateSync(join(dir, 'edge'), CONTENT_LIMIT);
    const got = read(join(dir, 'edge'));
    assert.ok(got.exists && got.readable && got.size === CONTENT_LIMIT);
  });
});
