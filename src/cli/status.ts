import { computeMeter, formatRough, type Breakdown, type Meter } from '../core/meter';
import { formatUSD, nanosToUSD } from '../core/money';
import { unpricedLabel } from '../core/pricing/unpricedReasons';
import { numberArg, plural, zoneArg } from './args';
import { parseCommand } from './options';
import { specOf } from './specs';
import { describeSource } from '../core/import';
import { EXIT, UsageError, type CliContext } from './context';
import { plainLines, plainText } from '../core/sanitize';
import { openForCli } from './setup';
import { modelLabel, modelNotRecordedNote, namedUnpriced } from '../core/unrecorded';
import { budgetsOver, evaluateBudgets } from '../core/budgets/evaluate';
import { budgetsJson, budgetsText, checkJson } from './budgets';
import { agentLabel, latestLimits, limitsLines, type AgentLimits } from '../core/plans';
import { LIMITS_FRESH_MS, limitsChangeAfter } from '../core/plans/view';
import { meterOf } from '../core/aggregate/meter';
import { spendsOf } from '../core/aggregate/budgets';
import { entriesFromRollup } from './aggregate';
import { holdsFromNowUntil } from './answerDay';

export async function statusCommand(args: string[], ctx: CliContext): Promise<number> {
  const { values } = parseCommand(specOf('status')!, args);
  const tz = zoneArg(values.tz as string | undefined);
  const budget = numberArg('budget', values.budget as string | undefined, 0, 1_000_000);
  const threshold = numberArg('threshold', values.threshold as string | undefined, 1, 1000);
  if (threshold !== undefined && !values.check) throw new UsageError('--threshold: only with --check (e.g. --check --threshold 80)');
  const { settings, ledger, prices, records, imported, rollup } = await openForCli(ctx, {
    scan: !values['no-scan'],
    tz,
    budget,
    lazy: true,
    sources: true,
  });
  try {
    const now = ctx.clock.now();
    // From the rollup: no record is read unless it cannot answer (then every record, as before).
    const entries = await entriesFromRollup(ctx.dataDir, prices, settings.timeZone, ctx.logger, rollup);
    if (!entries) await ledger.load();
    const budgets = evaluateBudgets(entries ? spendsOf(entries) : records(), {
      now,
      timeZone: settings.timeZone,
      settings: settings.budgets,
    });
    if (values.check) {
      const pct = threshold ?? 100;
      ctx.stdout.write(
        values.json
          ? JSON.stringify({ budgets: budgetsJson(budgets), check: checkJson(budgets, pct) }, null, 2) + '\n'
          : budgetsText(budgets, pct),
      );
      return budgetsOver(budgets, pct).length > 0 ? EXIT.overBudget : EXIT.ok;
    }
    const meterOptions = { now, timeZone: settings.timeZone, budgetNanos: settings.budgetNanos };
    const m = entries ? meterOf(entries, meterOptions) : computeMeter(records(), meterOptions);
    // Plan limits are carried by recent records only: the rollup keeps those whole.
    const recent = entries && rollup ? await rollup.recentRecords(new Date(now - LIMITS_FRESH_MS).toISOString()) : records();
    const limits = latestLimits(recent, now);
    // What is printed changes with "now" at the zone's midnight, and where a plan limit grows stale, resets or
    // comes within its minute (the records that could show one are only ever fewer as time goes on). Earlier in the
    // day a limit this run no longer reads may have been shown: the answer holds from now on.
    const changes = limitsChangeAfter(recent, now);
    if (changes !== null) holdsFromNowUntil(ctx, now, settings.timeZone, changes);
    const sources = imported?.sources ?? [];
    ctx.stdout.write(
      values.json
        ? JSON.stringify(
            {
              ...meterJson(m, settings.timeZone),
              budgets: budgetsJson(budgets),
              plans: settings.plans,
              planLimits: limitsJson(limits),
              sources: sources.map((s) => ({
                agent: s.id,
                enabled: s.enabled,
                files: s.files,
                interactions: s.interactions,
                malformedLines: s.malformedLines,
                paths: s.roots.filter((r) => r.exists).map((r) => r.path),
              })),
            },
            null,
            2,
          ) + '\n'
        : meterText(m, settings.timeZone, (a) => agentLabel(a, settings.plans)) +
            (budgets.length ? `\n${budgetsText(budgets, null)}` : '') +
            (limits.length
              ? `\nPlan limits (as the vendors last reported them)\n${plainLines(limitsLines(limits, settings.plans, now, settings.timeZone).join('\n'))}\n`
              : '') +
            (sources.length ? `\nAgent logs read\n${sources.map((s) => `  ${describeSource(s, ctx.home)}`).join('\n')}\n` : ''),
    );
    return EXIT.ok;
  } finally {
    await ledger.close();
  }
}

