/**
 * Splits a byte stream into lines without decoding the bytes that cannot matter: a line is
 * decoded only when it contains one of the needles. Chunks may be reused by the caller after
 * push() returns; only an unfinished line is copied.
 */

export interface SplitLine {
  /** The line's text, without the newline (and without a trailing CR). */
  text: string;
  /** 1-based, counted from the start of the file. */
  lineNo: number;
}

export interface SplitterOptions {
  needles?: readonly string[];
  /** Also hand over lines whose last byte (before any CR or blank) is not `}`: a torn JSON object. */
  keepTorn?: boolean;
  /**
   * Also hands on a line whose first `leadBytes` bytes hold one of these: a record's kind is written
   * near its start, so a line cut before its needle is still seen, at the cost of a short look per line.
   */
  leadNeedles?: readonly string[];
  leadBytes?: number;
  /** A line longer than this is skipped (reported through onTooLong) instead of being held. */
  maxLineBytes?: number;
  /** Number of lines before the first byte pushed (when resuming mid-file). */
  firstLineNo?: number;
  onLine(line: SplitLine): void;
  /** When given, lines are handed over as bytes (valid only during the call) instead of decoded. */
  onBytes?(buf: Buffer, start: number, end: number, lineNo: number): void;
  onTooLong?(lineNo: number, bytes: number): void;
}

const DEFAULT_MAX_LINE_BYTES = 64 * 1024 * 1024;
const NL = 10;
const CR = 13;

export class LineSplitter {
  private readonly needles: Buffer[];
  private readonly lead: Buffer[];
  private readonly leadBytes: number;
  private readonly max: number;
  private pieces: Buffer[] = [];
  private pendingBytes = 0;
  private skipping = false;
  private lineNo: number;
  /** Bytes of complete lines seen so far (offset just past the last newline). */
  consumed = 0;

  constructor(private readonly opts: SplitterOptions) {
    this.needles = (opts.needles ?? []).map((n) => Buffer.from(n, 'utf8'));
    this.lead = (opts.leadNeedles ?? []).map((n) => Buffer.from(n, 'utf8'));
    this.leadBytes = opts.leadBytes ?? 1024;
    this.max = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    this.lineNo = opts.firstLineNo ?? 0;
  }

  /** Lines completed so far (the number of the last complete line). */
  get lines(): number {
    return this.lineNo;
  }

  /** Bytes of an unfinished last line held back until its newline arrives. */
  get pending(): number {
    return this.pendingBytes;
  }

  push(chunk: Buffer): void {
    let start = 0;
    if (this.pendingBytes > 0 || this.skipping) {
      const nl = chunk.indexOf(NL);
      if (nl < 0) {
        this.hold(chunk, 0, chunk.length);
        return;
      }
      this.hold(chunk, 0, nl);
      this.finishHeld();
      start = nl + 1;
    }
    // One forward pointer per needle keeps the search linear in the chunk size.
    const next = this.needles.map(() => -2);
    for (;;) {
      const nl = chunk.indexOf(NL, start);
      if (nl < 0) break;
      this.lineNo++;
      this.consumed += nl + 1 - start;
      if (nl - start > this.max) this.opts.onTooLong?.(this.lineNo, nl - start);
      else if (nl > start && this.wanted(chunk, start, nl, next)) this.emit(chunk, start, nl);
      start = nl + 1;
    }
    if (start < chunk.length) this.hold(chunk, start, chunk.length);
  }

  private wanted(chunk: Buffer, start: number, end: number, next: number[]): boolean {
    if (this.needles.length === 0 || (this.opts.keepTorn && torn(chunk, start, end))) return true;
    // next[i]: where needles[i] next occurs in this chunk (-1: nowhere), one entry per needle.
    for (let i = 0; i < this.needles.length; i++) {
      const needle = this.needles[i]!;
      let at = next[i]!;
      if (at !== -1 && at < start) at = next[i] = chunk.indexOf(needle, start);
      if (at >= 0 && at + needle.length <= end) return true;
    }
    return this.leads(chunk, start, end);
  }

  /**
   * Whether a lead needle is in the line's first leadBytes. Searched there only: a search running on
   * to the next occurrence would cross every long line in between (tool output, most of a transcript's
   * bytes), and a needle as long as `"role":"assistant"` is searched at a third of the speed of `"usage"`.
   */
  private leads(buf: Buffer, start: number, end: number): boolean {
    if (this.lead.length === 0) return false;
    const head = buf.subarray(start, Math.min(end, start + this.leadBytes));
    for (const n of this.lead) if (head.indexOf(n) >= 0) return true;
    return false;
  }

  private emit(buf: Buffer, start: number, end: number): void {
    if (end > start && buf[end - 1] === CR) end--;
    if (this.opts.onBytes) this.opts.onBytes(buf, start, end, this.lineNo);
    else this.opts.onLine({ text: buf.toString('utf8', start, end), lineNo: this.lineNo });
  }

  private hold(chunk: Buffer, start: number, end: number): void {
    const n = end - start;
    if (n === 0) return;
    if (this.skipping) {
      this.pendingBytes += n;
      return;
    }
    if (this.pendingBytes + n > this.max) {
      // Drop what we held: memory stays bounded whatever one line weighs.
      this.skipping = true;
      this.pieces = [];
      this.pendingBytes += n;
      return;
    }
    this.pieces.push(Buffer.from(chunk.subarray(start, end)));
    this.pendingBytes += n;
  }

  private finishHeld(): void {
    this.lineNo++;
    const total = this.pendingBytes;
    this.consumed += total + 1;
    if (this.skipping) {
      this.opts.onTooLong?.(this.lineNo, total);
    } else {
      const line = this.pieces.length === 1 ? this.pieces[0]! : Buffer.concat(this.pieces, total);
      if (line.length > 0 && this.wantedWhole(line)) this.emit(line, 0, line.length);
    }
    this.pieces = [];
    this.pendingBytes = 0;
    this.skipping = false;
  }

  private wantedWhole(line: Buffer): boolean {
    return (
      this.needles.length === 0 ||
      (!!this.opts.keepTorn && torn(line, 0, line.length)) ||
      this.needles.some((n) => line.indexOf(n) >= 0) ||
      this.leads(line, 0, line.length)
    );
  }
}

/** Whether [start, end) holds something that does not end like a JSON object. */
function torn(buf: Buffer, start: number, end: number): boolean {
  let i = end - 1;
  while (i >= start && (buf[i] === CR || buf[i] === 32 || buf[i] === 9)) i--;
  return i >= start && buf[i] !== 125; // '}'
}
