/**
 * zstd frames written by hand (RFC 8878 §3.1.1), so tests need no zstd binary: raw blocks for real
 * archives, and a header alone for an archive that declares more than it holds.
 */
const MAGIC = [0x28, 0xb5, 0x2f, 0xfd];
const MAX_BLOCK = 128 * 1024;

/** One single-segment frame holding `data` in raw (stored) blocks: valid zstd any decoder reads. */
export function rawZstd(data: Buffer): Buffer {
  const parts: Buffer[] = [Buffer.from([...MAGIC, 0xe0])]; // single segment, 8-byte content size
  const fcs = Buffer.alloc(8);
  fcs.writeBigUInt64LE(BigInt(data.length));
  parts.push(fcs);
  let at = 0;
  do {
    const n = Math.min(MAX_BLOCK, data.length - at);
    const last = at + n >= data.length ? 1 : 0;
    const h = (n << 3) | last; // block type 0: raw
    parts.push(Buffer.from([h & 0xff, (h >> 8) & 0xff, (h >> 16) & 0xff]), data.subarray(at, at + n));
    at += n;
  } while (at < data.length);
  return Buffer.concat(parts);
}

/**
 * 17 bytes: a single-segment frame declaring `declared` content bytes (so a decoder sizes its window
 * to that), then one RLE block of one byte, then a content checksum.
 */
export function bombFrame(declared: number): Buffer {
  const b = Buffer.alloc(17);
  b.set(MAGIC, 0);
  b[4] = 0xa4; // single segment, 4-byte content size, checksum flag
  b.writeUInt32LE(declared, 5);
  const h = (1 << 3) | (1 << 1) | 1; // size 1, RLE, last block
  b[9] = h;
  b[12] = 0x7b; // '{'
  return b; // bytes 13..16: checksum (zeros)
}
