/**
 * The dashboard webview's script: draws the DashboardModel the extension posts, and asks the
 * extension to run commands. It fetches nothing and keeps no data beyond the last model.
 */
import type { DashboardModel, PeriodView } from '../src/core/report/dashboard';
import {
  isPageCommand,
  isPeriod,
  parseHostMessage,
  parsePageState,
  type PageMessage,
  type PageState,
  type Period,
} from '../src/core/report/dashboardProtocol';
import {
  avoidedLabel,
  budgetStateLabel,
  compact,
  costLabel,
  dayLabel,
  int,
  localShare,
  monthLabel,
  percent,
  usd,
} from '../src/core/report/render/display';
import { barList, esc, lineChart, splitBar } from '../src/core/report/render/svg';
import { modelLabel, modelNotRecordedNote, namedUnpriced } from '../src/core/unrecorded';

interface VsCodeApi {
  postMessage(message: PageMessage): void;
  getState(): unknown;
  setState(state: PageState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
let period: Period = parsePageState(vscode.getState()).period;
let model: DashboardModel | undefined;

const $ = (id: string) => document.getElementById(id)!;
/** Charts are drawn at the width they get (SVG text then keeps its size instead of shrinking with the panel). */
const widthOf = (id: string, fallback: number) => Math.max(280, Math.min(1100, Math.floor($(id).clientWidth) || fallback));

function card(p: Period, v: PeriodView): string {
  const t = v.totals;
  return (
    `<button class="card${p === period ? ' selected' : ''}" data-period="${p}" aria-pressed="${p === period}">
    <span class="k">${esc(v.label)}</span>
    <span class="v" data-testid="${p}-cost">${esc(usd(t.costUSD))}</span>
    <span class="n">${esc(avoidedLabel(t))} saved · ${int(t.interactions)} interaction` +
    `${t.interactions === 1 ? '' : 's'}${t.unpricedInteractions ? ` · ${int(t.unpricedInteractions)} unpriced` : ''}</span>
  </button>`
  );
}

function monthChart(m: DashboardModel): string {
  const days = m.month.days;
  let running = 0;
  const actual = days.map((d) => (d.costUSD === null ? null : (running += d.costUSD)));
  const todayIndex = days.findIndex((d) => d.date === m.today);
  const daysLeft = days.length - 1 - todayIndex;
  // The projection runs from today's running total to the projected month end in equal steps.
  const projection = days.map((_, i) =>
    i < todayIndex ? null : running + ((m.month.projectedMonthUSD - running) * (i - todayIndex)) / Math.max(1, daysLeft),
  );
  if (m.month.monthToDateUSD === 0 && m.month.projectedMonthUSD === 0) {
    return (
      `<p class="empty">No metered spend in ${esc(monthLabel(m.month.id))} yet` +
      `${todayIndex === 0 ? ': it is the first day of the month' : ''}. The chart fills in as your agents work.</p>`
    );
  }
  return lineChart({
    title: `Spend in ${monthLabel(m.month.id)}: running total, projection to the month's end, and the budget`,
    xLabels: days.map((d) => String(Number(d.date.slice(8)))),
    labelEvery: widthOf('chart', 720) < 480 ? 7 : 5,
    columns: days.map((d) => d.costUSD),
    series: [
      { points: projection, cls: 'line-projection', label: `projected ${usd(m.month.projectedMonthUSD)}` },
      { points: actual, cls: 'line-actual', label: `month to date ${usd(m.month.monthToDateUSD)}` },
    ],
    reference: m.month.budgetUSD !== null ? { value: m.month.budgetUSD, label: `budget ${usd(m.month.budgetUSD)}` } : undefined,
    format: (v) => usd(v),
    width: widthOf('chart', 720),
    height: 230,
  });
}

/** What each mark of the chart is, with its value: colour alone never carries the meaning. */
function legend(m: DashboardModel): string {
  const b = m.month;
  const item = (cls: string, text: string) => `<li><span class="swatch ${cls}" aria-hidden="true"></span>${esc(text)}</li>`;
  return [
    item('swatch-actual', `Spent so far: ${usd(b.monthToDateUSD)}`),
    item('swatch-projection', `Projected by the month's end: ${usd(b.projectedMonthUSD)}`),
    b.budgetUSD !== null ? item('swatch-budget', `Budget: ${usd(b.budgetUSD)}`) : '',
    item('swatch-daily', "Each day's spend"),
  ].join('');
}

function breakdown(v: PeriodView): string {
  const full = widthOf('breakdown', 720);
  // Two columns side by side from 820 px (as the stylesheet lays them out), one above the other below.
  const half = full >= 820 ? Math.floor((full - 20) / 2) : full;
  if (v.totals.interactions === 0)
    return `<p class="empty">No interactions ${v.label === 'Today' ? 'today' : `in ${v.label.toLowerCase()}`} yet.</p>`;
  const agents = barList(
    `Spend by agent, ${v.label.toLowerCase()}`,
    v.agents.map((a) => ({
      label: model?.agentLabels?.[a.agent] ?? a.agent,
      value: a.costUSD ?? 0,
      valueLabel: costLabel(a) + (a.avoidedUSD ? ` · saved ${avoidedLabel(a)}` : ''),
    })),
    half,
  );
  const models = barList(
    `Spend by model, ${v.label.toLowerCase()}`,
    v.models.map((x) =>
      x.route === 'local'
        ? { label: modelLabel(x.model), value: x.avoidedUSD ?? 0, valueLabel: `local · saved ${avoidedLabel(x)}`, cls: 'bar-avoided' }
        : { label: modelLabel(x.model), value: x.costUSD ?? 0, valueLabel: costLabel(x) },
    ),
    half,
  );
  const r = v.routes;
  const split = splitBar(
    'Interactions: cloud and local',
    [
      { label: `cloud ${int(r.cloud.interactions)} · ${usd(r.cloud.costUSD)}`, value: r.cloud.interactions, cls: 'bar-cloud' },
      { label: `local ${int(r.local.interactions)} · saved ${avoidedLabel(r.local)}`, value: r.local.interactions, cls: 'bar-local' },
    ],
    full,
  );
  return `<div class="two"><div><h3>By agent</h3>${agents}</div><div><h3>By model</h3>${models}</div></div>
    <h3>Cloud and local <span class="muted">${esc(localShare(r, v.totals))} of interactions ran locally</span></h3><div data-testid="routes">${split}</div>`;
}

/** The Plan card: per vendor, the 30 days' API-equivalent spend and which is cheaper, with and without the local route. */
function planTable(m: DashboardModel): string {
  const p = m.plan;
  if (!p) return '';
  const rows = p.rows.filter((r) => r.interactions > 0);
  if (rows.length === 0) return `<p class="empty">Nothing recorded in the last ${p.days} days.</p>`;
  const verdict = (v: { choice: string; label: string; costUSD: number; savesUSD: number }) =>
    v.choice === 'api' ? 'the API' : `${esc(v.label)} (${esc(usd(v.costUSD))}/mo), saves ${esc(usd(v.savesUSD))}`;
  const body = rows
    .map(
      (r) =>
        `<tr><td>` +
        `${esc(r.label)}${
          r.currentPlan
            ? ` <span class="muted">your plan: ${esc(r.plans.find((x) => x.id === r.currentPlan)?.label ?? r.currentPlan)}` + `</span>`
            : ''
        }</td>
      <td class="num">${esc(usd(r.apiEquivalentUSD))}</td><td class="num">${esc(usd(r.avoidedUSD))}</td><td>` +
        `${verdict(r.withLocal)}</td><td>${verdict(r.withoutLocal)}</td></tr>`,
    )
    .join('');
  return (
    `<table data-testid="plan"><thead><tr><th>Models</th><th class="num">API-equivalent</th><th` +
    ` class="num">Saved locally</th><th>Cheaper, with local</th><th>Cheaper, without local</th></tr></thead><tbody>${body}</tbody></table>
    <p class="method">Plan prices as of ${esc(p.pricesAsOf)}. A plan is cheaper only if the work fits its` +
    ` usage limits, which are not stated in dollars: the answer is the largest plan priced at or below the API bill.</p>`
  );
}

function recentTable(m: DashboardModel): string {
  if (m.recent.length === 0) return `<p class="empty">No metered interactions in the last ${m.recentDays} days.</p>`;
  const rows = m.recent
    .map(
      (r) =>
        `<tr><td>` +
        `${esc(dayLabel(r.local.slice(0, 10)))} ${esc(r.local.slice(11))}</td><td class="col-agent">` +
        `${esc(r.agent)}</td><td class="col-model">${esc(modelLabel(r.model))}</td>
      <td class="num">${esc(usd(r.costUSD))}${r.estimated ? ' <span class="muted" title="tokens counted with a tokenizer">est.</span>' : ''}</td>
      <td class="num col-tokens">${compact(r.inputTokens)}</td><td class="num col-tokens">` +
        `${compact(r.outputTokens)}</td><td class="num col-cache">` +
        `${compact(r.cacheReadTokens)}</td><td class="num col-cache">${compact(r.cacheWriteTokens)}</td></tr>`,
    )
    .join('');
  // Cost comes right after what was asked: on a narrow panel the token columns give way first (CSS), never the cost.
  return (
    `<table data-testid="recent"><thead><tr><th>When</th><th class="col-agent">Agent</th><th` +
    ` class="col-model">Model</th><th class="num">Cost</th><th class="num col-tokens">Input</th><th class="num` +
    ` col-tokens">Output</th><th class="num col-cache">Cache read</th><th class="num col-cache">Cache write</th></tr></thead><tbody>${rows}</tbody></table>`
  );
}

function render(): void {
  if (!model) return;
  const m = model;
  const b = m.month;
  const budget =
    b.budgetUSD === null
      ? `${usd(b.projectedMonthUSD)} projected · no budget set`
      : `${usd(b.projectedMonthUSD)} projected of ${usd(b.budgetUSD)} · ${percent(b.projectedMonthUSD, b.budgetUSD)}, ${budgetStateLabel(b.budgetState)}`;
  $('title').textContent = `${dayLabel(m.today)} · ${m.timeZone}`;
  $('cards').innerHTML = card('today', m.periods.today) + card('week', m.periods.week) + card('month', m.periods.month);
  $('budget').className = `budget state-${b.budgetState}`;
  $('budget').textContent = `${monthLabel(b.id)}: ${usd(b.monthToDateUSD)} so far · ${budget}`;
  $('chart').innerHTML = monthChart(m);
  $('legend').innerHTML = m.month.monthToDateUSD === 0 && m.month.projectedMonthUSD === 0 ? '' : legend(m);
  $('method').textContent = b.projectionMethod;
  $('period-title').textContent = m.periods[period].label;
  document
    .querySelectorAll<HTMLButtonElement>('.tabs button')
    .forEach((el) => el.setAttribute('aria-selected', String(el.dataset.period === period)));
  $('breakdown').innerHTML = breakdown(m.periods[period]);
  $('recent-title').textContent = `Most expensive interactions, last ${m.recentDays} days`;
  $('recent').innerHTML = recentTable(m);
  $('plan').innerHTML = planTable(m);
  $('plan-section').hidden = !m.plan;
  const named = namedUnpriced(m.unpricedModels);
  $('notes').textContent = [
    named.length
      ? `Unpriced (not in the totals): ${named.map((u) => `${u.model} (${u.interactions})`).join(', ')}. Add a price in the unmetered.prices setting.`
      : '',
    modelNotRecordedNote(m.unpricedModels) ?? '',
  ]
    .filter(Boolean)
    .join(' ');
  document.body.dataset.ready = 'true';
}

function select(p: Period): void {
  period = p;
  vscode.setState({ period });
  render();
}

document.addEventListener('click', (e) => {
  const el = (e.target as HTMLElement).closest<HTMLElement>('[data-period],[data-command]');
  if (!el) return;
  const { period: p, command } = el.dataset;
  if (isPeriod(p)) select(p);
  else if (isPageCommand(command)) vscode.postMessage({ type: 'command', command });
});

window.addEventListener('message', (e: MessageEvent<unknown>) => {
  const msg = parseHostMessage(e.data);
  if (msg?.type === 'model') {
    model = msg.model;
    render();
  }
});

let resizing: number | undefined;
window.addEventListener('resize', () => {
  clearTimeout(resizing);
  resizing = window.setTimeout(render, 100);
});

vscode.postMessage({ type: 'ready' });
