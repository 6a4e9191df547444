/**
 * `unmetered daily | weekly | monthly | session | project | blocks` (also `report --by …`): the
 * ccusage views, over every agent's records in the ledger, in text or JSON.
 */
import { formatUSD, grouped } from '../core/money';
import { activeBlock, BLOCK_MS, buildBlocks, recordsForBlocksFrom, type Block } from '../core/report/blocks';
import { emptyTally, toTotals, TOTALS_FIELDS, type Totals } from '../core/report/totals';
import { buildView, type Order, type ViewJson, type ViewKind, type ViewRow } from '../core/report/views';
import { isWeekStart } from '../core/report/week';
import { dayOfIso, localDateTime, startOfDay } from '../core/time';
import { holdsForTheDay } from './answerDay';
import type { RollupIndex } from '../core/ledger/rollup';
import type { Logger } from '../core/ports';
import { currentlyPriced, type PriceTable } from '../core/pricing';
import type { Interaction } from '../core/interaction';
import { dayArg, intArg, plural, zoneArg } from './args';
import { EXIT, UsageError, type CliContext } from './context';
import { parseCommand, type Values } from './options';
import { machineZone, openForCli } from './setup';
import { answeringRollup, overPlacedShare, viewFromRollup } from './aggregate';
import { specOf } from './specs';
import { paintFor, renderTable, type Paint } from './table';

export interface RangeArgs {
  since?: string;
  until?: string;
  last?: number;
  order: Order;
  project?: string;
  agent?: string;
  tz?: string;
}

/** The options every view shares, checked, with a friendly message for each mistake. */
export function rangeArgs(v: Values): RangeArgs {
  const since = dayArg('since', v.since as string | undefined);
  const until = dayArg('until', v.until as string | undefined);
  if (since && until && since > until) throw new UsageError(`--since ${since} is after --until ${until}`);
  const last = intArg('last', v.last as string | undefined, 1, 100_000);
  if (last !== undefined && since !== undefined)
    throw new UsageError('--last and --since both choose where the range starts: give one of them');
  const order = (v.order as string | undefined) ?? 'asc';
  if (order !== 'asc' && order !== 'desc') throw new UsageError(`--order: expected asc or desc, got ${JSON.stringify(order)}`);
  if (v.tz !== undefined && v.timezone !== undefined && v.tz !== v.timezone)
    throw new UsageError('--tz and --timezone are the same option: give one');
  const tz = zoneArg(v.tz as string | undefined) ?? zoneArg(v.timezone as string | undefined, 'timezone');
  return { since, until, last, order, project: v.project as string | undefined, agent: v.agent as string | undefined, tz };
}

export async function viewCommand(kind: ViewKind, args: string[], ctx: CliContext): Promise<number> {
  const { values } = parseCommand(specOf(kind)!, args);
  machineZone(ctx); // --tz naming this machine's zone is then checked without Intl
  const r = rangeArgs(values);
  const ws = values['week-start'] as string | undefined;
  if (ws !== undefined && !isWeekStart(ws))
    throw new UsageError(`--week-start: expected monday, sunday or saturday, got ${JSON.stringify(ws)}`);
  // Every view is a union of whole rollup cells (a local day × project × agent × model × …).
  const { settings, ledger, prices, records, rollup } = await openForCli(ctx, { scan: !values['no-scan'], tz: r.tz, lazy: true });
  try {
    const id = values.id as string | undefined;
    const o = {
      kind,
      ...r,
      repo: values.repo as string | undefined,
      breakdown: !!values.breakdown,
      weekStart: ws,
      now: ctx.clock.now(),
      timeZone: settings.timeZone,
      priceTable: prices.version,
    };
    // A view changes with "now" only at the view zone's midnight: a kept answer holds for the day (answers.ts).
    holdsForTheDay(ctx, o.now, o.timeZone);
    // Answered from the ledger's rollup: no record is read unless it cannot answer.
    const aggregated = await viewFromRollup(ctx.dataDir, prices, o, ctx.logger, rollup);
    if (!aggregated) await ledger.load();
    const view = aggregated ?? buildView(records(), o);
    if (id !== undefined) {
      view.rows = view.rows.filter((row) => row.key === id);
      view.totals = view.rows[0] ? totalsOf(view.rows[0]) : toTotals(emptyTally());
    }
    ctx.stdout.write(
      values.json ? JSON.stringify(view, null, 2) + '\n' : viewText(view, paintFor(ctx.stdout, ctx.env, !!values['no-color'])),
    );
    return EXIT.ok;
  } finally {
    await ledger.close();
  }
}

const totalsOf = (t: Totals): Totals => Object.fromEntries(TOTALS_FIELDS.map((k) => [k, t[k]])) as unknown as Totals;

const usdText = (usd: number | null, unpriced = 0) =>
  usd === null ? 'unpriced' : formatUSD(Math.round(usd * 1e9)) + (unpriced ? '*' : '');
