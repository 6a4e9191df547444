/**
 * What a person sees of the meter: the status bar text, its accessibility label and its Markdown
 * tooltip. Pure, so the extension and the CLI show the same words and tests can pin them.
 */
import { formatUSD, grouped, NANOS_PER_USD } from '../money';
import type { Meter } from './meter';
import { unpricedLabel } from '../pricing/unpricedReasons';
import { modelLabel, modelNotRecordedNote, namedUnpriced } from '../unrecorded';

/** Whole dollars from $10 up ($68), cents below ($4.20): a projection is an estimate. */
export function formatRough(nanos: number): string {
  const usd = nanos / NANOS_PER_USD;
  if (usd >= 10) return `$${grouped(Math.round(usd))}`;
  return formatUSD(nanos);
}

export type Background = 'warning' | 'error' | null;

export interface StatusView {
  text: string;
  ariaLabel: string;
  background: Background;
}

export interface StatusExtras {
  /** Route indicator, e.g. "$(cloud)" or "$(vm)". */
  routeIcon?: string;
  routeLabel?: string;
  /** What a budget makes the gateway do now (e.g. "$(vm) daily cap: local"), and the same in words. */
  budgetNote?: { text: string; words: string };
  /** The most used plan-limit window, e.g. "5 h: 42 % · resets 16:40" (core/plans/view.ts), when known and recent. */
  limits?: string;
}

/** For the status bar only, where width is scarce: $1,234 as "$1.2k", $250,000 as "$250k"; below $1,000 as formatRough. */
export function formatCompact(nanos: number): string {
  const usd = nanos / NANOS_PER_USD;
  if (Math.round(usd) < 1000) return formatRough(nanos);
  const [div, unit] = Math.round(usd) < 1e6 ? [1e3, 'k'] : [1e6, 'M'];
  return `$${(usd / div).toFixed(usd / div < 100 ? 1 : 0).replace(/\.0$/, '')}${unit}`;
}

/**
 * The item stays narrow (it sits beside "Ln 12, Col 5" all day): today's spend always; what was saved only
 * when something was; the projection only against a budget ("$68/$100"), which it is there to warn about
 * (without a budget the tooltip has it). The words for each part are in the accessibility label and the
 * tooltip, which a first look finds; the bar keeps only "saved", so two dollar figures are told apart.
 */
export function statusView(m: Meter, extras: StatusExtras = {}): StatusView {
  const parts = [formatUSD(m.todayNanos)];
  if (m.avoidedTodayNanos > 0) parts.push(`${formatUSD(m.avoidedTodayNanos)} saved`);
  if (m.budgetNanos !== null) parts.push(`${formatCompact(m.projectedMonthNanos)}/${formatCompact(m.budgetNanos)}`);
  if (extras.budgetNote) parts.push(extras.budgetNote.text);
  if (extras.limits) parts.push(extras.limits);
  const icon = extras.routeIcon ?? '$(pulse)';
  const text = `${icon} ${parts.join(' · ')}`;
  const budgetWords =
    m.budgetNanos !== null
      ? `projected ${formatRough(m.projectedMonthNanos)} this month against a` +
        ` budget of ${formatRough(m.budgetNanos)}${m.budgetState === 'over' ? ', over budget' : m.budgetState === 'warning' ? ', near the budget' : ''}`
      : `projected ${formatRough(m.projectedMonthNanos)} this month, no budget set`;
  const unpriced = m.unpriced.length ? `, ${m.unpriced.length} unpriced model${m.unpriced.length === 1 ? '' : 's'}` : '';
  const route = extras.routeLabel ? `, route ${extras.routeLabel}` : '';
  const capWords = extras.budgetNote ? `, ${extras.budgetNote.words}` : '';
  const limits = extras.limits ? `, plan limit ${extras.limits}` : '';
  const ariaLabel =
    `Unmetered: ${formatUSD(m.todayNanos)} spent today, ${formatUSD(m.avoidedTodayNanos)} saved by local` +
    ` models today, ${budgetWords}${unpriced}${route}${capWords}${limits}`;
  const background: Background = m.budgetState === 'over' ? 'error' : m.budgetState === 'warning' ? 'warning' : null;
  return { text, ariaLabel, background };
}

const esc = (s: string) => s.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, (c) => `\\${c}`);

export interface TooltipOptions {
  timeZone: string;
  routeLabel?: string;
  /** Extra Markdown sections (e.g. which agent logs are read), already escaped; one or two lines each. */
  sections?: string[];
  /** How an agent is named in its row, e.g. "codex (ChatGPT Plus, API-equivalent)" for one on a subscription (core/plans). */
  agentLabel?: (agent: string) => string;
  /** Command ids to link; absent ones are not linked. */
  commands?: { setBudget?: string; openDashboard?: string; exportWeekly?: string; switchRoute?: string };
}