const usd = (n: number | null) => (n === null ? null : nanosToUSD(n));

function limitsJson(limits: readonly AgentLimits[]) {
  return limits.map((a) => ({
    agent: a.agent,
    seenAt: a.state.at,
    from: a.state.from,
    status: a.state.status,
    plan: a.state.plan,
    windows: a.windows,
  }));
}

function breakdownJson(name: 'agent' | 'model', b: Breakdown) {
  return {
    [name]: b.key,
    todayUSD: usd(b.todayNanos),
    monthUSD: usd(b.monthNanos),
    avoidedMonthUSD: usd(b.avoidedMonthNanos),
    interactions: b.interactions,
    unpricedInteractions: b.unpriced,
  };
}

function meterJson(m: Meter, timeZone: string) {
  return {
    day: m.day,
    timeZone,
    todayUSD: usd(m.todayNanos),
    avoidedTodayUSD: usd(m.avoidedTodayNanos),
    interactionsToday: m.interactionsToday,
    monthToDateUSD: usd(m.monthToDateNanos),
    avoidedMonthUSD: usd(m.avoidedMonthNanos),
    projectedMonthUSD: usd(m.projectedMonthNanos),
    dailyRateUSD: usd(m.dailyRateNanos),
    budgetUSD: usd(m.budgetNanos),
    budgetState: m.budgetState,
    budgetRatio: m.budgetRatio === null ? null : Number(m.budgetRatio.toFixed(4)),
    projectionMethod: m.projectionMethod,
    byAgent: m.byAgent.map((b) => breakdownJson('agent', b)),
    byModel: m.byModel.map((b) => breakdownJson('model', b)),
    unpriced: m.unpriced,
  };
}

export function meterText(m: Meter, timeZone: string, agentLabel: (agent: string) => string = (a) => a): string {
  const rows: [string, string][] = [
    ['Today', `${formatUSD(m.todayNanos)}  (${plural(m.interactionsToday, 'interaction')})`],
    ['Saved by local models', formatUSD(m.avoidedTodayNanos)],
    ['Month to date', `${formatUSD(m.monthToDateNanos)}  (saved ${formatUSD(m.avoidedMonthNanos)})`],
    [
      'Projected month',
      m.budgetNanos === null
        ? `${formatRough(m.projectedMonthNanos)}  (no budget set)`
        : `${formatRough(m.projectedMonthNanos)} of ${formatRough(m.budgetNanos)} budget (` +
          `${Math.round((m.projectedMonthNanos * 100) / m.budgetNanos)} %)` +
          `${m.budgetState === 'over' ? '  OVER BUDGET' : m.budgetState === 'warning' ? '  near budget' : ''}`,
    ],
  ];
  const out = [
    `Unmetered · ${m.day} (${timeZone})`,
    ...rows.map(([k, v]) => `  ${k.padEnd(22)} ${v}`),
    `  Projection: ${m.projectionMethod}`,
  ];
  const table = (title: string, list: Breakdown[], label: (key: string) => string = plainText) => {
    if (!list.length) return;
    out.push('', `${title} (month to date)`);
    const w = Math.max(...list.map((b) => label(b.key).length));
    for (const b of list) {
      const cost = b.unpriced === b.interactions ? 'unpriced' : formatUSD(b.monthNanos) + (b.unpriced ? ` + ${b.unpriced} unpriced` : '');
      out.push(`  ${label(b.key).padEnd(w)}  ${cost.padStart(10)}  ${plural(b.interactions, 'call', 'calls').padStart(11)}`);
    }
  };
  table('By agent', m.byAgent, (k) => plainText(agentLabel(k)));
  table('By model', m.byModel, (k) => plainText(modelLabel(k)));
  const named = namedUnpriced(m.unpriced);
  if (named.length)
    out.push('', `Unpriced models (not in the totals): ${named.map((u) => unpricedLabel(u.model, u.interactions)).join(', ')}`);
  const noModel = modelNotRecordedNote(m.unpriced);
  if (noModel) out.push('', noModel);
  // Agent and model names come from agents' logs: no escape sequence in them reaches the terminal.
  return plainLines(out.join('\n')) + '\n';
}