const n = grouped;
const TITLES: Record<ViewKind, string> = {
  daily: 'Day',
  weekly: 'Week',
  monthly: 'Month',
  session: 'Session',
  project: 'Project',
  branch: 'Branch',
  repo: 'Repository',
};

function cells(label: string, t: Totals): string[] {
  return [
    label,
    usdText(t.costUSD, t.unpricedInteractions),
    n(t.inputTokens),
    n(t.outputTokens),
    n(t.cacheReadTokens),
    n(t.cacheWriteTokens),
    plural(t.interactions, 'call'),
  ];
}

export function rangeText(since: string | null, until: string | null, state: string): string {
  return `${since ?? 'first record'} … ${until ?? 'today'}${state === 'future' ? ' (in the future: nothing can be recorded yet)' : ''}`;
}

function viewText(v: ViewJson, paint: Paint): string {
  const head = `Unmetered · ${v.view} · ${rangeText(v.since, v.until, v.rangeState)} (${v.timeZone}; prices ${v.priceTable})`;
  const cols = [TITLES[v.view], 'cost', 'input', 'output', 'cache read', 'cache write', 'calls'].map((title) => ({ title }));
  const rows: (string[] | null)[] = [];
  for (const r of v.rows) {
    rows.push(cells(rowLabel(v.view, r, paint), r));
    if (r.breakdown) {
      for (const m of r.breakdown.models) rows.push(cells(paint.dim(`  └ ${m.model}`), m));
      for (const a of r.breakdown.agents) rows.push(cells(paint.dim(`  └ agent ${a.agent}`), a));
    }
  }
  rows.push(null, cells(paint.bold('Total'), v.totals));
  const out = [paint.bold(head), ''];
  if (!v.rows.length)
    out.push(v.rangeState === 'future' ? 'Nothing recorded: the range is in the future.' : 'No interactions in this range.');
  else out.push(...renderTable(cols, rows, paint));
  if (v.totals.unpricedInteractions)
    out.push(
      '',
      `* ${plural(v.totals.unpricedInteractions, 'interaction')} of unpriced models ${v.totals.unpricedInteractions === 1 ? 'is' : 'are'} not in the cost.`,
    );
  return out.join('\n') + '\n';
}

function rowLabel(kind: ViewKind, r: ViewRow, paint: Paint): string {
  if (kind === 'session') return `${r.key}${r.sessionKnown && r.projects?.length ? paint.dim(` (${r.projects.join(', ')})`) : ''}`;
  if (kind === 'project') return `${r.key}${paint.dim(` (${r.agents.join(', ')})`)}`;
  if (kind === 'branch') return `${r.key}${r.repos?.length ? paint.dim(` (${r.repos.join(', ')})`) : ''}`;
  if (kind === 'repo') return `${r.key}${r.branches?.length ? paint.dim(` (${plural(r.branches.length, 'branch', 'branches')})`) : ''}`;
  const label = kind === 'weekly' ? `${r.label} from ${r.key}` : r.label;
  return r.state === 'complete' ? label : `${label} ${paint.yellow(r.state === 'future' ? '(in the future)' : '(in progress)')}`;
}

// ---- blocks ----

export interface BlocksJson {
  timeZone: string;
  priceTable: string;
  blocks: Block[];
}

export async function blocksCommand(args: string[], ctx: CliContext): Promise<number> {
  const { values } = parseCommand(specOf('blocks')!, args);
  machineZone(ctx);
  const r = rangeArgs(values);
  const agent = r.agent === 'all' ? undefined : (r.agent ?? 'claude-code');
  const { settings, ledger, prices, records, rollup } = await openForCli(ctx, { scan: !values['no-scan'], tz: r.tz, lazy: true });
  try {
    const now = ctx.clock.now();
    const dayOf = dayOfIso(settings.timeZone);
    const keep = (x: Interaction) =>
      (agent === undefined || x.agent === agent) &&
      (r.project === undefined || x.project === r.project) &&
      (!r.since || dayOf(x.at) >= r.since) &&
      (!r.until || dayOf(x.at) <= r.until);
    // The active block, or the last 3 days' and the active one: only the records those need (read back
    // through the rollup), not every record of the history. With --since, the blocks are made of the records
    // `keep` takes, none before that day: those are the records from its start on.
    const from = values.active ? now - BLOCK_MS : values.recent ? now - RECENT_MS : null;
    const sinceStart = r.since ? startOfDay(r.since, settings.timeZone) : undefined;
    let picked = !rollup
      ? null
      : from !== null
        ? await recentFromRollup(rollup, prices, from, keep, sinceStart, ctx.logger)
        : sinceStart !== undefined
          ? await sinceFromRollup(rollup, prices, sinceStart, keep, ctx.logger)
          : null;
    if (!picked) {
      await ledger.load();
      picked = records().filter(keep);
    }
    let blocks = buildBlocks(picked, now);
    if (values.active) blocks = activeBlock(blocks) ? [activeBlock(blocks)!] : [];
    if (values.recent) blocks = blocks.filter((b) => b.active || Date.parse(b.start) >= now - RECENT_MS);
    if (r.last !== undefined) blocks = blocks.slice(-r.last);
    if (r.order === 'desc') blocks.reverse();
    const out: BlocksJson = { timeZone: settings.timeZone, priceTable: prices.version, blocks };
    ctx.stdout.write(
      values.json ? JSON.stringify(out, null, 2) + '\n' : blocksText(out, now, agent, paintFor(ctx.stdout, ctx.env, !!values['no-color'])),
    );
    return EXIT.ok;
  } finally {
    await ledger.close();
  }
}

