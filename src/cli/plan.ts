/** `unmetered plan`: the plan check (core/plans/compare.ts) for this developer's last 30 days. */
import { formatUSD, nanosToUSD, usdToNanos } from '../core/money';
import { PLAN_PRICES_AS_OF, planCheck, planCheckLines, type PlanCheck, type Verdict } from '../core/plans';
import { plainLines } from '../core/sanitize';
import { EXIT, type CliContext } from './context';
import { parseCommand } from './options';
import { openForCli } from './setup';
import { specOf } from './specs';

export async function planCommand(args: string[], ctx: CliContext): Promise<number> {
  const { values } = parseCommand(specOf('plan')!, args);
  const { settings, ledger, records } = await openForCli(ctx, { scan: !values['no-scan'] });
  try {
    const c = planCheck(records(), { now: ctx.clock.now(), plans: settings.plans });
    ctx.stdout.write(
      values.json
        ? JSON.stringify(planCheckJson(c), null, 2) + '\n'
        : plainLines(planCheckLines(c, (n) => formatUSD(n), PLAN_PRICES_AS_OF).join('\n')) + '\n',
    );
    return EXIT.ok;
  } finally {
    await ledger.close();
  }
}

const verdict = (v: Verdict) => ({
  choice: v.choice,
  label: v.label,
  costUSD: nanosToUSD(v.costNanos),
  savesUSD: nanosToUSD(v.savesNanos),
});

export function planCheckJson(c: PlanCheck) {
  return {
    from: c.from,
    to: c.to,
    days: c.days,
    pricesAsOf: PLAN_PRICES_AS_OF,
    rows: c.rows.map((r) => ({
      scope: r.scope,
      label: r.label,
      apiEquivalentUSD: nanosToUSD(r.apiNanos),
      avoidedUSD: nanosToUSD(r.avoidedNanos),
      interactions: r.interactions,
      unpricedInteractions: r.unpriced,
      currentPlan: r.current?.id ?? null,
      plans: r.plans.map((p) => ({ id: p.id, label: p.label, monthlyUSD: nanosToUSD(usdToNanos(p.monthlyUSD)), source: p.source })),
      withLocal: verdict(r.withLocal),
      withoutLocal: verdict(r.withoutLocal),
    })),
  };
}
