/**
 * An incremental Server-Sent Events reader for the side channel: the bytes go to the client untouched,
 * a copy is fed here to find the usage. Follows the WHATWG framing: `event:` and `data:` fields, lines
 * ended by LF, CRLF or CR, an event dispatched at a blank line, `:` comments ignored.
 *
 * Linear in the bytes read: each chunk is scanned once, and the unterminated rest of a line is kept as a
 * list of pieces (joined once, when its end arrives) rather than re-scanned with every chunk. Bounded: a
 * line or an event longer than `maxLine` characters makes the reader give up on the stream (`onOverflow`,
 * once); nothing after it is parsed or kept, while the caller still forwards every byte.
 */
import { StringDecoder } from 'node:string_decoder';

/** Default cap on one SSE line or event: far above any usage-bearing event the vendors document. */
export const SSE_MAX_LINE = 8 * 1024 * 1024;

export class SseReader {
  private readonly decoder = new StringDecoder('utf8');
  private pieces: string[] = [];
  private pending = 0;
  private event = '';
  private data: string[] = [];
  private dataLength = 0;
  private lastWasCR = false;
  private stopped = false;

  constructor(
    private readonly onEvent: (event: string, data: string) => void,
    private readonly maxLine = SSE_MAX_LINE,
    private readonly onOverflow: (length: number) => void = () => {},
  ) {}

  /** True once the reader gave up on an over-long line or event. */
  get gaveUp(): boolean {
    return this.stopped;
  }

  push(chunk: Buffer | string): void {
    if (this.stopped) return;
    let text = typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    // A CRLF split across two chunks: the LF belongs to the line already ended by the CR.
    if (this.lastWasCR && text.startsWith('\n')) text = text.slice(1);
    this.lastWasCR = false;
    let start = 0;
    // Next CR and LF positions, each searched again only once passed, so a chunk is scanned once.
    let lf = text.indexOf('\n');
    let cr = text.indexOf('\r');
    while (start < text.length) {
      if (lf >= 0 && lf < start) lf = text.indexOf('\n', start);
      if (cr >= 0 && cr < start) cr = text.indexOf('\r', start);
      const nl = cr < 0 ? lf : lf < 0 ? cr : Math.min(lf, cr);
      if (nl < 0) {
        this.keep(text.slice(start));
        return;
      }
      const tail = text.slice(start, nl);
      if (this.pending + tail.length > this.maxLine) return this.overflow(this.pending + tail.length);
      const line = this.pending > 0 ? this.pieces.join('') + tail : tail;
      this.pieces = [];
      this.pending = 0;
      this.line(line);
      if (this.stopped) return;
      if (text.charCodeAt(nl) === 13) {
        if (nl + 1 === text.length) this.lastWasCR = true;
        start = text.charCodeAt(nl + 1) === 10 ? nl + 2 : nl + 1;
      } else start = nl + 1;
    }
  }

  /** End of stream: an event not closed by a blank line is discarded, as the spec says. */
  end(): void {
    this.pieces = [];
    this.pending = 0;
    this.data = [];
    this.dataLength = 0;
    this.event = '';
  }

  private keep(rest: string): void {
    if (rest.length === 0) return;
    if (this.pending + rest.length > this.maxLine) return this.overflow(this.pending + rest.length);
    this.pieces.push(rest);
    this.pending += rest.length;
  }

  private overflow(length: number): void {
    this.stopped = true;
    this.end();
    this.onOverflow(length);
  }

  private line(line: string): void {
    if (line.length === 0) {
      if (this.data.length > 0) this.onEvent(this.event, this.data.join('\n'));
      this.event = '';
      this.data = [];
      this.dataLength = 0;
      return;
    }
    if (line.charCodeAt(0) === 58 /* : */) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    if (field === 'data') {
      // Many short data lines make one event: the cap holds for the event as a whole too.
      this.dataLength += value.length + 1;
      if (this.dataLength > this.maxLine) return this.overflow(this.dataLength);
      this.data.push(value);
    } else if (field === 'event') this.event = value;
  }
}
