/**
 * `unmetered statusline`: the one line Claude Code shows under its prompt. Claude Code runs the
 * command on every update and writes a JSON object on stdin (documented at
 * https://docs.anthropic.com/en/docs/claude-code/statusline: session_id, transcript_path, cwd,
 * model.{id,display_name}, workspace.{current_dir,project_dir}, version, cost.total_cost_usd, …);
 * the first line printed becomes the status line. It must be quick and must never fail: no
 * agent-log import (the extension or a later `unmetered` run imports), a bounded stdin read, only
 * the ledger's recent segments read (recent.ts), and a line printed even when the payload or the
 * ledger cannot be read.
 */
import type { Readable } from 'node:stream';
import { computeMeter } from '../core/meter';
import { formatUSD } from '../core/money';
import { activeBlock, buildBlocks, BLOCK_MS } from '../core/report/blocks';
import { intArg, numberArg, zoneArg } from './args';
import { EXIT, type CliContext } from './context';
import { parseCommand } from './options';
import { currentlyPriced, loadPriceTable } from '../core/pricing';
import { readRecentRecords } from './recent';
import { cliSettings } from './setup';
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
}

const MAX_STDIN = 1 << 20;

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
  const none: StatusPayload = { sessionId: null, model: null, project: null, sessionCostUSD: null };
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
    const recent = await readRecentRecords(ctx.dataDir, now);
    if (recent.malformedLines) ctx.logger.warn(`ledger: ${recent.malformedLines} malformed line(s) skipped`);
    const priced = currentlyPriced(recent.records, loadPriceTable({ overrides: settings.prices, logger: ctx.logger }));
    line = statusLine(payload, priced, now, settings.timeZone, settings.budgetNanos, paint);
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

const usd = (x: number) => formatUSD(Math.round(x * 1e9));

/** The line itself: pure, so goldens pin it. */
function statusLine(
  p: StatusPayload,
  records: readonly import('../core/interaction').Interaction[],
  now: number,
  timeZone: string,
  budgetNanos: number | null,
  paint: Paint,
): string {
  const m = computeMeter(records, { now, timeZone, budgetNanos });
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
  // Only an active block matters here, and it started less than 5 hours ago; a day of history is
  // enough to place its start unless Claude Code ran for a day with no 5-hour pause.
  const since = new Date(now - 24 * 3_600_000).toISOString();
  const recent = records.filter((r) => r.agent === 'claude-code' && r.at >= since);
  const block = activeBlock(buildBlocks(recent, now));
  if (block) {
    const left = duration((Date.parse(block.start) + BLOCK_MS - now) / 60_000);
    const cost = block.costUSD === null ? 'unpriced' : usd(block.costUSD);
    parts.push(`block ${cost}, ${left} left${block.projection?.costUSD != null ? ` (→ ${usd(block.projection.costUSD)})` : ''}`);
  }
  return parts.join(paint.dim(' · '));
}
