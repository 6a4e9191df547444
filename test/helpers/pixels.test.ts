// The pixel measure the end-to-end checks rely on, checked against PNGs made here and WCAG's own figures.
import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import { describe, it } from 'node:test';
import { contrastRatio, decodePng, textContrast } from './pixels';

function crc32(buf: Buffer): number {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}
function chunk(type: string, body: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  const tb = Buffer.concat([Buffer.from(type, 'latin1'), body]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(tb));
  return Buffer.concat([len, tb, crc]);
}
/** An RGB PNG with filter type `filter` on every row (0 none, 1 sub, 2 up). */
function png(width: number, height: number, pixel: (x: number, y: number) => number[], filter = 0): Buffer {
  const rows: number[] = [];
  let prev = new Array(width * 3).fill(0);
  for (let y = 0; y < height; y++) {
    const row = Array.from({ length: width }, (_, x) => pixel(x, y)).flat();
    rows.push(filter, ...row.map((v, i) => (filter === 1 ? v - (i >= 3 ? row[i - 3] : 0) : filter === 2 ? v - prev[i] : v) & 255));
    prev = row;
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.from(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

describe('contrast measured from pixels', { timeout: 10_000 }, () => {
  it('WCAG figures: black on white 21:1, #777 on white 4.48:1', () => {
    assert.equal(Math.round(contrastRatio([0, 0, 0], [255, 255, 255]) * 100) / 100, 21);
    assert.equal(Math.round(contrastRatio([0x77, 0x77, 0x77], [255, 255, 255]) * 100) / 100, 4.48);
  });

  for (const filter of [0, 1, 2]) {
    it(`decodes a PNG (filter ${filter}) and finds text and background`, () => {
      // 40×20 of #1f1f1f with a 10×6 block of #cccccc "text" and a few #555555 anti-aliasing pixels
      const img = decodePng(
        png(
          40,
          20,
          (x, y) =>
            x >= 5 && x < 15 && y >= 7 && y < 13 ? [0xcc, 0xcc, 0xcc] : x === 16 && y === 8 ? [0x55, 0x55, 0x55] : [0x1f, 0x1f, 0x1f],
          filter,
        ),
      );
      assert.deepEqual([img.width, img.height], [40, 20]);
      const c = textContrast(img);
      assert.deepEqual([c.background, c.text], ['#1f1f1f', '#cccccc']);
      assert.equal(c.ratio, 10.26); // luminance #cccccc 0.6038, #1f1f1f 0.0137: (0.6038 + 0.05) / (0.0137 + 0.05) = 10.26
    });
  }
});
