/**
 * Reads many log files in worker threads (worker.ts) for a big first import, while this thread
 * prices and stores what they found. Files are handed out in the importer's order, many at a time
 * per worker so none waits for this thread, and their records are taken back strictly in that
 * order: the result is the one a single-threaded read gives (parents before subagents, first copy
 * kept on a tie). Only parsed records cross threads, so memory stays small whatever the logs weigh.
 */
import type { Worker } from 'node:worker_threads';
import type { Logger } from '../ports';
import { workerThreads } from '../lazy';
import type { FileState, FileUpdate } from './tailer';
import type { ParsedRecord, SourceAdapter } from '../agents/types';
import { unpack, type Batch, type Entry, type Job } from './worker';

/**
 * Running worker threads. Starting one costs ~40 ms (a thread, an isolate, the script), so the
 * importer may start them while it is still looking for files. Failures are kept from the first
 * moment, so none is lost before a read begins.
 */
export class WorkerPool {
  readonly workers: Worker[] = [];
  failure: Error | null = null;
  /** Told of a failure while a read waits. */
  onFailure: (() => void) | null = null;

  constructor(script: string, count: number) {
    try {
      for (let k = 0; k < Math.max(1, count); k++) {
        // A self-contained bundle: none of the host's flags (an editor's, a debugger's) are needed there. Its
        // young generation is capped at 4 MB: what it parses is posted on within milliseconds, and a larger
        // one only held garbage. First import, alternating 7 runs (peak RSS median): 124 -> 121 MB on the
        // long-lines history, 164 -> 153 MB on the short-lines one, same wall time (2 MB was 7% slower there).
        // Its standard output and error are passed on when it writes any (it does not): by default Node sets
        // up this process's stdout stream for that at once, which the CLI otherwise never needs.
        const w = new (workerThreads().Worker)(script, {
          execArgv: [],
          resourceLimits: { maxYoungGenerationSizeMb: 4 },
          stdout: true,
          stderr: true,
        });
        w.stdout.on('data', (b: Buffer) => process.stdout.write(b));
        w.stderr.on('data', (b: Buffer) => process.stderr.write(b));
        w.on('error', (err) => this.fail(err));
        w.on('messageerror', (err) => this.fail(err));
        w.on('exit', (code) => this.fail(new Error(`an import worker stopped (exit code ${code})`)));
        this.workers.push(w);
      }
    } catch (err) {
      this.stop();
      throw err;
    }
  }

  private fail(err: Error): void {
    this.failure ??= err;
    this.onFailure?.();
  }

  /** Stops the threads without waiting for them to wind down: nothing is left for them to do. */
  stop(): void {
    this.failure ??= new Error('stopped'); // exits from here on are ours
    for (const w of this.workers) void w.terminate();
  }
}

export interface ParallelReadOptions {
  /** In reading order. */
  files: readonly (readonly [string, SourceAdapter])[];
  state: ReadonlyMap<string, FileState>;
  logger: Logger;
  maxLineBytes?: number;
  /** Each file's records, in file order (a big file's in several calls); awaited before the next. */
  onRecords(records: ParsedRecord[]): Promise<void>;
  /** After a file's last records: its new state, or null when it was unchanged or unreadable. */
  onFile(file: string, update: FileUpdate | null): void;
}

/**
 * Files queued per worker. A file takes a worker about a millisecond, while this thread can be busy
 * for tens of milliseconds storing a batch before it hands out more: a short queue leaves workers idle.
 */
const DEPTH = 48;
/** Files handed out but not yet taken back, at most: bounds memory when storing is the slower side. */
const WINDOW = 512;

interface Slot {
  batches: ParsedRecord[][];
  end: Entry['end'] | null;
}

/** Reads every file with the pool's threads, then stops them. Throws the first failure of a thread. */
export async function readInWorkers(pool: WorkerPool, o: ParallelReadOptions): Promise<void> {
  const { workers } = pool;
  const queued: number[] = workers.map(() => 0);
  const slots = new Map<number, Slot>();
  let dispatched = 0;
  let consumed = 0;
  let wake: (() => void) | null = null;
  const poke = () => {
    const w = wake;
    wake = null;
    w?.();
  };

  const dispatch = () => {
    for (let k = 0; k < workers.length; k++) {
      const jobs: Job[] = [];
      while (queued[k]! + jobs.length < DEPTH && dispatched < o.files.length && dispatched - consumed < WINDOW) {
        const [file, adapter] = o.files[dispatched]!;
        slots.set(dispatched, { batches: [], end: null });
        jobs.push({ seq: dispatched++, file, source: adapter.id, prev: o.state.get(file), maxLineBytes: o.maxLineBytes });
      }
      if (jobs.length === 0) continue;
      queued[k]! += jobs.length;
      workers[k]!.postMessage(jobs);
    }
  };

  const receive = (k: number, m: Batch) => {
    const records = unpack(m.records);
    let at = 0;
    for (const e of m.entries) {
      const slot = slots.get(e.seq);
      if (!slot) continue;
      if (e.count > 0) slot.batches.push(at === 0 && e.count === records.length ? records : records.slice(at, at + e.count));
      at += e.count;
      if (e.end) {
        slot.end = e.end;
        queued[k]!--;
      }
    }
    dispatch();
    const next = slots.get(consumed);
    if (next && (next.batches.length > 0 || next.end)) poke();
  };

  try {
    pool.onFailure = poke;
    workers.forEach((w, k) => w.on('message', (m: Batch) => receive(k, m)));
    dispatch();
    while (consumed < o.files.length) {
      if (pool.failure) throw pool.failure;
      const slot = slots.get(consumed)!;
      const batch = slot.batches.shift();
      if (batch) {
        await o.onRecords(batch);
        continue;
      }
      const end = slot.end;
      if (!end) {
        await new Promise<void>((r) => (wake = r));
        continue;
      }
      for (const [level, message] of end.logs) o.logger[level](message);
      o.onFile(o.files[consumed]![0], end.update);
      slots.delete(consumed);
      consumed++;
      dispatch();
    }
  } finally {
    pool.onFailure = null;
    pool.stop();
  }
}
