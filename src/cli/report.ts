import type { Interaction } from '../core/interaction';
import { formatUSD } from '../core/money';
import { byCostDesc, compareKeys, groupTallies, tallyOf, toTotals, type Tally, type Totals } from '../core/report/totals';
import { dayOfIso } from '../core/time';
import { dayArg, parse, zoneArg } from './args';
import { EXIT, UsageError, type CliContext } from './context';
import { openForCli } from './setup';
import { modelLabel } from '../core/unrecorded';

export const REPORT_USAGE = 'unmetered report [--since YYYY-MM-DD] [--until YYYY-MM-DD] [--tz Zone] [--json] [--no-scan]';

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
export function buildReport(records: Iterable<Interaction>, opts: { since?: string; until?: string; timeZone: string; priceTable: string }): ReportJson {
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
    days: rows('date', groupTallies(inRange, (r) => dayOfRecord.get(r)), (a, b) => compareKeys(a[0], b[0])),
    models: rows('model', groupTallies(inRange, (r) => r.model), byCostDesc),
    agents: rows('agent', groupTallies(inRange, (r) => r.agent), byCostDesc),
  };
}

export async function reportCommand(args: string[], ctx: CliContext): Promise<number> {
  const { values } = parse(args, { since: { type: 'string' }, until: { type: 'string' }, tz: { type: 'string' }, json: { type: 'boolean' }, 'no-scan': { type: 'boolean' } });
  const since = dayArg('since', values.since);
  const until = dayArg('until', values.until);
  if (since && until && since > until) throw new UsageError(`--since ${since} is after --until ${until}`);
  const { settings, ledger, prices, records } = await openForCli(ctx, { scan: !values['no-scan'], tz: zoneArg(values.tz) });
  try {
    const report = buildReport(records(), { since, until, timeZone: settings.timeZone, priceTable: prices.version });
    ctx.stdout.write(values.json ? JSON.stringify(report, null, 2) + '\n' : reportText(report));
    return EXIT.ok;
  } finally {
    await ledger.close();
  }
}

const cost = (t: Totals) => (t.costUSD === null ? 'unpriced' : formatUSD(Math.round(t.costUSD * 1e9)) + (t.unpricedInteractions ? '*' : ''));
const n = (x: number) => x.toLocaleString('en-US');

export function reportText(r: ReportJson): string {
  const head = ['', 'cost', 'saved', 'input', 'output', 'cache read', 'cache write', 'calls'];
  const line = (label: string, t: Totals) => [label, cost(t), t.avoidedUSD === null ? 'unpriced' : formatUSD(Math.round(t.avoidedUSD * 1e9)), n(t.inputTokens), n(t.outputTokens), n(t.cacheReadTokens), n(t.cacheWriteTokens), n(t.interactions)];
  const table = (title: string, rows: string[][]) => {
    const all = [[title, ...head.slice(1)], ...rows];
    const w = head.map((_, i) => Math.max(...all.map((row) => row[i].length)));
    return all.map((row) => row.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ')).join('\n');
  };
  const range = `${r.since ?? 'first record'} … ${r.until ?? 'today'} (${r.timeZone}; prices ${r.priceTable})`;
  const out = [`Unmetered report · ${range}`, '', table('Day', [...r.days.map((d) => line(d.date, d)), line('Total', r.totals)]), '', table('Model', r.models.map((m) => line(modelLabel(m.model), m)))];
  if (r.totals.unpricedInteractions) out.push('', `* ${r.totals.unpricedInteractions} interaction(s) of unpriced models are not in the cost.`);
  return out.join('\n') + '\n';
}
