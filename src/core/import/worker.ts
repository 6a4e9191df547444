/**
 * The worker-thread side of a parallel import (parallel.ts drives it). A worker reads and parses
 * whole files with the adapters' own parsers (pure: no ledger, no pricing) and posts back the
 * records of several files at a time, packed into columns (ids and times, names once per batch, one
 * transferable Float64Array of counts), which the importer's thread turns back into records for
 * less than a structured clone of objects costs it. The entry file (workerEntry.ts) is bundled on its own (dist/sources-worker.js).
 */
import type { Tokens } from '../interaction';
import type { Logger } from '../ports';
import { ADAPTERS } from '../agents/registry';
import { readFileUpdate, type FileState, type FileUpdate } from './tailer';
import type { ParsedRecord, SourceId } from '../agents/types';
import { unpriced } from '../agents/util';
import { attribute } from '../agents/attribution';
import { errorMessage } from '../errors';
import { workerThreads } from '../lazy';

export interface Job {
  seq: number;
  file: string;
  source: SourceId;
  prev?: FileState;
  maxLineBytes?: number;
}

/** What a worker sends: the records of one or more files, in the order the files were read. */
export interface Batch {
  /** Per file (a big file may span several batches): how many of `records` are its, and once it is read, its end. */
  entries: Entry[];
  records: Packed;
}

export interface Entry {
  seq: number;
  count: number;
  /** The file's new state (null: unchanged, gone or unreadable) and what reading it logged. */
  end?: { update: FileUpdate | null; logs: [level: keyof Logger, message: string][] };
}

/** Records in columns; `plain` carries records this packing cannot represent exactly. */
export interface Packed {
  /** Per record: id, at. */
  strings: string[];
  /** Agent, project and model names, each once per batch. */
  names: (string | null)[];
  numbers: Float64Array;
  plain?: ParsedRecord[];
}

// Per record: 2 strings (id, at) and 13 numbers (agent, project and model as indices into names,
// 6 token counts, the reported cost or -1, flags, branch and repo as indices into names, null = absent).
const S = 2;
const N = 13;
const FAST = 1;
const SIDECHAIN = 2;
const RECORD_KEYS = new Set(['interaction', 'sidechain', 'reportedCostNanos']);

/** Whether a record has exactly the shape `unpriced()` builds, which unpack() rebuilds. */
function packable(r: ParsedRecord): boolean {
  const i = r.interaction;
  if (
    i.source !== 'log' ||
    i.route !== 'cloud' ||
    i.replaces !== null ||
    i.costNanos !== null ||
    i.avoidedNanos !== null ||
    i.priceSource !== null
  )
    return false;
  if (i.estimated !== false || i.priceInferred !== undefined || (i.fast !== undefined && i.fast !== true)) return false;
  if (typeof i.project !== 'string' && i.project !== null) return false;
  if (i.branch !== undefined && typeof i.branch !== 'string') return false;
  if (i.repo !== undefined && typeof i.repo !== 'string') return false;
  const optional = (i.fast ? 1 : 0) + (i.branch !== undefined ? 1 : 0) + (i.repo !== undefined ? 1 : 0);
  if (Object.keys(i).length !== 13 + optional || Object.keys(i.tokens).length !== 6) return false;
  for (const k in r) if (!RECORD_KEYS.has(k)) return false;
  return r.sidechain === undefined || r.sidechain === true;
}

export function pack(records: readonly ParsedRecord[]): Packed {
  if (!records.every(packable)) return { strings: [], names: [], numbers: new Float64Array(0), plain: [...records] };
  const strings = new Array<string>(records.length * S);
  const numbers = new Float64Array(records.length * N);
  const names: (string | null)[] = [];
  const index = new Map<string | null, number>();
  const name = (v: string | null) => {
    let k = index.get(v);
    if (k === undefined) {
      k = names.push(v) - 1;
      index.set(v, k);
    }
    return k;
  };
  for (let k = 0; k < records.length; k++) {
    const r = records[k]!;
    const i = r.interaction;
    const t = i.tokens;
    const n = k * N;
    strings[k * S] = i.id;
    strings[k * S + 1] = i.at;
    numbers[n] = name(i.agent);
    numbers[n + 1] = name(i.project);
    numbers[n + 2] = name(i.model);
    numbers[n + 3] = t.input;
    numbers[n + 4] = t.output;
    numbers[n + 5] = t.cacheRead;
    numbers[n + 6] = t.cacheWrite5m;
    numbers[n + 7] = t.cacheWrite1h;
    numbers[n + 8] = t.reasoning;
    numbers[n + 9] = r.reportedCostNanos ?? -1;
    numbers[n + 10] = (i.fast ? FAST : 0) | (r.sidechain ? SIDECHAIN : 0);
    numbers[n + 11] = name(i.branch ?? null);
    numbers[n + 12] = name(i.repo ?? null);
  }
  return { strings, names, numbers };
}

