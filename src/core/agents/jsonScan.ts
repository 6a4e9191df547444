/**
 * Walks one JSON object in a byte buffer and hands back only the members asked for, skipping the
 * rest without building it. A transcript line is mostly prompt, code and tool output that usage
 * metering never needs: skipping those bytes (string ends found with the native indexOf) instead of
 * decoding and parsing them is what makes a cold import of gigabytes fast and light on memory.
 *
 * It is a real JSON tokenizer for structure (any key order, nesting, whitespace, escapes), but it
 * does not validate the inside of skipped strings and numbers; callers fall back to JSON.parse
 * whenever it throws, so a line it cannot walk is judged by JSON.parse's rules.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;
/** Bytes of a string looked at one by one before the end quote is searched for natively. */
const SHORT_STRING = 48;

export class JsonScanError extends Error {}

// Buffer's own slice is what toString('utf8', …) ends in, without the argument checks that cost
// more than decoding a short id or timestamp.
type Sliceable = Buffer & { utf8Slice?(start: number, end: number): string };
const utf8 = (b: Sliceable, s: number, e: number): string => (b.utf8Slice ? b.utf8Slice(s, e) : b.toString('utf8', s, e));

/**
 * The last string read at one place in a line, so a value that repeats line after line (a
 * session's cwd, its model) is compared byte by byte instead of decoded again.
 */
export class StringCache {
  bytes: Buffer = Buffer.alloc(0);
  value: string | null = null;
}

export class JsonScan {
  pos: number;
  constructor(
    public buf: Buffer,
    start: number,
    public end: number,
  ) {
    this.pos = start;
  }

  /** Points the walker at another line: one walker serves a whole file. */
  reset(buf: Buffer, start: number, end: number): void {
    this.buf = buf;
    this.pos = start;
    this.end = end;
  }

  private fail(what: string): never {
    throw new JsonScanError(`${what} at byte ${this.pos}`);
  }

  ws(): number {
    const b = this.buf;
    let p = this.pos;
    while (p < this.end) {
      const c = b[p];
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
      p++;
    }
    this.pos = p;
    return p < this.end ? (b[p] ?? -1) : -1;
  }

  /** Position just past the closing quote of the string whose opening quote is at `p`. */
  private stringEnd(p: number): number {
    const b = this.buf;
    let q = p + 1;
    // Keys and most values are short: a loop over their first bytes costs less than a native
    // search's call (about 45 strings per usage line). A longer string is searched natively from
    // where the loop stopped; the backslash count below does not depend on where that is.
    const stop = Math.min(this.end, q + SHORT_STRING);
    for (; q < stop; q++) {
      const c = b[q];
      if (c === QUOTE) return q + 1;
      if (c === BACKSLASH) q++; // the escaped byte is never the end
    }
    for (;;) {
      const i = b.indexOf(QUOTE, q);
      if (i < 0 || i >= this.end) this.fail('unterminated string');
      let k = i - 1;
      while (b[k] === BACKSLASH) k--;
      if ((i - k) % 2 === 1) return i + 1; // an even number of backslashes: the quote is real
      q = i + 1;
    }
  }

  /** Walks an object, calling `member` with each key's byte range; `member` reads the value or returns false to skip it. */
  object(member: (keyStart: number, keyEnd: number) => boolean): void {
    if (this.ws() !== LBRACE) this.fail('expected {');
    this.pos++;
    if (this.ws() === RBRACE) {
      this.pos++;
      return;
    }
    for (;;) {
      if (this.ws() !== QUOTE) this.fail('expected a key');
      const ks = this.pos + 1;
      const after = this.stringEnd(this.pos);
      this.pos = after;
      if (this.ws() !== COLON) this.fail('expected :');
      this.pos++;
      this.ws();
      if (!member(ks, after - 1)) this.skip();
      const c = this.ws();
      this.pos++;
      if (c === COMMA) continue;
      if (c === RBRACE) return;
      this.fail('expected , or }');
    }
  }

