/**
 * What a person sees, measured from a screenshot's pixels: a minimal PNG decoder (8-bit RGB/RGBA, not
 * interlaced, as Chromium writes them) and the WCAG 2 contrast ratio between an element's background and
 * its text. No browser-side colour maths: the pixels decide.
 */
import { inflateSync } from 'node:zlib';

export interface Image {
  width: number;
  height: number;
  /** RGBA, 4 bytes a pixel. */
  data: Uint8Array;
}

export function decodePng(png: Buffer): Image {
  if (png.readUInt32BE(0) !== 0x89504e47) throw new Error('not a PNG');
  let width = 0,
    height = 0,
    colorType = 0;
  const idat: Buffer[] = [];
  for (let off = 8; off < png.length;) {
    const len = png.readUInt32BE(off);
    const type = png.toString('latin1', off + 4, off + 8);
    const body = png.subarray(off + 8, off + 8 + len);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      const depth = body[8];
      colorType = body[9];
      if (depth !== 8 || (colorType !== 2 && colorType !== 6) || body[12] !== 0)
        throw new Error(`unsupported PNG: depth ${depth}, colour type ${colorType}, interlace ${body[12]}`);
    } else if (type === 'IDAT') idat.push(body);
    else if (type === 'IEND') break;
    off += 12 + len;
  }
  const bpp = colorType === 6 ? 4 : 3;
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * bpp;
  const out = new Uint8Array(width * height * 4);
  const prev = new Uint8Array(stride);
  const cur = new Uint8Array(stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let i = 0; i < stride; i++) {
      const a = i >= bpp ? cur[i - bpp] : 0,
        b = prev[i],
        c = i >= bpp ? prev[i - bpp] : 0;
      let p = line[i];
      if (filter === 1) p += a;
      else if (filter === 2) p += b;
      else if (filter === 3) p += (a + b) >> 1;
      else if (filter === 4) {
        const pa = Math.abs(b - c),
          pb = Math.abs(a - c),
          pc = Math.abs(a + b - 2 * c);
        p += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      cur[i] = p & 0xff;
    }
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 4;
      out[o] = cur[x * bpp];
      out[o + 1] = cur[x * bpp + 1];
      out[o + 2] = cur[x * bpp + 2];
      out[o + 3] = bpp === 4 ? cur[x * bpp + 3] : 255;
    }
    prev.set(cur);
  }
  return { width, height, data: out };
}

/** WCAG 2 relative luminance of an sRGB colour. */
export function luminance([r, g, b]: readonly number[]): number {
  const ch = (v: number) => {
    const s = v / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * ch(r) + 0.7152 * ch(g) + 0.0722 * ch(b);
}

export function contrastRatio(a: readonly number[], b: readonly number[]): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

/**
 * The contrast of text on its background in an element's screenshot: the background is the most common
 * colour; the text is the colour that stands out most from it among those covering at least 2 % of the
 * other pixels (a glyph's solid strokes; single anti-aliasing pixels do not count).
 */
export function textContrast(img: Image): { ratio: number; background: string; text: string } {
  const counts = new Map<number, number>();
  for (let i = 0; i < img.data.length; i += 4) {
    const key = (img.data[i] << 16) | (img.data[i + 1] << 8) | img.data[i + 2];
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const rgb = (k: number) => [(k >> 16) & 255, (k >> 8) & 255, k & 255];
  const hex = (k: number) => `#${k.toString(16).padStart(6, '0')}`;
  const sorted = [...counts].sort((a, b) => b[1] - a[1]);
  const [bg, bgCount] = sorted[0];
  const others = img.width * img.height - bgCount;
  let best = { ratio: 1, key: bg };
  for (const [k, n] of sorted.slice(1)) {
    if (n < Math.max(2, others * 0.02)) continue;
    const r = contrastRatio(rgb(bg), rgb(k));
    if (r > best.ratio) best = { ratio: r, key: k };
  }
  return { ratio: Math.round(best.ratio * 100) / 100, background: hex(bg), text: hex(best.key) };
}
