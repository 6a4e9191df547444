/**
 * The plan check: the last 30 days' API-equivalent spend per vendor against the subscriptions' prices,
 * with the local route as it ran and as if it had not (its avoided spend added back).
 *
 * The rule for "cheaper": a plan's usage limits are not stated in dollars, so no figure can say whether a
 * month's work fits one. What can be said: the API bill is the cost of the work per token; a plan priced
 * at or below that bill is cheaper if the work fits its limits, and the largest such plan is the one most
 * likely to fit. So the answer is the most expensive plan priced at or below the API bill, else the API.
 */
import type { Interaction } from '../interaction';
import { nanosToUSD, usdToNanos } from '../money';
import { PLAN_PRICES_AS_OF, PLANS, planOf, type Plan, type PlanSettings } from './plans';

const PLAN_CHECK_DAYS = 30;

export type Scope = 'anthropic' | 'openai' | 'all';

export interface Verdict {
  /** 'api' or a plan id. */
  choice: string;
  label: string;
  costNanos: number;
  /** What it saves against paying the API bill (0 for the API itself). */
  savesNanos: number;
}

export interface PlanCheckRow {
  scope: Scope;
  label: string;
  /** Metered (API-equivalent) spend of the window. */
  apiNanos: number;
  /** Spend the local route avoided in the window (what the same work would have added in the cloud). */
  avoidedNanos: number;
  interactions: number;
  unpriced: number;
  plans: readonly Plan[];
  /** The plan the settings say an agent of this vendor is on, if any. */
  current: Plan | null;
  withLocal: Verdict;
  withoutLocal: Verdict;
}

export interface PlanCheck {
  from: string;
  to: string;
  days: number;
  rows: PlanCheckRow[];
}

export function vendorOfModel(model: string | null): 'anthropic' | 'openai' | 'other' {
  if (!model) return 'other';
  if (/claude|anthropic/i.test(model)) return 'anthropic';
  if (/(^|[/:])(gpt-|o[1-9]\b|o[1-9]-|codex|chatgpt)/i.test(model)) return 'openai';
  return 'other';
}

/** The cheaper choice for a bill of `spendNanos` among `plans` (see the rule above). */
export function cheaper(spendNanos: number, plans: readonly Plan[]): Verdict {
  let pick: Plan | null = null;
  for (const p of plans) if (usdToNanos(p.monthlyUSD) <= spendNanos && (!pick || p.monthlyUSD > pick.monthlyUSD)) pick = p;
  if (!pick) return { choice: 'api', label: 'API (pay per token)', costNanos: spendNanos, savesNanos: 0 };
  const cost = usdToNanos(pick.monthlyUSD);
  return { choice: pick.id, label: pick.label, costNanos: cost, savesNanos: spendNanos - cost };
}

const SCOPES: { scope: Scope; label: string; vendor: Plan['vendor'] }[] = [
  { scope: 'anthropic', label: 'Anthropic models (Claude plans)', vendor: 'anthropic' },
  { scope: 'openai', label: 'OpenAI models (ChatGPT plans)', vendor: 'openai' },
  { scope: 'all', label: 'All models (Copilot plans)', vendor: 'github' },
];

interface Sums {
  api: number;
  avoided: number;
  n: number;
  unpriced: number;
}

/** The window of the check: the 30 days before `now`, as instants (from inclusive, to exclusive). */
export interface PlanWindow {
  fromMs: number;
  toMs: number;
}

export function planWindow(now: number): PlanWindow {
  return { fromMs: now - PLAN_CHECK_DAYS * 86_400_000, toMs: now };
}

/** What a day cell of the ledger's rollup holds that the check needs (core/ledger/rollup.ts Cell). */
export interface PlanCell {
  model: string;
  route: string;
  firstAt: string;
  lastAt: string;
  sums: { costNanos: number; unpriced: number; interactions: number };
}

/**
 * Whether the check can take a cell's sums whole: all its records in the window, and in the cloud (a local
 * record counts for the vendor of the model it replaced, which a cell does not keep).
 */
export function cellWhollyIn(c: PlanCell, w: PlanWindow): boolean {
  return c.route !== 'local' && Date.parse(c.firstAt) >= w.fromMs && Date.parse(c.lastAt) < w.toMs;
}

/** Whether some record of a cell may be in the window. */
export function cellTouches(c: PlanCell, w: PlanWindow): boolean {
  return Date.parse(c.lastAt) >= w.fromMs && Date.parse(c.firstAt) < w.toMs;
}

function addTo(sums: Map<Scope, Sums>, model: string | null, add: Sums): void {
  const vendor = vendorOfModel(model);
  for (const scope of vendor === 'other' ? (['all'] as const) : ([vendor, 'all'] as const)) {
    const s = sums.get(scope)!;
    s.n += add.n;
    s.avoided += add.avoided;
    s.unpriced += add.unpriced;
    s.api += add.api;
  }
}

