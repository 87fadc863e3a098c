/**
 * The framing of commands on a long-lived shell, byte by byte: markers split across chunks,
 * output without a final newline, stray bytes before the frame, marker-like text.
 *
 *   node --import tsx --test test/connectors/frame.test.ts
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildFrame, MarkedStream } from '../../src/connectors/common/frame.ts';

function feed(s: MarkedStream, text: string, size: number): void {
  const buf = Buffer.from(text);
  for (let i = 0; i < buf.length; i += size) s.push(buf.subarray(i, i + size));
}

describe('frame', () => {
  it('uses a fresh marker for every command', () => {
    const a = buildFrame({ words: 'true' });
    const b = buildFrame({ words: 'true' });
    assert.notEqual(a.marker, b.marker);
    assert.match(a.text, /true <\/dev\/null\n/);
  });

  it('delivers stdin as a base64 here-document with a random delimiter', () => {
    const f = buildFrame({ words: "sh -c 'cat'", stdin: Buffer.from('EOF\nexit 0\n') });
    const delim = /<<'(CAPSTAN_IN_[0-9a-f]+)'/.exec(f.text)?.[1];
    assert.ok(delim);
    assert.ok(f.text.includes(`\n${Buffer.from('EOF\nexit 0\n').toString('base64')}\n${delim}\n`));
    assert.doesNotMatch(f.text, /exit 0/);
  });

  for (const size of [1, 3, 7, 1000]) {
    it(`reads body and status with chunks of ${size} bytes`, () => {
      const m = ':capstan:abc:';
      const out = new MarkedStream(m, true);
      feed(out, `stray bytes${m}Bhello${m}no newline${m}E42\ntrailing`, size);
      assert.ok(out.done);
      assert.equal(out.body.toString(), `hello${m}no newline`);
      assert.equal(out.status, 42);
      const err = new MarkedStream(m, false);
      feed(err, `${m}B${m}E`, size);
      assert.ok(err.done);
      assert.equal(err.body.length, 0);
    });
  }

  it('waits for the status line to complete', () => {
    const out = new MarkedStream('M', true);
    out.push(Buffer.from('MBxME1'));
    assert.equal(out.done, false);
    out.push(Buffer.from('27\n'));
    assert.equal(out.status, 127);
    assert.equal(out.body.toString(), 'x');
  });
});