  /** Skips one value of any kind. */
  skip(): void {
    const b = this.buf;
    const c = this.ws();
    if (c === QUOTE) {
      this.pos = this.stringEnd(this.pos);
      return;
    }
    if (c === LBRACE || c === LBRACKET) {
      let depth = 0;
      let p = this.pos;
      while (p < this.end) {
        const x = b[p];
        if (x === QUOTE) {
          p = this.stringEnd(p);
          continue;
        }
        if (x === LBRACE || x === LBRACKET) depth++;
        else if (x === RBRACE || x === RBRACKET) {
          depth--;
          if (depth === 0) {
            this.pos = p + 1;
            return;
          }
        }
        p++;
      }
      this.fail('unterminated object or array');
    }
    // number, true, false, null
    let p = this.pos;
    while (p < this.end) {
      const x = b[p];
      if (x === COMMA || x === RBRACE || x === RBRACKET || x === 0x20 || x === 0x0a || x === 0x0d || x === 0x09) break;
      p++;
    }
    if (p === this.pos) this.fail('expected a value');
    this.pos = p;
  }

  /** The next value's byte range, skipped. */
  range(): [number, number] {
    this.ws();
    const s = this.pos;
    this.skip();
    return [s, this.pos];
  }

  /** A string value (null for any other kind, which is skipped). */
  string(): string | null {
    if (this.ws() !== QUOTE) {
      this.skip();
      return null;
    }
    const s = this.pos;
    const e = this.stringEnd(s);
    this.pos = e;
    // Strings read whole are short (ids, names, times): a plain loop, not a search running past the end.
    const b = this.buf;
    for (let i = s + 1; i < e - 1; i++) if (b[i] === BACKSLASH) return JSON.parse(utf8(b, s, e)) as string;
    return utf8(b, s + 1, e - 1);
  }

  /** string(), answered from `cache` when the raw bytes are the ones read last time. */
  cachedString(cache: StringCache): string | null {
    if (this.ws() !== QUOTE) {
      this.skip();
      return null;
    }
    const s = this.pos;
    const e = this.stringEnd(s);
    const b = this.buf;
    const c = cache.bytes;
    if (cache.value !== null && c.length === e - s) {
      let k = 0;
      while (k < c.length && b[s + k] === c[k]) k++;
      if (k === c.length) {
        this.pos = e;
        return cache.value;
      }
    }
    const v = this.string();
    if (e - s <= 1024) {
      cache.bytes = Buffer.from(b.subarray(s, e));
      cache.value = v;
    }
    return v;
  }

  /** Whether the next value is the string `name` (ASCII); any other value is skipped. */
  stringIs(name: string): boolean {
    if (this.ws() !== QUOTE) {
      this.skip();
      return false;
    }
    const s = this.pos;
    const e = this.stringEnd(s);
    if (e - s - 2 === name.length && this.is(s + 1, e - 1, name)) {
      this.pos = e;
      return true;
    }
    // The same name spelled with escapes reads as the name.
    const b = this.buf;
    for (let i = s + 1; i < e - 1; i++) if (b[i] === BACKSLASH) return this.string() === name;
    this.pos = e;
    return false;
  }

  /** true / false; anything else is skipped and reads as null. */
  boolean(): boolean | null {
    const c = this.ws();
    const s = this.pos;
    this.skip();
    if (c === 0x74 && this.pos - s === 4) return true;
    if (c === 0x66 && this.pos - s === 5) return false;
    return null;
  }

  /**
   * A non-negative integer written as plain digits; anything else (a string, a fraction, a
   * negative number, null) throws JsonScanError so the caller falls back to JSON.parse's verdict.
   */
  count(): number {
    const b = this.buf;
    this.ws();
    let p = this.pos;
    let n = 0;
    while (p < this.end) {
      const c = b[p] ?? -1;
      if (c < 0x30 || c > 0x39) break;
      n = n * 10 + (c - 0x30);
      p++;
    }
    if (p === this.pos || (b[this.pos] === 0x30 && p - this.pos > 1) || p - this.pos > 15) this.fail('expected a plain count');
    const c = p < this.end ? b[p] : -1;
    if (c !== COMMA && c !== RBRACE && c !== RBRACKET && c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09)
      this.fail('expected a plain count');
    this.pos = p;
    return n;
  }

  /** Whether the key at [ks, ke) is `name` (ASCII). */
  is(ks: number, ke: number, name: string): boolean {
    if (ke - ks !== name.length) return false;
    const b = this.buf;
    for (let i = 0; i < name.length; i++) if (b[ks + i] !== name.charCodeAt(i)) return false;
    return true;
  }

  /** Nothing but whitespace may follow the top-level value. */
  done(): void {
    if (this.ws() !== -1) this.fail('unexpected data after the object');
  }
}
