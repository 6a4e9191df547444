/**
 * What Claude Code's status line reads before it makes its line (statusline.ts): the session's transcript, which
 * Claude Code names on stdin (transcript_path), and its subagents' (<session>/subagents/*.jsonl). Claude Code runs the
 * status line after each message, so the line counts the turn that just ended even with no editor running to import
 * it. No folder is walked: the import reads these files alone (ScanOptions.only), and only where a scan would find
 * them, since the path comes from outside.
 *
 * A run that finds them as the last run for that session left them reads nothing, and opens neither the ledger nor the
 * offsets: what each run read is kept in <data dir>/cache/statusline.json (for the latest SESSIONS sessions), each
 * file's stat taken before it was read (a line appended during the read changes the size kept, and the next run reads
 * it), and the subagents' folder's (a new subagent's file changes its times). Kept only when the import succeeded.
 */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { replaceFileSync } from '../core/atomicFile';
import { errorMessage } from '../core/errors';
import { importSession } from '../core/import/session';
import { openLedger } from '../core/ledger';
import type { ScanOptions } from '../core/import/importer';
import type { RollupIndex } from '../core/ledger/rollup';
import type { PriceTable } from '../core/pricing';
import { ensurePrivateDirSync } from '../core/privateFs';
import type { CliContext } from './context';
import { readKept } from './readKept';
import { progressLine } from './progress';
import { importFor, type CliSettings } from './setup';

const VERSION = 1;
const CACHE = path.join('cache', 'statusline.json');
const MAX_CACHE_BYTES = 256 * 1024;
/** Subagent transcripts read with a session's at most: a turn starts a few. */
const MAX_SUBAGENTS = 256;
/** Sessions whose files are kept as read: Claude Code in several terminals at once. */
const SESSIONS = 16;

/** A path and its stat (inode, size, modification time), or null where nothing was there. */
type Seen = [path: string, id: [ino: number, size: number, mtimeMs: number] | null];

function seen(p: string): Seen {
  try {
    const st = statSync(p, { throwIfNoEntry: false });
    return [p, st ? [st.ino, st.size, st.mtimeMs] : null];
  } catch {
    return [p, null];
  }
}

/** What the last runs read, per transcript (the latest last), as kept; empty when none is kept or it is not ours. */
function lastRead(file: string): Map<string, unknown> {
  try {
    const v = JSON.parse(readKept(file, MAX_CACHE_BYTES)) as { version?: unknown; read?: unknown } | null;
    const pairs = v?.version === VERSION && Array.isArray(v.read) ? (v.read as unknown[]) : [];
    // Only compared with what this run saw (as JSON): an entry of another shape is just not the same.
    return new Map(pairs.filter((e): e is [string, unknown] => Array.isArray(e) && e.length === 2 && typeof e[0] === 'string'));
  } catch {
    return new Map();
  }
}

/**
 * Reads what `transcript` and its subagents' transcripts gained into the ledger (and `index`, the rollup the line is
 * made from). What fails is told on standard error, which Claude Code does not show; the line is then made from what
 * the ledger holds.
 */
export async function importTurn(
  ctx: CliContext,
  settings: CliSettings,
  prices: PriceTable,
  index: RollupIndex,
  transcript: string,
): Promise<void> {
  const cache = path.join(ctx.dataDir, CACHE);
  // Stat'ed before they are read: what is kept never vouches for more than was read.
  const dir = transcript.endsWith('.jsonl') ? path.join(transcript.slice(0, -'.jsonl'.length), 'subagents') : null;
  const now = [seen(transcript), ...(dir ? [seen(dir)] : [])];
  if (now[0][1] === null) return; // not there (yet): nothing to read
  const subagents = dir && now[1][1] ? subagentsIn(dir) : [];
  now.push(...subagents.map(seen));
  const read = lastRead(cache);
  if (JSON.stringify(read.get(transcript)) === JSON.stringify(now)) return;
  try {
    await importInto(ctx, settings, prices, index, { only: [transcript, ...subagents] });
  } catch (err) {
    ctx.stderr.write(`unmetered statusline: could not read ${transcript} (${errorMessage(err)})\n`);
    return;
  }
  try {
    ensurePrivateDirSync(path.dirname(cache));
    // Each session's, for sessions in several terminals; the latest SESSIONS kept.
    read.delete(transcript);
    read.set(transcript, now);
    const kept = [...read].slice(-SESSIONS);
    replaceFileSync(cache, JSON.stringify({ version: VERSION, read: kept }), { flush: false });
  } catch {
    // not kept: the next run reads the files again, and finds nothing new in them
  }
}

/**
 * In a shell prompt (no payload, so no transcript named): the import every other command runs first, of each enabled
 * agent's logs. A run with nothing new costs the quick check of a re-run (a stat of each log file: import/quick.ts)
 * and writes nothing. What fails is told on standard error; the line is then made from what the ledger holds.
 */
export async function importLogs(ctx: CliContext, settings: CliSettings, prices: PriceTable, index: RollupIndex): Promise<void> {
  // The first prompt on a machine imports its whole history: shown on the terminal as other commands show it.
  const progress = progressLine(ctx.stderr, ctx.env);
  try {
    await importInto(ctx, settings, prices, index, { onProgress: progress.update });
    progress.done();
  } catch (err) {
    progress.done();
    ctx.stderr.write(`unmetered statusline: could not import the agents' logs (${errorMessage(err)})\n`);
  }
}

/** One scan into the ledger, opened for it (its rollup `index` kept current) and closed after, whatever happens. */
async function importInto(
  ctx: CliContext,
  settings: CliSettings,
  prices: PriceTable,
  index: RollupIndex,
  scan: ScanOptions,
): Promise<void> {
  const ledger = await openLedger({
    dir: ctx.dataDir,
    logger: ctx.logger,
    ownsDir: !ctx.env.UNMETERED_HOME,
    lazy: true,
    index: () => index,
  });
  try {
    await importSession({ ...importFor(ctx, ledger, prices, settings), sourcesInSummary: false }).scan(scan);
  } catch (err) {
    await ledger.close().catch(() => undefined); // the scan's failure is the one told
    throw err;
  }
  await ledger.close();
}

/** The subagent transcripts in a session's subagents/ folder, in name order. */
function subagentsIn(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((n) => n.endsWith('.jsonl'))
      .sort()
      .slice(0, MAX_SUBAGENTS)
      .map((n) => path.join(dir, n));
  } catch {
    return []; // unreadable: read with the next scan
  }
}
