/**
 * The importer's side of the recorder: parsed records gather here and go to the recorder in batches,
 * one append at a time. Reading goes on while an append is written and synced: it is several file
 * operations one after another, and on a busy machine each of those waits for a thread.
 */
import type { Interaction } from '../interaction';
import type { Recorder } from '../record/recorder';
import type { ParsedRecord } from '../agents/types';

// Records held before pricing and storing them. Small batches leave less for each young-generation
// GC to copy (2,000 cost ~25% less GC than 5,000 over 110,000 records, peak RSS ~25 MB lower). While
// an append is under way, records gather and go in the next one (one write and one fsync for all),
// up to MAX_PENDING: on a slow disk or a busy machine batches grow instead of waiting on each other,
// but not without bound. A first import of 92k interactions (short lines), alternating 5 runs: with
// 25,000 the held records outlived young-generation GCs (peak RSS median 216 MB); with 4,000, 185 MB
// and 3% less wall time (8,000: 203 MB). Flushing at 1,000 with at most 2,000 held (was 2,000 and
// 4,000), alternating 7 runs: peak RSS median 133 → 125 MB on the long-lines history and 176 → 167 MB
// on the short-lines one, wall time the same (500/1,000 and 250/500 were no better).
const FLUSH_RECORDS = 1000;
const MAX_PENDING = 2000;

export class ImportStore {
  private pending: ParsedRecord[] = [];
  /** The append under way (resolves, never rejects: a failure lands in `failed`). */
  private inflight: Promise<void> | null = null;
  /** What appends wrote since the last settle() (when kept), and how many. */
  private written: Interaction[] = [];
  private writtenCount = 0;
  /**
   * Whether settle() hands back what was written or only its count. A first scan of a long history
   * writes every record once: keeping them all until the end held ~400 bytes each (37 MB for 92k).
   */
  keepWritten = true;
  /** The first append that failed since the last settle(): nothing more is stored until settle() reports it. */
  private failed: Error | null = null;

  constructor(private readonly recorder: Recorder) {}

  /** Whether an append is under way (reading then yields more often, so it finishes first). */
  get busy(): boolean {
    return this.inflight !== null;
  }

  /** Whether an append failed since the last settle(): an error while reading is then that failure's doing. */
  get broken(): boolean {
    return this.failed !== null;
  }

  async take(records: readonly ParsedRecord[]): Promise<void> {
    for (const r of records) this.pending.push(r);
    if (this.pending.length >= MAX_PENDING || (this.pending.length >= FLUSH_RECORDS && !this.inflight)) await this.flush();
  }

  /**
   * Stores everything pending and waits until it is durable; returns what was written since the last
   * call (the records when keepWritten, else none) and how many. When an append failed, drops what is
   * pending and throws that append's error.
   */
  async settle(): Promise<{ records: Interaction[]; count: number }> {
    try {
      if (!this.failed) await this.flush();
    } catch (err) {
      if (!this.failed) throw err;
    }
    await this.inflight;
    this.inflight = null;
    const w = { records: this.written, count: this.writtenCount };
    this.written = [];
    this.writtenCount = 0;
    const failed = this.failed;
    if (failed) {
      this.failed = null;
      this.pending = [];
      throw failed;
    }
    return w;
  }

  /** Starts storing the pending records once the append under way (if any) is done; does not wait for it. */
  private async flush(): Promise<void> {
    if (this.inflight) await this.inflight;
    if (this.failed) throw this.failed;
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    const done: Promise<void> = this.recorder.store(batch).then(
      (w) => {
        this.writtenCount += w.length;
        if (this.keepWritten) for (const r of w) this.written.push(r);
        if (this.inflight === done) this.inflight = null;
      },
      (err: Error) => {
        this.failed ??= err;
        if (this.inflight === done) this.inflight = null;
      },
    );
    this.inflight = done;
  }
}
