/**
 * `unmetered statusline`: the one line Claude Code shows under its prompt. Claude Code runs the
 * command on every update and writes a JSON object on stdin (documented at
 * https://docs.anthropic.com/en/docs/claude-code/statusline: session_id, transcript_path, cwd,
 * model.{id,display_name}, workspace.{current_dir,project_dir}, version, cost.total_cost_usd, …);
 * the first line printed becomes the status line. It must be quick and must never fail: a bounded
 * stdin read, no folder walked (what the session's transcript gained is read, importTurn; the editor
 * or any other `unmetered` run imports the other agents' logs; in a shell prompt, which names no
 * transcript, every agent's logs are imported first, importLogs), the figures from the ledger's rollup
 * (else its recent segments, recent.ts), and a line printed even when the payload or the ledger
 * cannot be read.
 */
import type { Readable } from 'node:stream';
import { computeMeter, type Meter, type MeterOptions } from '../core/meter';
import { meterOf } from '../core/aggregate/meter';
import type { Interaction } from '../core/interaction';
import { commandRollup, entriesFromRollup } from './aggregate';
import { formatUSD } from '../core/money';
import { activeBlock, buildBlocks, BLOCK_MS } from '../core/report/blocks';
import { intArg, numberArg, zoneArg } from './args';
import { EXIT, type CliContext } from './context';
import { parseCommand } from './options';
import { currentlyPriced, loadPriceTable, type PriceTable } from '../core/pricing';
import { readRecentRecords } from './recent';
import { cliSettings } from './setup';
import { importLogs, importTurn } from './turn';
import type { RollupIndex } from '../core/ledger/rollup';
import { specOf } from './specs';
import { paintFor, type Paint } from './table';
import { duration } from './views';
import { errorMessage } from '../core/errors';

/** What this command reads from Claude Code's payload; every field optional and checked. */
export interface StatusPayload {
  sessionId: string | null;
  model: string | null;
  project: string | null;
  sessionCostUSD: number | null;
  /** The session's transcript (transcript_path), read before the line is made: see importTurn. */
  transcript: string | null;
}

const MAX_STDIN = 1 << 20;
const MAX_PATH = 4096;

/** Reads stdin up to a size and a time limit: a status line must not hang on a silent pipe. */
function readBounded(stream: Readable & { isTTY?: boolean }, timeoutMs: number): Promise<string> {
  if (stream.isTTY) return Promise.resolve('');
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => {
      clearTimeout(timer);
      stream.off('data', onData);
      stream.off('end', done);
      stream.off('error', done);
      stream.pause();
      resolve(Buffer.concat(chunks).toString('utf8'));
    };
    const onData = (c: Buffer) => {
      chunks.push(c);
      size += c.length;
      if (size >= MAX_STDIN) done();
    };
    const timer = setTimeout(done, timeoutMs);
    timer.unref?.();
    stream.on('data', onData);
    stream.once('end', done);
    stream.once('error', done);
  });
}

function parsePayload(text: string): StatusPayload {
  const none: StatusPayload = { sessionId: null, model: null, project: null, sessionCostUSD: null, transcript: null };
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return none;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return none;
  const o = v as Record<string, unknown>;
  const obj = (x: unknown) => (typeof x === 'object' && x !== null && !Array.isArray(x) ? (x as Record<string, unknown>) : {});
  const str = (x: unknown) => (typeof x === 'string' && x.length > 0 && x.length < 500 ? x : null);
  const model = obj(o.model);
  const ws = obj(o.workspace);
  const cost = obj(o.cost).total_cost_usd;
  const dir = str(ws.project_dir) ?? str(ws.current_dir) ?? str(o.cwd);
  return {
    sessionId: str(o.session_id),
    model: str(model.display_name) ?? str(model.id),
    project: dir ? (dir.split(/[\\/]/).filter(Boolean).pop() ?? null) : null,
    sessionCostUSD: typeof cost === 'number' && Number.isFinite(cost) && cost >= 0 ? cost : null,
    transcript: typeof o.transcript_path === 'string' && o.transcript_path.length < MAX_PATH ? o.transcript_path : null,
  };
}

