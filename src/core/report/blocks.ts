/**
 * 5-hour usage blocks, as a Claude subscriber meets its limits and as ccusage counts them
 * (ccusage src/_session-blocks.ts, identifySessionBlocks): a block starts at its first interaction
 * floored to the UTC hour and lasts 5 hours; an interaction more than 5 hours after the block's
 * start, or after the previous interaction, opens a new block. A block is active while `now` is
 * before its end and less than 5 hours after its last interaction. Pure: `now` is an argument.
 */
import type { Interaction } from '../interaction';
import { compareKeys, emptyTally, addRecord, byCostDesc, toTotals, type Tally, type Totals } from './totals';

export const BLOCK_MS = 5 * 3_600_000;
const HOUR_MS = 3_600_000;

export interface Block extends Totals {
  /** ISO instant the block starts (first interaction floored to the UTC hour), its id. */
  start: string;
  end: string;
  firstAt: string;
  lastAt: string;
  active: boolean;
  models: string[];
  /** Over the span from the first to the last interaction; null when that span is zero. */
  burnRate: { tokensPerMinute: number; costUSDPerHour: number | null } | null;
  /** Active blocks only: the cost and tokens at the block's end if the burn rate holds. */
  projection: { costUSD: number | null; tokens: number; remainingMinutes: number } | null;
}

/** Tokens counted towards a block's rate: input + output, as ccusage's burn rate counts them. */
const rateTokens = (t: Tally) => t.input + t.output;

export function buildBlocks(records: Iterable<Interaction>, now: number): Block[] {
  const sorted = [...records].sort((a, b) => compareKeys(a.at, b.at));
  const blocks: Block[] = [];
  let start = 0;
  let prev = 0;
  let members: Interaction[] = [];
  for (const r of sorted) {
    const t = Date.parse(r.at);
    if (members.length && (t - start > BLOCK_MS || t - prev > BLOCK_MS)) {
      blocks.push(toBlock(start, members, now));
      members = [];
    }
    if (!members.length) start = Math.floor(t / HOUR_MS) * HOUR_MS;
    members.push(r);
    prev = t;
  }
  if (members.length) blocks.push(toBlock(start, members, now));
  return blocks;
}

/** How far before the first block wanted recordsForBlocksFrom looks for a gap: a day and both its nights. */
const LOOKBACK_MS = 2 * 86_400_000;

/**
 * The records buildBlocks needs to give every block that starts at or after `from` exactly as the whole
 * history gives it, without the whole history; null when the two days before `from` show no 5-hour gap
 * (then every record is needed). Whether a record opens a block depends on the block before it, back to the
 * first record; but a record more than 5 hours after the one before it opens a block whatever came
 * earlier. So the records are taken from two days before `from` (a night's gap is seen whole only with the
 * records before it): from the last such record at or before `from` on (or from the first record read, when
 * none came in the 5 hours before it), the blocks are the whole history's.
 * A person's night is such a gap; an agent that ran two days without a 5-hour pause is not. When those days
 * reach back past `historyStart` (no record is older), all the records are there. `recordsSince(ms)`: the
 * records buildBlocks would be given whose time is at or after `ms`.
 */
export async function recordsForBlocksFrom(
  from: number,
  historyStart: number,
  recordsSince: (ms: number) => Promise<readonly Interaction[]>,
): Promise<Interaction[] | null> {
  const since = Math.max(from - LOOKBACK_MS, historyStart);
  const records = [...(await recordsSince(since))].sort((a, b) => compareKeys(a.at, b.at));
  if (since === historyStart || records.length === 0) return records;
  const t = (i: number) => Date.parse(records[i]!.at);
  let j = records.length - 1;
  while (j > 0 && t(j) > from) j--;
  for (; j >= 1; j--) if (t(j) - t(j - 1) > BLOCK_MS) return records.slice(j);
  // Nothing in the 5 hours before the first record read: it opens a block whatever came before `since`.
  if (t(0) - since > BLOCK_MS) return records;
  return null;
}

function toBlock(start: number, members: Interaction[], now: number): Block {
  const tally = emptyTally();
  const models = new Map<string, Tally>();
  for (const r of members) {
    addRecord(tally, r);
    let m = models.get(r.model);
    if (!m) models.set(r.model, (m = emptyTally()));
    addRecord(m, r);
  }
  const end = start + BLOCK_MS;
  // A block is made when its first record arrives: members is never empty.
  const firstAt = members[0]!.at;
  const lastAt = members[members.length - 1]!.at;
  const first = Date.parse(firstAt);
  const last = Date.parse(lastAt);
  const active = now < end && now - last < BLOCK_MS;
  const totals = toTotals(tally);
  const minutes = (last - first) / 60_000;
  const priced = totals.costUSD !== null;
  const burnRate =
    minutes > 0
      ? {
          tokensPerMinute: Math.round(rateTokens(tally) / minutes),
          costUSDPerHour: priced ? round6((tally.costNanos / 1e9 / minutes) * 60) : null,
        }
      : null;
  let projection: Block['projection'] = null;
  if (active && burnRate) {
    const remaining = Math.max(0, (end - now) / 60_000);
    projection = {
      costUSD: priced ? round6((tally.costNanos + (tally.costNanos / minutes) * remaining) / 1e9) : null,
      tokens: Math.round(rateTokens(tally) + (rateTokens(tally) / minutes) * remaining),
      remainingMinutes: Math.round(remaining),
    };
  }
  return {
    start: new Date(start).toISOString(),
    end: new Date(end).toISOString(),
    firstAt,
    lastAt,
    active,
    models: [...models].sort(byCostDesc).map(([k]) => k),
    ...totals,
    burnRate,
    projection,
  };
}

const round6 = (x: number) => Math.round(x * 1e6) / 1e6;

/** The block holding `now`, if one is active. */
export function activeBlock(blocks: readonly Block[]): Block | undefined {
  const b = blocks[blocks.length - 1];
  return b?.active ? b : undefined;
}