export function unpack(p: Packed): ParsedRecord[] {
  if (p.plain) return p.plain;
  const { strings, names, numbers } = p;
  const count = numbers.length / N;
  const out = new Array<ParsedRecord>(count);
  // Packed by pack() in our own worker: N numbers and S strings per record, names indexed by those numbers.
  for (let k = 0; k < count; k++) {
    const n = k * N;
    const tokens: Tokens = {
      input: numbers[n + 3]!,
      output: numbers[n + 4]!,
      cacheRead: numbers[n + 5]!,
      cacheWrite5m: numbers[n + 6]!,
      cacheWrite1h: numbers[n + 7]!,
      reasoning: numbers[n + 8]!,
    };
    const flags = numbers[n + 10]!;
    const branch = names[numbers[n + 11]!];
    const repo = names[numbers[n + 12]!];
    const r: ParsedRecord = {
      interaction: attribute(
        unpriced({
          id: strings[k * S]!,
          at: strings[k * S + 1]!,
          agent: names[numbers[n]!]!,
          project: names[numbers[n + 1]!]!,
          model: names[numbers[n + 2]!]!,
          tokens,
          fast: (flags & FAST) !== 0,
        }),
        { branch: branch ?? undefined, repo: repo ?? undefined },
      ),
    };
    if (flags & SIDECHAIN) r.sidechain = true;
    if (numbers[n + 9]! >= 0) r.reportedCostNanos = numbers[n + 9]!;
    out[k] = r;
  }
  return out;
}

/**
 * A batch goes out at this many records (a big file is sent in parts, so memory stays bounded
 * whatever its size), after this many files (well under parallel.ts's queue depth, so more work
 * arrives before the queue runs dry), or when nothing more is queued: one message per file would
 * cost more than reading a small file.
 */
const BATCH_RECORDS = 4000;
const BATCH_FILES = 16;

export function runWorker(): void {
  const port = workerThreads().parentPort;
  if (!port) throw new Error('runWorker: not in a worker thread');
  let entries: Entry[] = [];
  let pending: ParsedRecord[] = [];
  const send = () => {
    if (entries.length === 0) return;
    const records = pack(pending);
    port.postMessage({ entries, records } satisfies Batch, [records.numbers.buffer as ArrayBuffer]);
    entries = [];
    pending = [];
  };
  // Jobs arrive while others are being read: each runs to its end before the next starts.
  let queued = 0;
  let chain = Promise.resolve();
  port.on('message', (jobs: Job[]) => {
    queued += jobs.length;
    for (const job of jobs) chain = chain.then(() => read(job));
  });
  async function read(job: Job): Promise<void> {
    const logs: [keyof Logger, string][] = [];
    const logger: Logger = {
      info: (m) => logs.push(['info', m]),
      warn: (m) => logs.push(['warn', m]),
      error: (m) => logs.push(['error', m]),
    };
    let entry: Entry = { seq: job.seq, count: 0 };
    let update: FileUpdate | null = null;
    try {
      const adapter = ADAPTERS.find((a) => a.id === job.source);
      if (!adapter) throw new Error(`no adapter ${job.source}`);
      update = await readFileUpdate(job.file, adapter, job.prev, {
        logger,
        maxLineBytes: job.maxLineBytes,
        onRecords: async (records) => {
          for (const r of records) pending.push(r);
          entry.count += records.length;
          if (pending.length >= BATCH_RECORDS) {
            entries.push(entry);
            send();
            entry = { seq: job.seq, count: 0 };
          }
        },
      });
    } catch (err) {
      // As on the importer's thread: the file is looked at again on the next scan, and records
      // handed over before the failure are kept (ids make a second read harmless).
      logs.push(['warn', `${job.file}: could not be read (${errorMessage(err)}); trying again later`]);
      update = null;
    }
    entry.end = { update, logs };
    entries.push(entry);
    queued--;
    if (queued === 0 || pending.length >= BATCH_RECORDS || entries.length >= BATCH_FILES) send();
  }
}