/** `blocks --recent`: the blocks that started in the last 3 days. */
const RECENT_MS = 3 * 86_400_000;

/**
 * The records `keep` takes from which buildBlocks gives every block starting at or after `from` as the whole
 * history does (recordsForBlocksFrom), priced as every command prices them; null as answeringRollup (the
 * records are read instead). `sinceStart`: where --since starts, before which `keep` takes nothing.
 */
async function recentFromRollup(
  index: RollupIndex,
  prices: PriceTable,
  from: number,
  keep: (x: Interaction) => boolean,
  sinceStart: number | undefined,
  logger: Logger,
): Promise<Interaction[] | null> {
  const rollup = await answeringRollup(index, logger);
  if (!rollup) return null;
  // The oldest record's time (no record is older), or where --since starts when that is later.
  let first = Infinity;
  for (const t of [...rollup.cells.map((c) => c.firstAt), ...rollup.loose.map((x) => x.at)]) {
    const ms = Date.parse(t);
    if (ms < first) first = ms;
  }
  const historyStart = Math.max(Number.isFinite(first) ? first : from, sinceStart ?? -Infinity);
  return recordsForBlocksFrom(from, historyStart, async (ms) =>
    currentlyPriced((await index.recentRecords(new Date(ms).toISOString())).filter(keep), prices),
  );
}

/**
 * The records `keep` takes, when it takes none before `sinceStart` (--since): read back through the rollup from a
 * day before it (a margin on the day's start, which `keep` decides), priced as every command prices them; null as
 * answeringRollup, and when those cells hold too many of the records to read by place (overPlacedShare).
 */
async function sinceFromRollup(
  index: RollupIndex,
  prices: PriceTable,
  sinceStart: number,
  keep: (x: Interaction) => boolean,
  logger: Logger,
): Promise<readonly Interaction[] | null> {
  const rollup = await answeringRollup(index, logger);
  if (!rollup) return null;
  const since = new Date(sinceStart - 86_400_000).toISOString();
  if (overPlacedShare(rollup, (c) => c.lastAt >= since)) return null;
  return currentlyPriced((await index.recentRecords(since)).filter(keep), prices);
}

/** "2h 05m" */
export function duration(minutes: number): string {
  const m = Math.max(0, Math.round(minutes));
  return m >= 60 ? `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m` : `${m}m`;
}

function blocksText(b: BlocksJson, now: number, agent: string | undefined, paint: Paint): string {
  const head = `Unmetered · 5-hour blocks · ${agent ?? 'every agent'} (${b.timeZone}; prices ${b.priceTable})`;
  if (!b.blocks.length) return `${paint.bold(head)}\n\nNo blocks${agent ? ` for ${agent}` : ''} in this range.\n`;
  const cols = ['start', 'state', 'cost', 'tokens', 'calls', 'burn rate', 'projected', 'models'].map((title, i) => ({
    title,
    align: i === 1 || i === 7 ? ('left' as const) : undefined,
  }));
  const rows = b.blocks.map((x) => {
    const tokens = x.inputTokens + x.outputTokens + x.cacheReadTokens + x.cacheWriteTokens;
    const state = x.active ? paint.cyan(`active, ${duration((Date.parse(x.end) - now) / 60_000)} left`) : 'ended';
    const rate = x.burnRate
      ? `${x.burnRate.costUSDPerHour === null ? 'unpriced' : `${formatUSD(Math.round(x.burnRate.costUSDPerHour * 1e9))}/h`}`
      : '-';
    const proj = x.projection ? usdText(x.projection.costUSD) : '-';
    return [
      localDateTime(Date.parse(x.start), b.timeZone),
      state,
      usdText(x.costUSD, x.unpricedInteractions),
      n(tokens),
      plural(x.interactions, 'call'),
      rate,
      proj,
      x.models.join(', '),
    ];
  });
  const out = [paint.bold(head), '', ...renderTable(cols, rows, paint)];
  const a = b.blocks.find((x) => x.active);
  if (a?.projection && a.burnRate) {
    out.push(
      '',
      `Active block: ${usdText(a.costUSD)} so far, ` +
        `${a.burnRate.costUSDPerHour === null ? 'unpriced' : `${formatUSD(Math.round(a.burnRate.costUSDPerHour * 1e9))}/h`}` +
        `; at this rate ${usdText(a.projection.costUSD)}` +
        ` by ${localDateTime(Date.parse(a.end), b.timeZone)} (${duration(a.projection.remainingMinutes)} left).`,
    );
  }
  return out.join('\n') + '\n';
}
