/**
 * What Claude Code's status line reads before it makes its line (statusline.ts): the session's transcript, which
 * Claude Code names on stdin (transcript_path), and its subagents' (<session>/subagents/*.jsonl). Claude Code runs the
 * status line after each message, so the line counts the turn that just ended even with no editor running to import
 * it. No folder is walked: the import reads these files alone (ScanOptions.only), and only where a scan would find
 * them, since the path comes from outside.
 *
 * A run that finds them as the last run left them reads nothing, and opens neither the ledger nor the offsets: what
 * that run read is kept in <data dir>/cache/statusline.json, each file's stat taken before it was read (a line
 * appended during the read changes the size kept, and the next run reads it), and the subagents' folder's (a new
 * subagent's file changes its times). Kept only when the import succeeded.
 */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { replaceFileSync } from '../core/atomicFile';
import { errorMessage } from '../core/errors';
import { importSession } from '../core/import/session';
import { openLedger, type Ledger } from '../core/ledger';
import type { RollupIndex } from '../core/ledger/rollup';
import type { PriceTable } from '../core/pricing';
import { ensurePrivateDirSync } from '../core/privateFs';
import type { CliContext } from './context';
import { readKept } from './readKept';
import { importFor, type CliSettings } from './setup';

const VERSION = 1;
const CACHE = path.join('cache', 'statusline.json');
const MAX_CACHE_BYTES = 256 * 1024;
/** Subagent transcripts read with a session's at most: a turn starts a few. */
const MAX_SUBAGENTS = 256;

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

const isSeen = (x: unknown): boolean =>
  Array.isArray(x) &&
  x.length === 2 &&
  typeof x[0] === 'string' &&
  (x[1] === null || (Array.isArray(x[1]) && x[1].length === 3 && x[1].every((n) => typeof n === 'number')));

const sameSeen = (a: readonly Seen[], b: readonly Seen[]) =>
  a.length === b.length && a.every(([p, x], i) => p === b[i][0] && (x === null ? b[i][1] === null : x.every((v, k) => v === b[i][1]?.[k])));

/** What the last run read, as kept; [] when none is kept or it is not ours. */
function lastRead(file: string): Seen[] {
  try {
    const text = readKept(file, MAX_CACHE_BYTES);
    const v = JSON.parse(text) as { version?: unknown; seen?: unknown } | null;
    return v?.version === VERSION && Array.isArray(v.seen) && v.seen.every(isSeen) ? (v.seen as Seen[]) : [];
  } catch {
    return [];
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
  if (sameSeen(now, lastRead(cache))) return;
  let ledger: Ledger | null = null;
  try {
    ledger = await openLedger({ dir: ctx.dataDir, logger: ctx.logger, ownsDir: !ctx.env.UNMETERED_HOME, lazy: true, index: () => index });
    await importSession({ ...importFor(ctx, ledger, prices, settings), sourcesInSummary: false }).scan({
      only: [transcript, ...subagents],
    });
    await ledger.close();
    ledger = null;
    try {
      ensurePrivateDirSync(path.dirname(cache));
      replaceFileSync(cache, JSON.stringify({ version: VERSION, seen: now }), { flush: false });
    } catch {
      // not kept: the next run reads the files again, and finds nothing new in them
    }
  } catch (err) {
    ctx.stderr.write(`unmetered statusline: could not read ${transcript} (${errorMessage(err)})\n`);
  } finally {
    await ledger?.close().catch(() => undefined);
  }
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
