/**
 * The weekly summary as one self-contained HTML page: inline CSS and SVG, no script, and a CSP
 * that forbids every fetch, so it opens offline, from a mail attachment or a team share, and
 * prints on one or two pages. Light and dark follow the reader's system; print is always light.
 */
import { branchBreakdown } from '../summary/attribution';
import {
  allTokens,
  avoidedLabel,
  budgetStateLabel,
  compact,
  costLabel,
  dayLabel,
  int,
  localShare,
  monthLabel,
  percent,
  rangeLabel,
  trendLabel,
  usd,
  utcLabel,
  weekState,
} from './display';
import type { WeeklySummary } from '../summary/summary';
import { barList, columnChart, esc, splitBar } from './svg';
import type { Totals } from '../totals';
import { daysInMonth } from '../../time';
import { modelLabel, modelNotRecordedNote, namedUnpriced, PROJECT_NOTE, projectLabel } from '../../unrecorded';

/** Shared by the weekly and the team page. Colours are classes, see svg.ts. */
const REPORT_CSS =
  `
:root{color-scheme:light` +
  ` dark;--bg:#fff;--fg:#1d232b;--muted:#5b6573;--line:#d9dee5;--card:#f5f7fa;--cloud:#2f6fdb;` +
  `--local:#2e9e62;--avoided:#8fd3ad;--budget:#c2410c;--warn:#b45309;--over:#b91c1c;--ok:#15803d}
@media (prefers-color-scheme:dark){:root{--bg:#15181d;--fg:#e6e9ee;--muted:#9aa4b2;--line:#2c333d;--card:#1d2229;--cloud:#6ea2ff;` +
  `--local:#4cc487;--avoided:#2f7a52;--budget:#fb923c;--warn:#fbbf24;--over:#f87171;--ok:#4ade80}}
@media print{:root{--bg:#fff;--fg:#000;--muted:#444;--line:#bbb;--card:#fff;--cloud:#1f4fa8;--local:#2e9e62;--avoided:#a8e0c0;--budget:#c2410c}` +
  `body{margin:0}section,.cards{break-inside:avoid}}
*{box-sizing:border-box;-webkit-print-color-adjust:exact;print-color-adjust:exact}
body{margin:2rem auto;max-width:980px;padding:0 1.25rem;background:var(--bg);color:var(--fg);font:14px/1.45` +
  ` system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
h1{font-size:1.5rem;margin:0 0 .2rem}h2{font-size:1.05rem;margin:1.6rem 0 .6rem;border-bottom:1px solid var(--line);padding-bottom:.25rem}
.sub,.muted,footer{color:var(--muted)}footer{margin-top:2rem;font-size:.85em}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(200px,1fr));gap:.75rem;margin-top:1.2rem}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:.75rem .9rem}
.card .k{font-size:.8em;text-transform:uppercase;letter-spacing:.04em;color:var(--muted)}.card .v{font-size:1.55rem;font-weight:650;margin:.15rem 0}
.state-warning{color:var(--warn)}.state-over{color:var(--over)}.state-ok{color:var(--ok)}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}th,td{padding:.3rem` +
  ` .5rem;border-bottom:1px solid var(--line);text-align:right;white-space:nowrap}
th:first-child,td:first-child{text-align:left;white-space:normal;overflow-wrap:break-word;min-width:12ch}tfoot` +
  ` td{font-weight:650;border-bottom:none}th{font-weight:600;color:var(--muted);font-size:.85em}
.two{display:grid;grid-template-columns:1fr 1fr;gap:1.5rem}@media (max-width:760px){.two{grid-template-columns:1fr}}
ul.notes{padding-left:1.2rem}
svg.chart{display:block;max-width:100%;height:auto;overflow:visible}
svg .grid{stroke:var(--line);stroke-width:1}svg .axis{stroke:var(--muted);stroke-width:1}
svg text{fill:var(--muted);font-size:11px}svg .value{fill:var(--fg)}svg .label{fill:var(--fg)}svg .ref{fill:var(--budget)}
svg .bar-cloud,.swatch.cloud{fill:var(--cloud);background:var(--cloud)}svg .bar-local,.swatch.local{fill:var(--local);background:var(--local)}
svg .bar-avoided,.swatch.avoided{fill:var(--avoided);background:var(--avoided)}svg .bar-daily{fill:var(--cloud);opacity:.25}svg .bar-over{fill:var(--over)}
svg .line-budget{stroke:var(--budget);stroke-width:1.5;stroke-dasharray:6 4}svg .line{stroke-width:2.5}
svg .line-actual{stroke:var(--cloud)}svg .line-projection{stroke:var(--cloud);stroke-dasharray:4 4}
.legend{display:flex;gap:1rem;font-size:.85em;color:var(--muted);margin:.3rem` +
  ` 0}.swatch{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:.35rem;vertical-align:-1px}
`;

