/**
 * Reads ledger segment files line by line from a byte offset, as the export needs them: only complete
 * lines (a line without its newline may be another process's write in flight), in bounded chunks, with
 * the byte offset after each line so the cursor can stop exactly there.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { SEGMENT_FILE, decodeLine } from '../../ledger/fileFormat';
import type { Interaction } from '../../interaction';

const CHUNK = 4 << 20;
/** Longer lines are damage (the ledger's own bound, ledger/index.ts DEFAULT_MAX_LINE_BYTES): passed over. */
const MAX_LINE = 4 << 20;

export async function segmentNames(dataDir: string): Promise<string[]> {
  const names = await fsp.readdir(path.join(dataDir, 'ledger')).catch(() => [] as string[]);
  return names
    .filter((n) => SEGMENT_FILE.test(n))
    .map((n) => n.slice(0, -'.jsonl'.length))
    .sort();
}

export const segmentFile = (dataDir: string, name: string) => path.join(dataDir, 'ledger', `${name}.jsonl`);

export interface LineAt {
  text: string;
  /** Byte offset just after this line's newline. */
  end: number;
}

/** Complete lines of `file` from byte `from` up to byte `to` (default: the end as it is now). */
export async function* linesFrom(file: string, from: number, to?: number): AsyncGenerator<LineAt> {
  const fh = await fsp.open(file, 'r').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return null;
    throw e;
  });
  if (!fh) return;
  try {
    const size = to ?? (await fh.stat()).size;
    let pos = from;
    let carry: Buffer = Buffer.alloc(0);
    let skipping = false;
    while (pos < size) {
      const want = Math.min(CHUNK, size - pos);
      const buf = Buffer.allocUnsafe(want);
      const { bytesRead } = await fh.read(buf, 0, want, pos);
      if (bytesRead === 0) break;
      const data = carry.length ? Buffer.concat([carry, buf.subarray(0, bytesRead)]) : buf.subarray(0, bytesRead);
      const base = pos - carry.length;
      pos += bytesRead;
      let start = 0;
      for (let nl = data.indexOf(10, start); nl >= 0; nl = data.indexOf(10, start)) {
        if (!skipping) yield { text: data.toString('utf8', start, nl), end: base + nl + 1 };
        skipping = false;
        start = nl + 1;
      }
      carry = data.subarray(start);
      if (carry.length > MAX_LINE) {
        skipping = true;
        carry = Buffer.alloc(0);
      }
    }
  } finally {
    await fh.close();
  }
}

/** A record line decoded; null for the header, blank and malformed lines (the ledger counts and reports those). */
export function recordOf(text: string): Interaction | null {
  try {
    const l = decodeLine(text);
    return l.kind === 'record' ? l.record : null;
  } catch {
    return null;
  }
}

/** The id of a record line without decoding the rest (encodeLine writes `{"id":` first). */
export function idOf(text: string): string | null {
  if (!text.startsWith('{"id":"')) return null;
  const m = /^\{"id":("(?:[^"\\]|\\.)*")/.exec(text);
  if (!m) return null;
  try {
    return JSON.parse(m[1]!) as string;
  } catch {
    return null;
  }
}

/** Segments within a month of `name` (a copy of one id seen by two sources lands in the same or the next month). */
export function neighbours(name: string, all: readonly string[]): string[] {
  if (name === '0000-00') return all.filter((n) => n === name);
  const [y, m] = name.split('-').map(Number);
  const idx = y! * 12 + (m! - 1);
  return all.filter((n) => {
    if (n === '0000-00') return false;
    const [yy, mm] = n.split('-').map(Number);
    return Math.abs(yy! * 12 + (mm! - 1) - idx) <= 1;
  });
}

/**
 * Which ids occur, and which more than once, in 16 MiB whatever the backlog: a count per 24-bit hash,
 * saturating at 2. A collision only makes an id look present or repeated when it is not, which costs a
 * lookup, never a wrong answer: the exporter then compares the records themselves. (A Set of a year's
 * 500,000 id strings cost more time in garbage collection than the export itself.)
 */
export class IdFilter {
  private readonly counts = new Uint8Array(1 << 24);

  private static slot(id: string): number {
    let h = 0x811c9dc5;
    for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
    return (h >>> 0) & 0xffffff;
  }

  add(id: string): void {
    const s = IdFilter.slot(id);
    if (this.counts[s]! < 2) this.counts[s]!++;
  }

  mayHave(id: string): boolean {
    return this.counts[IdFilter.slot(id)]! > 0;
  }

  mayRepeat(id: string): boolean {
    return this.counts[IdFilter.slot(id)]! > 1;
  }
}
