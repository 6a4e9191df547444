import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Hash64 } from '../../src/core/hash64';

// Hash64 notices change (a log file's first bytes rewritten in place, a file of a folder touched): any
// one-byte change, any change of length, any change of where one text ends and the next begins.
describe('Hash64', { timeout: 10_000 }, () => {
  const hex = (f: (h: Hash64) => unknown) => {
    const h = new Hash64();
    f(h);
    return h.hex();
  };

  it('differs when any one byte of a head differs, in the four-byte words or the bytes after them', () => {
    const base = Buffer.from('{"type":"assistant","message":{"id":"msg_1"}}\n'.repeat(90)).subarray(0, 4093);
    const seen = new Set([hex((h) => h.bytes(base))]);
    // The lowest and the highest bit of each byte: the highest of a word's last byte is its bit 31.
    for (const bit of [0x01, 0x80])
      for (let i = 0; i < base.length; i++) {
        const b = Buffer.from(base);
        b[i] = b[i] ^ bit;
        seen.add(hex((h) => h.bytes(b)));
      }
    assert.equal(seen.size, 2 * base.length + 1);
    assert.equal(
      hex((h) => h.bytes(base)),
      hex((h) => h.bytes(Buffer.from(base))),
      'the same bytes, the same digest',
    );
  });

  it('differs with the length, with where texts meet, and with every number of a stat', () => {
    assert.notEqual(
      hex((h) => h.bytes(Buffer.alloc(8))),
      hex((h) => h.bytes(Buffer.alloc(9))),
    );
    assert.notEqual(
      hex((h) => h.text('ab').text('c')),
      hex((h) => h.text('a').text('bc')),
    );
    const stat = [5449545, 65024, 253182, 1796217934576.3464];
    const all = new Set([hex((h) => stat.forEach((x) => h.number(x)))]);
    stat.forEach((_, i) => all.add(hex((h) => stat.forEach((x, j) => h.number(j === i ? x + (i === 3 ? 0.5 : 1) : x)))));
    assert.equal(all.size, 5);
    assert.match(
      hex(() => {}),
      /^[0-9a-f]{16}$/,
    );
  });
});
