/**
 * zstd decompression with a bound on memory and on output, for archives from outside.
 *
 * fzstd allocates each frame's whole window (for a single-segment frame: its declared content size)
 * as soon as it reads the frame header, before any output; 17 bytes can declare 2 GB. So every
 * frame's header and block headers are read here first (RFC 8878 §3.1.1), and a file is refused
 * before any allocation when a frame declares a window or content size over the bound, or would
 * need more than `maxRatio` output bytes per input byte. Output is streamed to the caller and
 * counted, so a frame that lies about its size is stopped at the same bound.
 */
import { Decompress } from 'fzstd';
import { errorMessage } from '../errors';

export interface ZstdLimits {
  /** The largest window (or declared frame content size) a frame may ask for. */
  maxWindowBytes: number;
  /** Output bytes allowed per input byte of the file... */
  maxRatio: number;
  /** ...but never fewer than this (a small archive of a normal window is fine). */
  floorBytes: number;
}

export const ZSTD_LIMITS: Readonly<ZstdLimits> = Object.freeze({
  maxWindowBytes: 256 * 1024 * 1024,
  maxRatio: 1000,
  floorBytes: 32 * 1024 * 1024,
});

/** The archive asks for more than the bound: the whole file is skipped, with this reason. */
export class ZstdLimitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ZstdLimitError';
  }
}

/** Damaged data: not zstd, or cut short. */
class ZstdDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ZstdDataError';
  }
}

interface Frame {
  start: number;
  end: number;
  window: number;
  declared: number | null;
}

const ZSTD_MAGIC = 0xfd2fb528;
const MiB = 1024 * 1024;

function need(data: Uint8Array, at: number, n: number): void {
  if (at + n > data.length) throw new ZstdDataError(`cut short at byte ${data.length} (a frame needs ${at + n})`);
}

function readLE(data: Uint8Array, at: number, n: number): number {
  need(data, at, n);
  let v = 0;
  for (let i = n - 1; i >= 0; i--) v = v * 256 + data[at + i]!;
  return v;
}

/** Reads one frame's header and walks its blocks; null for a skippable frame (returns its end). */
function frameAt(data: Uint8Array, pos: number): Frame | number {
  need(data, pos, 4);
  const magic = readLE(data, pos, 4);
  if (magic >>> 4 === 0x184d2a5) {
    need(data, pos, 8);
    return pos + 8 + readLE(data, pos + 4, 4);
  }
  if (magic !== ZSTD_MAGIC) throw new ZstdDataError(`no zstd frame at byte ${pos}`);
  need(data, pos, 6);
  const fhd = readLE(data, pos + 4, 1);
  if (fhd & 8) throw new ZstdDataError(`reserved bit set in the frame header at byte ${pos}`);
  const single = (fhd >> 5) & 1;
  const fcsFlag = fhd >> 6;
  let at = pos + 5;
  let window = 0;
  if (!single) {
    const wd = readLE(data, at++, 1);
    const base = 2 ** (10 + (wd >> 3));
    window = base + (base / 8) * (wd & 7);
  }
  at += [0, 1, 2, 4][fhd & 3]!;
  const fcsBytes = fcsFlag === 0 ? single : 1 << fcsFlag;
  need(data, at, fcsBytes);
  const declared = fcsBytes === 0 ? null : readLE(data, at, fcsBytes) + (fcsBytes === 2 ? 256 : 0);
  at += fcsBytes;
  if (single) window = declared ?? 0;
  for (;;) {
    need(data, at, 3);
    const h = readLE(data, at, 3);
    const type = (h >> 1) & 3;
    if (type === 3) throw new ZstdDataError(`reserved block type at byte ${at}`);
    at += 3 + (type === 1 ? 1 : h >>> 3);
    if (h & 1) break;
  }
  if ((fhd >> 2) & 1) at += 4;
  need(data, pos, at - pos);
  return { start: pos, end: at, window, declared };
}

const mib = (n: number) => `${Math.round((n / MiB) * 10) / 10} MiB`;

/** Checks every frame of `data` against the limits without decompressing anything. */
export function checkZstd(data: Uint8Array, limits: ZstdLimits = ZSTD_LIMITS): Frame[] {
  const frames: Frame[] = [];
  const allowed = Math.min(limits.maxWindowBytes, Math.max(limits.floorBytes, data.length * limits.maxRatio));
  for (let pos = 0; pos < data.length;) {
    const f = frameAt(data, pos);
    if (typeof f === 'number') {
      pos = f;
      continue;
    }
    const asked = Math.max(f.window, f.declared ?? 0);
    if (asked > allowed) {
      throw new ZstdLimitError(
        `a zstd frame at byte ${f.start} declares ${mib(asked)} (${asked} bytes); at most ${mib(allowed)} is allowed for ${data.length} compressed bytes`,
      );
    }
    frames.push(f);
    pos = f.end;
  }
  return frames;
}

/**
 * Decompresses `data` frame by frame, handing output to `onChunk` as it comes. Throws
 * ZstdLimitError (nothing should be kept) or ZstdDataError.
 */
export function decompressBounded(data: Uint8Array, onChunk: (chunk: Uint8Array) => void, limits: ZstdLimits = ZSTD_LIMITS): number {
  const frames = checkZstd(data, limits);
  const maxOut = Math.max(limits.floorBytes, data.length * limits.maxRatio);
  let out = 0;
  for (const f of frames) {
    const dz = new Decompress((chunk) => {
      out += chunk.length;
      if (out > maxOut) throw new ZstdLimitError(`decompresses to more than ${mib(maxOut)} (${limits.maxRatio}× its ${data.length} bytes)`);
      onChunk(chunk);
    });
    try {
      dz.push(data.subarray(f.start, f.end), true);
    } catch (err) {
      if (err instanceof ZstdLimitError) throw err;
      throw new ZstdDataError(errorMessage(err));
    }
  }
  return out;
}
