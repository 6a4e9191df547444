/**
 * A 64-bit hash in two 32-bit lanes (cyrb53's mixing: Math.imul and shifts), fed text, bytes and
 * numbers without allocating. For noticing change (a log file's first bytes, a folder of files as
 * they were), where node:crypto's start-up (~5–15 ms of a re-run) bought nothing: it is no defence
 * against a crafted collision, and none of its uses needs one (see each).
 */
const NUMBER = new Float64Array(1);
const WORDS = new Uint32Array(NUMBER.buffer);

export class Hash64 {
  private h1: number;
  private h2: number;

  constructor(seed = 0) {
    this.h1 = 0xdeadbeef ^ seed;
    this.h2 = 0x41c6ce57 ^ seed;
  }

  /**
   * A whole 32-bit word: after the multiplication the high half is folded into the low, as a change in
   * a word's top bits would otherwise only ever reach the top bits (a multiplication carries upward).
   */
  private word(w: number): void {
    const h1 = Math.imul(this.h1 ^ w, 2654435761);
    const h2 = Math.imul(this.h2 ^ w, 1597334677);
    this.h1 = h1 ^ (h1 >>> 15);
    this.h2 = h2 ^ (h2 >>> 15);
  }

  /** A string, then a separator no string holds, so ("ab", "c") and ("a", "bc") differ. */
  text(s: string): this {
    let h1 = this.h1;
    let h2 = this.h2;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 2654435761);
      h2 = Math.imul(h2 ^ c, 1597334677);
    }
    this.h1 = h1;
    this.h2 = h2;
    this.word(0x110000);
    return this;
  }

  /** Bytes four at a time (a log's first 4 KB: a quarter of the multiplications), then the last few. */
  bytes(b: Uint8Array): this {
    let h1 = this.h1;
    let h2 = this.h2;
    const whole = b.length & ~3;
    let i = 0;
    for (; i < whole; i += 4) {
      const c = b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24);
      h1 = Math.imul(h1 ^ c, 2654435761);
      h2 = Math.imul(h2 ^ c, 1597334677);
      h1 ^= h1 >>> 15; // as in word()
      h2 ^= h2 >>> 15;
    }
    for (; i < b.length; i++) {
      const c = b[i]!;
      h1 = Math.imul(h1 ^ c, 2654435761);
      h2 = Math.imul(h2 ^ c, 1597334677);
    }
    this.h1 = h1;
    this.h2 = h2;
    this.word(b.length);
    return this;
  }

  /** A number's 64 bits (as a double), as two 32-bit words. */
  number(x: number): this {
    NUMBER[0] = x;
    this.word(WORDS[0]!);
    this.word(WORDS[1]!);
    return this;
  }

  /** 16 hex digits: words() written out. */
  hex(): string {
    const [h1, h2] = this.words();
    const hex = (x: number) => x.toString(16).padStart(8, '0');
    return hex(h1) + hex(h2);
  }

  /** The hash as two unsigned 32-bit words, high first. */
  words(): [number, number] {
    let h1 = this.h1;
    let h2 = this.h2;
    h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
    h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
    return [h1 >>> 0, h2 >>> 0];
  }
}