export async function statuslineCommand(args: string[], ctx: CliContext): Promise<number> {
  const { values } = parseCommand(specOf('statusline')!, args);
  const budget = numberArg('budget', values.budget as string | undefined, 0, 1_000_000);
  const tz = zoneArg(values.tz as string | undefined);
  const timeout = intArg('timeout', values.timeout as string | undefined, 0, 10_000) ?? 500;
  const paint = paintFor(ctx.stdout, ctx.env, !!values['no-color']);
  const payload = parsePayload(ctx.stdin ? await readBounded(ctx.stdin, timeout) : '');
  let line: string;
  try {
    const settings = await cliSettings(ctx, { tz, budget });
    const now = ctx.clock.now();
    const prices = loadPriceTable({ overrides: settings.prices, logger: ctx.logger });
    const index = commandRollup(ctx.dataDir, settings.timeZone);
    if (!values['no-scan']) {
      // Claude Code names the session's transcript: that alone is read. A shell prompt names none: every log is.
      if (payload.transcript) await importTurn(ctx, settings, prices, index, payload.transcript);
      else await importLogs(ctx, settings, prices, index);
    }
    const figures = (await fromRollup(ctx, prices, settings.timeZone, now, index)) ?? (await fromRecentSegments(ctx, prices, now));
    const meter = figures.meter({ now, timeZone: settings.timeZone, budgetNanos: settings.budgetNanos });
    line = statusLine(payload, meter, figures.blockRecords, now, paint);
  } catch (err) {
    // The line still shows what Claude Code told us; the reason goes to stderr, which it does not show.
    ctx.stderr.write(`unmetered statusline: ${errorMessage(err)}\n`);
    line = [payload.model, payload.sessionCostUSD === null ? null : `session ${usd(payload.sessionCostUSD)}`, 'ledger unreadable']
      .filter(Boolean)
      .join(' · ');
  }
  ctx.stdout.write(line + '\n');
  return EXIT.ok;
}

/** What the line is made of: the meter, and Claude Code's records of the last day (for its 5-hour block). */
interface Figures {
  meter(opts: MeterOptions): Meter;
  blockRecords: readonly Interaction[];
}

/** A block started less than 5 hours ago; a day of history places its start unless Claude Code ran a day without a 5-hour pause. */
const BLOCK_LOOKBACK_MS = 24 * 3_600_000;
/**
 * From the ledger's rollup (core/ledger/rollup.ts), as `status` answers: its day cells for the meter, and
 * the last day's records read back by the offsets it keeps. A year of history is ~0.2 s instead of
 * ~0.65 s decoding 40 days of lines. Null when the rollup cannot answer alone (the records then do).
 * The first run where none is saved builds it from the ledger, once.
 */
async function fromRollup(ctx: CliContext, prices: PriceTable, timeZone: string, now: number, index: RollupIndex): Promise<Figures | null> {
  // Saved as every command saves it (commandRollup): the editor's import appends on every prompt.
  const entries = await entriesFromRollup(ctx.dataDir, prices, timeZone, ctx.logger, index);
  if (!entries) return null;
  // Claude Code's cells alone: another agent's records of the day are not read back for a block they are not in.
  const recent = await index.recentRecords(new Date(now - BLOCK_LOOKBACK_MS).toISOString(), 'claude-code');
  return {
    meter: (opts) => meterOf(entries, opts),
    blockRecords: currentlyPriced(recent, prices),
  };
}

/** From the ledger's segments of the last 40 days (recent.ts), read line by line. */
async function fromRecentSegments(ctx: CliContext, prices: PriceTable, now: number): Promise<Figures> {
  const recent = await readRecentRecords(ctx.dataDir, now);
  if (recent.malformedLines) ctx.logger.warn(`ledger: ${recent.malformedLines} malformed line(s) skipped`);
  const priced = currentlyPriced(recent.records, prices);
  const since = new Date(now - BLOCK_LOOKBACK_MS).toISOString();
  return {
    meter: (opts) => computeMeter(priced, opts),
    blockRecords: priced.filter((r) => r.agent === 'claude-code' && r.at >= since),
  };
}

const usd = (x: number) => formatUSD(Math.round(x * 1e9));

/** The line itself: pure, so goldens pin it. */
function statusLine(p: StatusPayload, m: Meter, blockRecords: readonly Interaction[], now: number, paint: Paint): string {
  const parts: string[] = [];
  if (p.model) parts.push(paint.bold(p.model));
  if (p.sessionCostUSD !== null) parts.push(`session ${usd(p.sessionCostUSD)}`);
  parts.push(`today ${formatUSD(m.todayNanos)}`);
  if (m.budgetNanos !== null && m.budgetNanos > 0) {
    const pct = Math.round((m.monthToDateNanos * 100) / m.budgetNanos);
    const text = `month ${formatUSD(m.monthToDateNanos, { compact: true })} of ${formatUSD(m.budgetNanos, { compact: true })} (${pct} %)`;
    parts.push(m.budgetState === 'over' ? paint.red(text) : m.budgetState === 'warning' ? paint.yellow(text) : text);
  } else {
    parts.push(`month ${formatUSD(m.monthToDateNanos, { compact: true })}`);
  }
  const block = activeBlock(buildBlocks(blockRecords, now));
  // Under way means started: a block of records dated after `now` (this clock behind the one that wrote them)
  // is "active" by ccusage's rule, which `blocks` keeps, with more than its 5 hours left.
  if (block && Date.parse(block.start) <= now) {
    const left = duration((Date.parse(block.start) + BLOCK_MS - now) / 60_000);
    const cost = block.costUSD === null ? 'unpriced' : usd(block.costUSD);
    parts.push(`block ${cost}, ${left} left${block.projection?.costUSD != null ? ` (→ ${usd(block.projection.costUSD)})` : ''}`);
  }
  return parts.join(paint.dim(' · '));
}
