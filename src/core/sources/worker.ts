/**
 * Parallel reading for big imports (a first run over gigabytes of history): worker threads read
 * and parse files and send back, per batch, the records de-duplicated within it; the importer's
 * thread prices and stores them. Credits (acknowledged batches) keep workers from running ahead of
 * the ledger, so memory stays bounded. The entry file (worker-entry.ts) must be bundled on its own;
 * without one the importer reads on its own thread.
 */
import { parentPort } from 'node:worker_threads';
import { totalTokens } from '../interaction';
import type { Logger } from '../ports';
import { ADAPTERS } from './registry';
import { readFileUpdate, type FileState, type FileUpdate } from './tailer';
import type { ParsedRecord, SourceId } from './types';

export interface WorkerJob {
  file: string;
  source: SourceId;
  prev?: FileState;
}

export type ToWorker = { type: 'files'; jobs: WorkerJob[]; maxLineBytes?: number } | { type: 'ack' } | { type: 'stop' };
export type FromWorker =
  | { type: 'records'; json: string }
  | { type: 'file'; file: string; update: FileUpdate }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string }
  | { type: 'done' };

/** Copies of one response within a batch: non-sidechain first, then the most tokens (as the importer does). */
export function bestPerId(records: readonly ParsedRecord[]): ParsedRecord[] {
  const best = new Map<string, ParsedRecord>();
  for (const r of records) {
    const have = best.get(r.interaction.id);
    if (!have || better(r, have)) best.set(r.interaction.id, r);
  }
  return [...best.values()];
}

export function better(a: ParsedRecord, b: ParsedRecord): boolean {
  if (!!a.sidechain !== !!b.sidechain) return !a.sidechain;
  return totalTokens(a.interaction.tokens) > totalTokens(b.interaction.tokens);
}

const BATCH = 5000;
const CREDITS = 2;

export function runWorker(): void {
  const port = parentPort;
  if (!port) throw new Error('runWorker: not in a worker thread');
  let credits = CREDITS;
  let wake: (() => void) | null = null;
  const send = (m: FromWorker) => port.postMessage(m);
  const logger: Logger = {
    info: (message) => send({ type: 'log', level: 'info', message }),
    warn: (message) => send({ type: 'log', level: 'warn', message }),
    error: (message) => send({ type: 'log', level: 'error', message }),
  };
  let pending: ParsedRecord[] = [];
  const ship = async () => {
    if (!pending.length) return;
    while (credits === 0) await new Promise<void>((r) => (wake = r));
    credits--;
    send({ type: 'records', json: JSON.stringify(bestPerId(pending)) });
    pending = [];
  };
  port.on('message', async (m: ToWorker) => {
    if (m.type === 'ack') {
      credits++;
      const w = wake;
      wake = null;
      w?.();
      return;
    }
    if (m.type === 'stop') {
      port.close();
      return;
    }
    for (const job of m.jobs) {
      const adapter = ADAPTERS.find((a) => a.id === job.source)!;
      let update: FileUpdate | null = null;
      try {
        update = await readFileUpdate(job.file, adapter, job.prev, {
          logger,
          maxLineBytes: m.maxLineBytes,
          onRecords: async (records) => {
            for (const r of records) pending.push(r);
            if (pending.length >= BATCH) await ship();
          },
        });
      } catch (err) {
        logger.warn(`${job.file}: could not be read (${(err as Error).message}); trying again later`);
      }
      // Records before the file's state: the importer must never save an offset ahead of what it stored.
      if (update) {
        await ship();
        send({ type: 'file', file: job.file, update });
      }
    }
    await ship();
    send({ type: 'done' });
  });
}