/** Nothing may be fetched; styles are inline. No script runs in an exported page. */
const REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

export function page(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${REPORT_CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="Unmetered">
<title>${esc(title)}</title>
<style>${REPORT_CSS}</style>
</head>
<body>
${body}
</body>
</html>
`;
}

export function card(key: string, value: string, note: string, cls = ''): string {
  return (
    `<div class="card${cls ? ` ${cls}` : ''}"><div class="k">${esc(key)}</div><div class="v">` +
    `${esc(value)}</div><div class="muted">${esc(note)}</div></div>`
  );
}

export function htmlTable(head: string[], rows: string[][], foot?: string[]): string {
  const tr = (r: string[]) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`;
  const tfoot = foot ? `<tfoot>${tr(foot)}</tfoot>` : '';
  return `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.map(tr).join('')}</tbody>${tfoot}</table>`;
}

const legend = (items: [string, string][]) =>
  `<div class="legend">${items.map(([cls, label]) => `<span><span class="swatch ${cls}"></span>${esc(label)}</span>`).join('')}</div>`;

function breakdownRows(rows: ({ name: string } & Totals)[], total: Totals): string[][] {
  return rows.map((r) => [
    r.name,
    costLabel(r),
    r.costUSD === null ? '—' : percent(r.costUSD, total.costUSD ?? 0),
    r.avoidedUSD === 0 ? '—' : avoidedLabel(r),
    int(r.interactions),
    compact(allTokens(r)),
  ]);
}

const BREAKDOWN_HEAD = ['', 'Cost', 'Share', 'Saved', 'Interactions', 'Tokens'];

function headerHtml(s: WeeklySummary): string {
  return (
    `<header><h1>Weekly summary · ${esc(s.developer)}</h1><div class="sub">` +
    `${esc(s.week.id)} · ${esc(rangeLabel(s.week.start, s.week.end))} · ${esc(s.week.timeZone)}` +
    `${weekState(s.week, s.generatedAt) === 'future' ? ' · week in the future (nothing recorded yet)' : ''}` +
    `${weekState(s.week, s.generatedAt) !== 'future' && !s.week.complete ? ` · week in progress (to ${esc(utcLabel(s.generatedAt))})` : ''}</div></header>`
  );
}

function cardsHtml(s: WeeklySummary): string {
  const t = s.totals;
  const b = s.budget;
  const budgetNote =
    b.monthlyBudgetUSD === null
      ? `${monthLabel(b.month)}, no budget set`
      : `of ${usd(b.monthlyBudgetUSD)} for ${monthLabel(b.month)} · ${percent(b.projectedMonthUSD, b.monthlyBudgetUSD)}, ${budgetStateLabel(b.state)}`;
  return (
    `<div class="cards">` +
    card(
      'Metered spend',
      usd(t.costUSD),
      `${trendLabel(t.costUSD, s.previousWeek.costUSD)} vs ${s.previousWeek.id} (` +
        `${costLabel(s.previousWeek)})${t.unpricedInteractions ? ` · ${int(t.unpricedInteractions)} unpriced interactions not included` : ''}`,
    ) +
    card('Saved by local models', avoidedLabel(t), `${localShare(s.routes, t)} of interactions ran locally`) +
    card(
      'Interactions',
      int(t.interactions),
      `${compact(allTokens(t))} tokens${t.estimatedInteractions ? ` · ${int(t.estimatedInteractions)} estimated` : ''}`,
    ) +
    card('Projected month', usd(b.projectedMonthUSD), budgetNote, `state-${b.state}`) +
    `</div>`
  );
}

function dailySpendHtml(s: WeeklySummary): string {
  const b = s.budget;
  const dailyBudget = b.monthlyBudgetUSD !== null ? b.monthlyBudgetUSD / daysInMonth(`${b.month}-01`) : 0;
  return (
    `<section><h2>Spend by day</h2>` +
    columnChart({
      title: `Metered spend per day, ${s.week.id}`,
      columns: s.days.map((d) => ({
        label: dayLabel(d.date).slice(0, 6),
        value: d.costUSD ?? 0,
        extra: d.avoidedUSD ?? 0,
        valueLabel: d.interactions ? usd(d.costUSD ?? 0) : '',
        title: `${dayLabel(d.date)}: ${costLabel(d)} metered, ${avoidedLabel(d)} saved, ${d.interactions} interactions`,
      })),
      format: (v) => usd(v),
      width: 940,
      extraClass: 'bar-avoided',
      reference: dailyBudget > 0 ? { value: dailyBudget, label: `daily budget ${usd(Number(dailyBudget.toFixed(9)))}` } : undefined,
    }) +
    legend([
      ['cloud', 'metered (cloud)'],
      ['avoided', 'saved by local models (what the cloud would have charged)'],
    ]) +
    `</section>`
  );
}

function agentModelBarsHtml(s: WeeklySummary): string {
  const agentBars = s.agents.map((a) => ({
    label: a.agent,
    value: a.costUSD ?? 0,
    valueLabel: costLabel(a) + (a.avoidedUSD ? ` · saved ${avoidedLabel(a)}` : ''),
  }));
  const modelBars = s.models.map((m) => {
    const local = s.rows.some((r) => r.model === m.model && r.route === 'local');
    return {
      label: modelLabel(m.model),
      value: local ? (m.avoidedUSD ?? 0) : (m.costUSD ?? 0),
      valueLabel: local ? `saved ${avoidedLabel(m)}` : costLabel(m),
      cls: local ? 'bar-avoided' : 'bar-cloud',
    };
  });
  return (
    `<section class="two"><div><h2>By agent</h2>` +
    `${barList('Metered spend by agent', agentBars, 460)}</div><div><h2>By model</h2>` +
    `${barList('Metered spend by model, and spend saved by local models', modelBars, 460)}</div></section>`
  );
}

function routesHtml(s: WeeklySummary): string {
  return (
    `<section><h2>Cloud and local</h2>` +
    splitBar(
      'Interactions by route',
      [
        { label: `cloud: ${int(s.routes.cloud.interactions)} interactions`, value: s.routes.cloud.interactions, cls: 'bar-cloud' },
        { label: `local: ${int(s.routes.local.interactions)} interactions`, value: s.routes.local.interactions, cls: 'bar-local' },
      ],
      940,
    ) +
    htmlTable(
      ['Route', 'Cost', 'Saved', 'Interactions', 'Input', 'Output', 'Cache read', 'Cache write'],
      (['cloud', 'local'] as const).map((r) => {
        const x = s.routes[r];
        return [
          r === 'cloud' ? 'Cloud (metered)' : 'Local',
          costLabel(x),
          r === 'local' ? avoidedLabel(x) : '—',
          int(x.interactions),
          compact(x.inputTokens),
          compact(x.outputTokens),
          compact(x.cacheReadTokens),
          compact(x.cacheWriteTokens),
        ];
      }),
    ) +
    `</section>`
  );
}

/** The breakdown tables: projects, branches, agents, models and days, one section each. */
function breakdownSections(s: WeeklySummary): string[] {
  const t = s.totals;
  const parts: string[] = [];
  const projects: ({ name: string } & Totals)[] = s.projects.map((p) => ({ ...p, name: projectLabel(p.project) }));
  if (s.otherProjects.projects > 0) projects.push({ ...s.otherProjects, name: `${s.otherProjects.projects} other projects` });
  parts.push(
    `<section><h2>Top projects${s.projectsPseudonymised ? ' (pseudonymised)' : ''}</h2>` +
      `${htmlTable(['Project', ...BREAKDOWN_HEAD.slice(1)], breakdownRows(projects, t))}</section>`,
  );
  if (s.attribution.branches.length)
    parts.push(
      `<section><h2>By branch${s.projectsPseudonymised ? ' (pseudonymised)' : ''}</h2>` +
        `${htmlTable(['Branch · repository', ...BREAKDOWN_HEAD.slice(1)], breakdownRows(branchBreakdown(s.attribution), t))}</section>`,
    );
  parts.push(
    `<section><h2>Agents</h2>${htmlTable(
      ['Agent', ...BREAKDOWN_HEAD.slice(1)],
      breakdownRows(
        s.agents.map((a) => ({ ...a, name: a.agent })),
        t,
      ),
    )}</section>`,
  );
  parts.push(
    `<section><h2>Models</h2>${htmlTable(
      ['Model', ...BREAKDOWN_HEAD.slice(1)],
      breakdownRows(
        s.models.map((m) => ({ ...m, name: modelLabel(m.model) })),
        t,
      ),
    )}</section>`,
  );
  parts.push(
    `<section><h2>Days</h2>${htmlTable(
      ['Day', 'Cost', 'Saved', 'Interactions', 'Input', 'Output', 'Cache read', 'Cache write'],
      s.days.map((d) => [
        dayLabel(d.date),
        d.interactions ? costLabel(d) : '—',
        d.avoidedUSD === 0 ? '—' : avoidedLabel(d),
        int(d.interactions),
        compact(d.inputTokens),
        compact(d.outputTokens),
        compact(d.cacheReadTokens),
        compact(d.cacheWriteTokens),
      ]),
    )}</section>`,
  );
  return parts;
}

function notesHtml(s: WeeklySummary): string {
  const t = s.totals;
  const b = s.budget;
  const notes: string[] = [];
  notes.push(
    `Month to date (` +
      `${monthLabel(b.month)}, as of ${b.asOf}): ${usd(b.monthToDateUSD)} metered, ${usd(b.avoidedMonthToDateUSD)} saved. Projection: ${b.projectionMethod}`,
  );
  const named = namedUnpriced(s.unpricedModels);
  const noModel = modelNotRecordedNote(s.unpricedModels);
  if (named.length)
    notes.push(`Unpriced, not included in the cost: ${named.map((u) => `${u.model} (${int(u.interactions)})`).join(', ')}.`);
  if (noModel) notes.push(noModel);
  if (s.projects.some((p) => p.project === null)) notes.push(PROJECT_NOTE);
  if (t.estimatedInteractions)
    notes.push(
      `${int(t.estimatedInteractions)} interaction${t.estimatedInteractions === 1 ? ' has' : 's have'} estimated token counts (the provider reported none).`,
    );
  if (t.reasoningTokens) notes.push(`Output includes ${compact(t.reasoningTokens)} reasoning tokens.`);
  return `<section><h2>Notes</h2><ul class="notes">${notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul></section>`;
}

export function renderHtml(s: WeeklySummary): string {
  const parts = [
    headerHtml(s),
    cardsHtml(s),
    dailySpendHtml(s),
    agentModelBarsHtml(s),
    routesHtml(s),
    ...breakdownSections(s),
    notesHtml(s),
    `<footer>Weeks start ${esc(s.week.weekStart)} · prices ${esc(s.priceTableVersion ?? 'unknown')} · generated ${esc(utcLabel(s.generatedAt))}` +
      ` by Unmetered · ${esc(s.schema)} · no prompt or response text is included</footer>`,
  ];
  return page(`Unmetered · ${s.developer} · ${s.week.id}`, parts.join('\n'));
}