export function planCheck(records: Iterable<Interaction>, opts: { now: number; plans: PlanSettings }): PlanCheck {
  return planCheckOf([], records, opts);
}

/**
 * planCheck from the rollup: the sums of `cells` (each wholly in the window: cellWhollyIn) and the records of
 * everything else (those outside the window are passed over), as planCheck gives them from every record.
 */
export function planCheckOf(
  cells: Iterable<PlanCell>,
  records: Iterable<Interaction>,
  opts: { now: number; plans: PlanSettings },
): PlanCheck {
  const w = planWindow(opts.now);
  const sums = new Map<Scope, Sums>(SCOPES.map((s) => [s.scope, { api: 0, avoided: 0, n: 0, unpriced: 0 }]));
  for (const c of cells) addTo(sums, c.model, { api: c.sums.costNanos, avoided: 0, n: c.sums.interactions, unpriced: c.sums.unpriced });
  for (const r of records) {
    const t = Date.parse(r.at);
    if (!(t >= w.fromMs && t < w.toMs)) continue;
    const local = r.route === 'local';
    addTo(sums, local ? r.replaces : r.model, {
      api: !local && r.costNanos !== null ? r.costNanos : 0,
      avoided: local ? (r.avoidedNanos ?? 0) : 0,
      n: 1,
      unpriced: !local && r.costNanos === null ? 1 : 0,
    });
  }
  const currentOf = (vendor: Plan['vendor']) =>
    Object.values(opts.plans)
      .map((id) => planOf(id))
      .find((p) => p?.vendor === vendor) ?? null;
  const rows = SCOPES.map(({ scope, label, vendor }) => {
    const s = sums.get(scope)!;
    const plans = PLANS.filter((p) => p.vendor === vendor);
    return {
      scope,
      label,
      apiNanos: s.api,
      avoidedNanos: s.avoided,
      interactions: s.n,
      unpriced: s.unpriced,
      plans,
      current: currentOf(vendor),
      withLocal: cheaper(s.api, plans),
      withoutLocal: cheaper(s.api + s.avoided, plans),
    };
  });
  return { from: new Date(w.fromMs).toISOString(), to: new Date(w.toMs).toISOString(), days: PLAN_CHECK_DAYS, rows };
}

function verdictLine(v: Verdict, spendNanos: number, plans: readonly Plan[], fmt: (n: number) => string): string {
  if (v.choice !== 'api') return `${v.label} (${fmt(v.costNanos)}/mo) is cheaper than the API (${fmt(spendNanos)}) by ${fmt(v.savesNanos)}`;
  const least = Math.min(...plans.map((p) => p.monthlyUSD));
  return `the API (${fmt(spendNanos)}) is cheaper than every plan (from ${fmt(usdToNanos(least))}/mo)`;
}

/** The plan check as lines of text (CLI and dashboard share the words). */
export function planCheckLines(c: PlanCheck, fmt: (n: number) => string, asOf: string): string[] {
  const out = [`Plan check · the last ${c.days} days (${c.from.slice(0, 10)} to ${c.to.slice(0, 10)}) · plan prices as of ${asOf}`];
  for (const r of c.rows) {
    if (r.interactions === 0) continue;
    out.push('', `${r.label}${r.current ? ` · your plan: ${r.current.label} (${fmt(usdToNanos(r.current.monthlyUSD))}/mo)` : ''}`);
    out.push(
      `  API-equivalent spend     ${fmt(r.apiNanos)}  (${r.interactions} interaction` +
        `${r.interactions === 1 ? '' : 's'}${r.unpriced ? `, ${r.unpriced} unpriced, not counted` : ''})`,
    );
    out.push(`  Avoided by local models  ${fmt(r.avoidedNanos)}`);
    out.push(`  With the local route:    ${verdictLine(r.withLocal, r.apiNanos, r.plans, fmt)}`);
    out.push(`  Without it:              ${verdictLine(r.withoutLocal, r.apiNanos + r.avoidedNanos, r.plans, fmt)}`);
  }
  if (out.length === 1) out.push('', 'Nothing was recorded in these days.');
  else
    out.push(
      '',
      'A plan is cheaper only if the work fits its usage limits, which are not stated in dollars; the limits seen lately are in `unmetered status`.',
    );
  return out;
}

const verdictData = (v: Verdict) => ({
  choice: v.choice,
  label: v.label,
  costUSD: nanosToUSD(v.costNanos),
  savesUSD: nanosToUSD(v.savesNanos),
});

/** The plan check as plain data in US dollars (`unmetered plan --json`, the dashboard's Plan card). */
export function planCheckData(c: PlanCheck) {
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
      plans: r.plans.map((p) => ({ id: p.id, label: p.label, monthlyUSD: p.monthlyUSD, source: p.source })),
      withLocal: verdictData(r.withLocal),
      withoutLocal: verdictData(r.withoutLocal),
    })),
  };
}

export type PlanCheckData = ReturnType<typeof planCheckData>;
