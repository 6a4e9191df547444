/**
 * An incremental Server-Sent Events reader for the side channel: the bytes go to the client untouched,
 * a copy is fed here to find the usage. Follows the WHATWG framing: `event:` and `data:` fields, lines
 * ended by LF, CRLF or CR, an event dispatched at a blank line, `:` comments ignored.
 */
import { StringDecoder } from 'node:string_decoder';

export class SseReader {
  private readonly decoder = new StringDecoder('utf8');
  private buffer = '';
  private event = '';
  private data: string[] = [];
  private lastWasCR = false;

  constructor(private readonly onEvent: (event: string, data: string) => void) {}

  push(chunk: Buffer | string): void {
    let text = typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    // A CRLF split across two chunks: the LF belongs to the line already ended by the CR.
    if (this.lastWasCR && text.startsWith('\n')) text = text.slice(1);
    this.buffer += text;
    let start = 0;
    for (;;) {
      const nl = this.nextBreak(start);
      if (nl < 0) break;
      this.line(this.buffer.slice(start, nl));
      start = this.buffer.charCodeAt(nl) === 13 && this.buffer.charCodeAt(nl + 1) === 10 ? nl + 2 : nl + 1;
    }
    this.lastWasCR = start > 0 && start === this.buffer.length && this.buffer.charCodeAt(start - 1) === 13;
    this.buffer = start > 0 ? this.buffer.slice(start) : this.buffer;
  }

  /** End of stream: an event not closed by a blank line is discarded, as the spec says. */
  end(): void {
    this.buffer = '';
    this.data = [];
    this.event = '';
  }

  private nextBreak(from: number): number {
    const n = this.buffer.indexOf('\n', from);
    const r = this.buffer.indexOf('\r', from);
    if (r < 0) return n;
    if (n < 0) return r;
    return Math.min(n, r);
  }

  private line(line: string): void {
    if (line.length === 0) {
      if (this.data.length > 0) this.onEvent(this.event, this.data.join('\n'));
      this.event = '';
      this.data = [];
      return;
    }
    if (line.charCodeAt(0) === 58 /* : */) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.event = value;
  }
}