/** Rows of a breakdown the tooltip shows; the rest are one click away in the dashboard. */
const TOOLTIP_ROWS = 3;

/**
 * The hover: what the three figures are, the few agents and models that make up the month, what is
 * unpriced, and links. Short enough for a laptop screen; the dashboard has the rest.
 */
export function tooltipMarkdown(m: Meter, opts: TooltipOptions): string {
  const lines: string[] = [];
  lines.push(`**Unmetered** · ${m.day} (${esc(opts.timeZone)})${opts.routeLabel ? ` · route: ${esc(opts.routeLabel)}` : ''}`, '');
  lines.push('| | Today | Month to date |', '|---|---:|---:|');
  lines.push(`| Metered spend | ${formatUSD(m.todayNanos)} | ${formatUSD(m.monthToDateNanos)} |`);
  if (m.avoidedMonthNanos > 0)
    lines.push(`| Saved by local models | ${formatUSD(m.avoidedTodayNanos)} | ${formatUSD(m.avoidedMonthNanos)} |`);
  const budget =
    m.budgetNanos !== null
      ? `${formatRough(m.projectedMonthNanos)} of ${formatRough(m.budgetNanos)} budget (` +
        `${Math.round((m.projectedMonthNanos * 100) / m.budgetNanos)} %)` +
        `${m.budgetState === 'over' ? ' — **over budget**' : m.budgetState === 'warning' ? ' — **near budget**' : ''}`
      : `${formatRough(m.projectedMonthNanos)} (no budget set)`;
  lines.push(`| Projected month | | ${budget} |`, '');
  const table = (title: string, rows: Meter['byAgent'], label: (key: string) => string = (k) => k) => {
    if (rows.length === 0) return;
    lines.push(`| ${title} | Today | Month | Calls |`, '|---|---:|---:|---:|');
    for (const b of rows.slice(0, TOOLTIP_ROWS)) {
      // A row with no priced interaction at all shows "unpriced" in both columns, never a $0.00.
      const allUnpriced = b.unpriced === b.interactions;
      const month = allUnpriced ? 'unpriced' : formatUSD(b.monthNanos) + (b.unpriced ? ` (+${b.unpriced} unpriced)` : '');
      lines.push(
        `| ${esc(label(b.key))} | ${allUnpriced ? 'unpriced' : formatUSD(b.todayNanos)} | ${month} | ${b.interactions.toLocaleString('en-US')} |`,
      );
    }
    if (rows.length > TOOLTIP_ROWS) lines.push(`| *${rows.length - TOOLTIP_ROWS} more in the dashboard* | | | |`);
    lines.push('');
  };
  table('Agent', m.byAgent, opts.agentLabel);
  table('Model', m.byModel, modelLabel);
  const named = namedUnpriced(m.unpriced);
  if (named.length) {
    const shown = named.slice(0, TOOLTIP_ROWS).map((u) => unpricedLabel(u.model, u.interactions, esc));
    const more = named.length > TOOLTIP_ROWS ? ` and ${named.length - TOOLTIP_ROWS} more` : '';
    lines.push(
      `**Unpriced:** ${shown.join(', ')}${more} — not counted in the totals; add a price in the \`unmetered.prices\` setting.`,
      '',
    );
  }
  const noModel = modelNotRecordedNote(m.unpriced);
  if (noModel) lines.push(`**Model not recorded:** ${esc(noModel)}`, '');
  const plan = m.planEquivalent;
  if (plan.interactions > 0) {
    const priced = plan.unpriced === plan.interactions ? 'unpriced' : `${formatUSD(plan.monthNanos)} at API prices (API-equivalent)`;
    lines.push(
      `**Copilot Chat:** ${plan.interactions.toLocaleString('en-US')} request` +
        `${plan.interactions === 1 ? '' : 's'} this month, ${priced} — billed by your Copilot plan, not` +
        ` counted in spend (\`unmetered.copilot.billedPerToken\` counts it).`,
      '',
    );
  }
  lines.push(`*Projection:* ${esc(m.projectionMethod)}`, '');
  for (const s of opts.sections ?? []) lines.push(s, '');
  const c = opts.commands ?? {};
  const links = [
    c.setBudget && `[$(credit-card) Budget](command:${c.setBudget})`,
    c.switchRoute && `[$(arrow-swap) Switch model](command:${c.switchRoute})`,
    c.openDashboard && `[$(graph) Dashboard](command:${c.openDashboard})`,
    c.exportWeekly && `[$(export) Export week](command:${c.exportWeekly})`,
  ].filter(Boolean);
  if (links.length) lines.push(links.join(' · '));
  return lines.join('\n');
}
