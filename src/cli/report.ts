import { agentLabel } from '../core/plans/plans';
import { formatUSD, grouped } from '../core/money';
import { buildReport, reportJson, type Report } from '../core/report/report';
import { avoidedNanosOf, costNanosOf, type Tally } from '../core/report/totals';
import { localDay } from '../core/time';
import { plural } from './args';
import { EXIT, type CliContext } from './context';
import { parseCommand } from './options';
import { openForCli } from './setup';
import { entriesFromRollup } from './aggregate';
import { reportOf } from '../core/aggregate/report';
import { modelLabel } from '../core/unrecorded';
import { plainText } from '../core/sanitize';
import { specOf } from './specs';
import { paintFor, renderTable, type Paint } from './table';
import { rangeArgs, rangeText } from './views';

export async function reportCommand(args: string[], ctx: CliContext): Promise<number> {
  const { values } = parseCommand(specOf('report')!, args);
  const { since, until, tz } = rangeArgs(values);
  const { settings, ledger, prices, records, rollup } = await openForCli(ctx, { scan: !values['no-scan'], tz, lazy: true });
  try {
    const o = { since, until, timeZone: settings.timeZone, priceTable: prices.version };
    // From the ledger's rollup: no record is read unless it cannot answer.
    const entries = await entriesFromRollup(ctx.dataDir, prices, settings.timeZone, ctx.logger, rollup);
    if (!entries) await ledger.load();
    const report = entries ? reportOf(entries, o) : buildReport(records(), o);
    const today = localDay(ctx.clock.now(), settings.timeZone);
    ctx.stdout.write(
      values.json
        ? JSON.stringify(reportJson(report), null, 2) + '\n'
        : reportText(report, paintFor(ctx.stdout, ctx.env, !!values['no-color']), today, (a) => agentLabel(a, settings.plans)),
    );
    return EXIT.ok;
  } finally {
    await ledger.close();
  }
}

const usd = (nanos: number | null) => (nanos === null ? 'unpriced' : formatUSD(nanos));
const cost = (t: Tally) => usd(costNanosOf(t)) + (costNanosOf(t) !== null && t.unpriced ? '*' : '');
const n = grouped;
const PLAIN: Paint = { bold: (s) => s, dim: (s) => s, yellow: (s) => s, red: (s) => s, cyan: (s) => s };

function reportText(r: Report, paint: Paint = PLAIN, today?: string, agentName: (agent: string) => string = (a) => a): string {
  const cols = (title: string) =>
    [title, 'cost', 'saved', 'input', 'output', 'cache read', 'cache write', 'calls'].map((t) => ({ title: t }));
  const line = (label: string, t: Tally) => [
    label,
    cost(t),
    usd(avoidedNanosOf(t)),
    n(t.input),
    n(t.output),
    n(t.cacheRead),
    n(t.cacheWrite),
    plural(t.interactions, 'call'),
  ];
  const future = !!(today && r.since && r.since > today);
  const range = `${rangeText(r.since, r.until, future ? 'future' : '')} (${r.timeZone}; prices ${r.priceTable})`;
  const out = [paint.bold(`Unmetered report · ${range}`), ''];
  if (!r.days.length) out.push(future ? 'Nothing recorded: the range is in the future.' : 'No interactions in this range.');
  else {
    out.push(...renderTable(cols('Day'), [...r.days.map((d) => line(d.key, d.tally)), null, line(paint.bold('Total'), r.totals)], paint));
    // Model and agent names come from agents' logs: sanitised before they are measured and printed
    // (the output itself keeps its own colour codes on a terminal).
    out.push(
      '',
      ...renderTable(
        cols('Model'),
        r.models.map((m) => line(plainText(modelLabel(m.key)), m.tally)),
        paint,
      ),
    );
    out.push(
      '',
      ...renderTable(
        cols('Agent'),
        r.agents.map((a) => line(plainText(agentName(a.key)), a.tally)),
        paint,
      ),
    );
  }
  if (r.totals.unpriced)
    out.push(
      '',
      `* ${plural(r.totals.unpriced, 'interaction')} of unpriced models ${r.totals.unpriced === 1 ? 'is' : 'are'} not in the cost.`,
    );
  return out.join('\n') + '\n';
}
