import { agentLabel } from '../core/plans/plans';
import type { Interaction } from '../core/interaction';
import { formatUSD } from '../core/money';
import { byCostDesc, compareKeys, groupTallies, tallyOf, toTotals, type Tally, type Totals } from '../core/report/totals';
import { dayOfIso, localDay } from '../core/time';
import { plural } from './args';
import { EXIT, type CliContext } from './context';
import { parseCommand } from './options';
import { openForCli } from './setup';
import { modelLabel } from '../core/unrecorded';
import { plainText } from '../core/sanitize';
import { specOf } from './specs';
import { paintFor, renderTable, type Paint } from './table';
import { rangeArgs, rangeText } from './views';

export interface ReportJson {
  since: string | null;
  until: string | null;
  timeZone: string;
  priceTable: string;
  totals: Totals;
  days: ({ date: string } & Totals)[];
  models: ({ model: string } & Totals)[];
  agents: ({ agent: string } & Totals)[];
}

/** Totals, per local day and per model over an inclusive range of local days. */
export function buildReport(
  records: Iterable<Interaction>,
  opts: { since?: string; until?: string; timeZone: string; priceTable: string },
): ReportJson {
  const dayOf = dayOfIso(opts.timeZone);
  const inRange: Interaction[] = [];
  const dayOfRecord = new Map<Interaction, string>();
  for (const r of records) {
    const d = dayOf(r.at);
    if ((opts.since && d < opts.since) || (opts.until && d > opts.until)) continue;
    inRange.push(r);
    dayOfRecord.set(r, d);
  }
  const rows = <K extends string>(name: K, groups: Map<string, Tally>, order: (a: [string, Tally], b: [string, Tally]) => number) =>
    [...groups].sort(order).map(([key, t]) => ({ [name]: key, ...toTotals(t) }) as { [P in K]: string } & Totals);
  return {
    since: opts.since ?? null,
    until: opts.until ?? null,
    timeZone: opts.timeZone,
    priceTable: opts.priceTable,
    totals: toTotals(tallyOf(inRange)),
    days: rows(
      'date',
      groupTallies(inRange, (r) => dayOfRecord.get(r)),
      (a, b) => compareKeys(a[0], b[0]),
    ),
    models: rows(
      'model',
      groupTallies(inRange, (r) => r.model),
      byCostDesc,
    ),
    agents: rows(
      'agent',
      groupTallies(inRange, (r) => r.agent),
      byCostDesc,
    ),
  };
}

export async function reportCommand(args: string[], ctx: CliContext): Promise<number> {
  const { values } = parseCommand(specOf('report')!, args);
  const { since, until, tz } = rangeArgs(values);
  const { settings, ledger, prices, records } = await openForCli(ctx, { scan: !values['no-scan'], tz });
  try {
    const report = buildReport(records(), { since, until, timeZone: settings.timeZone, priceTable: prices.version });
    const today = localDay(ctx.clock.now(), settings.timeZone);
    ctx.stdout.write(
      values.json
        ? JSON.stringify(report, null, 2) + '\n'
        : reportText(report, paintFor(ctx.stdout, ctx.env, !!values['no-color']), today, (a) => agentLabel(a, settings.plans)),
    );
    return EXIT.ok;
  } finally {
    await ledger.close();
  }
}

const cost = (t: Totals) =>
  t.costUSD === null ? 'unpriced' : formatUSD(Math.round(t.costUSD * 1e9)) + (t.unpricedInteractions ? '*' : '');
const n = (x: number) => x.toLocaleString('en-US');
const PLAIN: Paint = { bold: (s) => s, dim: (s) => s, yellow: (s) => s, red: (s) => s, cyan: (s) => s };

function reportText(r: ReportJson, paint: Paint = PLAIN, today?: string, agentName: (agent: string) => string = (a) => a): string {
  const cols = (title: string) =>
    [title, 'cost', 'saved', 'input', 'output', 'cache read', 'cache write', 'calls'].map((t) => ({ title: t }));
  const line = (label: string, t: Totals) => [
    label,
    cost(t),
    t.avoidedUSD === null ? 'unpriced' : formatUSD(Math.round(t.avoidedUSD * 1e9)),
    n(t.inputTokens),
    n(t.outputTokens),
    n(t.cacheReadTokens),
    n(t.cacheWriteTokens),
    plural(t.interactions, 'call'),
  ];
  const future = !!(today && r.since && r.since > today);
  const range = `${rangeText(r.since, r.until, future ? 'future' : '')} (${r.timeZone}; prices ${r.priceTable})`;
  const out = [paint.bold(`Unmetered report · ${range}`), ''];
  if (!r.days.length) out.push(future ? 'Nothing recorded: the range is in the future.' : 'No interactions in this range.');
  else {
    out.push(...renderTable(cols('Day'), [...r.days.map((d) => line(d.date, d)), null, line(paint.bold('Total'), r.totals)], paint));
    // Model and agent names come from agents' logs: sanitised before they are measured and printed
    // (the output itself keeps its own colour codes on a terminal).
    out.push(
      '',
      ...renderTable(
        cols('Model'),
        r.models.map((m) => line(plainText(modelLabel(m.model)), m)),
        paint,
      ),
    );
    out.push(
      '',
      ...renderTable(
        cols('Agent'),
        r.agents.map((a) => line(plainText(agentName(a.agent)), a)),
        paint,
      ),
    );
  }
  if (r.totals.unpricedInteractions)
    out.push(
      '',
      `* ${plural(r.totals.unpricedInteractions, 'interaction')} of unpriced models ${r.totals.unpricedInteractions === 1 ? 'is' : 'are'} not in the cost.`,
    );
  return out.join('\n') + '\n';
}
