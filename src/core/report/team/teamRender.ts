/** The team report in Markdown, CSV, HTML and JSON. */
import { budgetActionsLine } from '../summary/budgetActions';
import { branchLabel } from '../summary/attribution';
import { csvLines, totalsCells } from '../render/csv';
import {
  allTokens,
  avoidedLabel,
  budgetStateLabel,
  compact,
  costLabel,
  int,
  localShare,
  monthLabel,
  percent,
  rangeLabel,
  trendLabel,
  usd,
  utcLabel,
} from '../render/display';
import { card, htmlTable, page } from '../render/html';
import { mdEscape, table, textBar } from '../render/markdown';
import { barList, columnChart, esc } from '../render/svg';
import type { TeamMember, TeamReport } from './team';
import { TOTALS_FIELDS, type Totals } from '../totals';

function budgetCell(m: TeamMember): string {
  const b = m.budget;
  if (b.monthlyBudgetUSD === null) return `${usd(b.projectedMonthUSD)} (no budget)`;
  return `${usd(b.projectedMonthUSD)} of ${usd(b.monthlyBudgetUSD)}, ${percent(b.projectedMonthUSD, b.monthlyBudgetUSD)}`;
}

function memberRow(m: TeamMember): string[] {
  return [
    m.developer + (m.complete ? '' : ' (week in progress)'),
    costLabel(m.totals),
    trendLabel(m.totals.costUSD, m.previous.costUSD),
    avoidedLabel(m.totals),
    localShare(m.routes, m.totals),
    int(m.totals.interactions),
    budgetCell(m),
    budgetStateLabel(m.budget.state),
  ];
}

const MEMBER_HEAD = ['Developer', 'Cost', 'vs prev. week', 'Saved', 'Local', 'Interactions', 'Projected month', 'Budget'];

function teamRow(r: TeamReport): string[] {
  return [
    'Team',
    costLabel(r.totals),
    trendLabel(r.totals.costUSD, r.previousTotals.costUSD),
    avoidedLabel(r.totals),
    localShare(r.routes, r.totals),
    int(r.totals.interactions),
    '',
    '',
  ];
}

/** Problems and caveats a lead must see next to the figures. */
function notes(r: TeamReport): string[] {
  const n: string[] = [];
  for (const p of r.rejected) n.push(`Rejected ${p.file}: ${p.problem}`);
  for (const d of r.duplicates)
    n.push(
      `${d.developer} submitted ${d.week} ${d.ignored.length + 1} times: counted once, from ${d.kept} (the latest); ignored ${d.ignored.join(', ')}.`,
    );
  const partial = r.members.filter((m) => !m.complete).map((m) => m.developer);
  if (partial.length) n.push(`Made before the week ended: ${partial.join(', ')}.`);
  if (r.unpricedModels.length)
    n.push(`Unpriced, not included in the cost: ${r.unpricedModels.map((u) => `${u.model} (${int(u.interactions)})`).join(', ')}.`);
  if (r.priceTableVersions.length > 1) n.push(`Summaries were priced with different price tables: ${r.priceTableVersions.join(', ')}.`);
  if (r.weekStarts.length > 1)
    n.push(`Developers start their weeks on different days (${r.weekStarts.join(', ')}); each summary covers its own seven days.`);
  if (r.totals.estimatedInteractions) n.push(`${int(r.totals.estimatedInteractions)} interactions have estimated token counts.`);
  return n;
}

function headline(r: TeamReport, bold: (s: string) => string): string {
  return (
    `${bold(costLabel(r.totals))} metered spend across ${r.developers} developer` +
    `${r.developers === 1 ? '' : 's'} (${trendLabel(r.totals.costUSD, r.previousTotals.costUSD)} vs ${r.previousWeek}: ${costLabel(r.previousTotals)})`
  );
}

function budgetLine(r: TeamReport): string {
  const over = r.members.filter((m) => m.budget.state === 'over').map((m) => `${m.developer} (${budgetCell(m)})`);
  const near = r.members.filter((m) => m.budget.state === 'warning').map((m) => `${m.developer} (${budgetCell(m)})`);
  if (!over.length && !near.length) return 'Nobody is projected over budget.';
  return [over.length ? `Over budget: ${over.join(', ')}.` : '', near.length ? `Near budget: ${near.join(', ')}.` : '']
    .filter(Boolean)
    .join(' ');
}

/** A breakdown with how many developers used each entry; nothing when there are no rows. */
function teamTableMd(r: TeamReport, title: string, label: string, rows: ({ name: string; developers: number } & Totals)[]): string[] {
  if (!rows.length) return [];
  return [`### ${title}`, ''].concat(
    table(
      [label, 'Cost', 'Share', 'Saved', 'Developers', 'Interactions', 'Tokens'],
      ['l', 'r', 'r', 'r', 'r', 'r', 'r'],
      rows.map((x) => [
        mdEscape(x.name),
        costLabel(x),
        x.costUSD === null ? '—' : percent(x.costUSD, r.totals.costUSD ?? 0),
        x.avoidedUSD === 0 ? '—' : avoidedLabel(x),
        int(x.developers),
        int(x.interactions),
        compact(allTokens(x)),
      ]),
    ),
    [''],
  );
}

/** The team's weekly history, once there is more than this week. */
function teamWeeksMd(r: TeamReport): string[] {
  if (r.history.length <= 1) return [];
  const max = r.history.reduce((m, h) => Math.max(m, h.costUSD ?? 0), 0);
  return ['### Weeks', ''].concat(
    table(
      ['Week', 'Cost', '', 'Saved', 'Developers', 'Interactions'],
      ['l', 'r', 'l', 'r', 'r', 'r'],
      r.history.map((h) => [
        h.week === r.week.id ? `**${h.week}**` : h.week,
        costLabel(h),
        textBar(h.costUSD ?? 0, max),
        avoidedLabel(h),
        int(h.developers),
        int(h.interactions),
      ]),
    ),
    [''],
  );
}

export function renderTeamMarkdown(r: TeamReport): string {
  const out: string[] = [];
  // Never out.push(...rows): a team of many files makes rows longer than a call's argument limit.
  const add = (...parts: (string | string[])[]) => {
    for (const p of parts)
      if (typeof p === 'string') out.push(p);
      else for (const x of p) out.push(x);
  };
  const e = mdEscape;
  add(`## Unmetered team summary · ${r.week.id} (${rangeLabel(r.week.start, r.week.end)})`, '');
  add(
    `${headline(r, (x) => `**${x}**`)} · **${avoidedLabel(r.totals)}** saved by local` +
      ` models · ${int(r.totals.interactions)} interactions, ${localShare(r.routes, r.totals)} local`,
    '',
  );
  add(e(budgetLine(r)), '');
  for (const c of r.budgetCaps ?? []) add(e(`${c.developer}: ${budgetActionsLine(c)}`), '');
  add(
    '### Developers',
    '',
    table(
      MEMBER_HEAD,
      ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'l'],
      r.members.map((m) => memberRow(m).map(e)).concat([teamRow(r).map((c, i) => (i === 0 ? '**Team**' : c ? `**${c}**` : ''))]),
    ),
    '',
  );
  add(
    teamTableMd(
      r,
      'By agent',
      'Agent',
      r.agents.map((a) => ({ ...a, name: a.agent })),
    ),
  );
  add(
    teamTableMd(
      r,
      'By model',
      'Model',
      r.models.map((m) => ({ ...m, name: m.model })),
    ),
  );
  add(teamTableMd(r, 'By project', 'Project', teamProjectRows(r)));
  add(teamTableMd(r, 'By branch', 'Branch · repository', teamBranchRows(r)));
  add(teamWeeksMd(r));
  const n = notes(r);
  if (n.length)
    add(
      '### Notes',
      '',
      n.map((x) => `- ${e(x)}`),
      '',
    );
  add(`<sub>generated ${utcLabel(r.generatedAt)} by Unmetered · ${r.schema}</sub>`);
  return out.join('\n') + '\n';
}

/** One row per developer for the week. */
export function renderTeamCsv(r: TeamReport): string {
  return csvLines(
    [
      'week',
      'developer',
      ...TOTALS_FIELDS,
      'previousCostUSD',
      'localInteractions',
      'budgetMonth',
      'monthlyBudgetUSD',
      'monthToDateUSD',
      'projectedMonthUSD',
      'budgetState',
      'complete',
      'file',
    ],
    r.members.map((m) => [
      r.week.id,
      m.developer,
      ...totalsCells(m.totals),
      m.previous.costUSD,
      m.routes.local.interactions,
      m.budget.month,
      m.budget.monthlyBudgetUSD,
      m.budget.monthToDateUSD,
      m.budget.projectedMonthUSD,
      m.budget.state,
      m.complete,
      m.file,
    ]),
  );
}

export function renderTeamJson(r: TeamReport): string {
  return JSON.stringify(r, null, 2) + '\n';
}

function teamCardsHtml(r: TeamReport, parts: string[]): void {
  const over = r.overBudget.length;
  parts.push(
    `<div class="cards">` +
      card(
        'Metered spend',
        usd(r.totals.costUSD),
        `${trendLabel(r.totals.costUSD, r.previousTotals.costUSD)} vs ${r.previousWeek} (` +
          `${costLabel(r.previousTotals)})` +
          `${r.totals.unpricedInteractions ? ` · ${int(r.totals.unpricedInteractions)} unpriced interactions not included` : ''}`,
      ) +
      card('Saved by local models', avoidedLabel(r.totals), `${localShare(r.routes, r.totals)} of interactions ran locally`) +
      card('Interactions', int(r.totals.interactions), `${compact(allTokens(r.totals))} tokens`) +
      card(
        'Over budget',
        over ? `${over} of ${r.developers}` : 'nobody',
        r.nearBudget.length ? `${r.nearBudget.length} near budget` : 'projected for the month',
        over ? 'state-over' : r.nearBudget.length ? 'state-warning' : 'state-ok',
      ) +
      `</div>`,
  );
}

function teamDevelopersHtml(r: TeamReport, parts: string[]): void {
  parts.push(
    `<section><h2>Developers</h2>${barList(
      'Metered spend by developer',
      r.members.slice(0, 40).map((m) => ({
        label: m.developer,
        value: m.totals.costUSD ?? 0,
        valueLabel: `${costLabel(m.totals)} · ${trendLabel(m.totals.costUSD, m.previous.costUSD)}`,
        cls: m.budget.state === 'over' ? 'bar-over' : 'bar-cloud',
      })),
      940,
    )}${htmlTable(MEMBER_HEAD, r.members.map(memberRow), teamRow(r))}</section>`,
  );
  if (r.history.length > 1) {
    parts.push(
      `<section><h2>Weeks</h2>${columnChart({
        title: 'Team metered spend per week',
        columns: r.history.slice(-26).map((h) => ({
          label: h.week.slice(5),
          value: h.costUSD ?? 0,
          extra: h.avoidedUSD ?? 0,
          title: `${h.week}: ${costLabel(h)} metered, ${avoidedLabel(h)} saved, ${h.developers} developers`,
        })),
        format: (v) => usd(v),
        extraClass: 'bar-avoided',
        width: 940,
      })}<div class="legend"><span><span class="swatch cloud"></span>metered</span><span><span class="swatch` +
        ` avoided"></span>saved by local models</span></div></section>`,
    );
  }
}

/** The per-agent, model, project and branch tables, each with how many developers used it. */
function teamBreakdownHtml(r: TeamReport, parts: string[]): void {
  const named = (title: string, rows: { name: string; developers: number; totals: Totals }[]) =>
    `<section><h2>${esc(title)}</h2>${htmlTable(
      [title.replace('By ', '').replace(/^./, (c) => c.toUpperCase()), 'Cost', 'Share', 'Saved', 'Developers', 'Interactions', 'Tokens'],
      rows.map((x) => [
        x.name,
        costLabel(x.totals),
        x.totals.costUSD === null ? '—' : percent(x.totals.costUSD, r.totals.costUSD ?? 0),
        x.totals.avoidedUSD === 0 ? '—' : avoidedLabel(x.totals),
        int(x.developers),
        int(x.totals.interactions),
        compact(allTokens(x.totals)),
      ]),
    )}</section>`;
  parts.push(
    named(
      'By agent',
      r.agents.map((a) => ({ name: a.agent, developers: a.developers, totals: a })),
    ) +
      named(
        'By model',
        r.models.map((m) => ({ name: m.model, developers: m.developers, totals: m })),
      ) +
      (r.attribution.projects.length
        ? named(
            'By project',
            teamProjectRows(r).map((x) => ({ name: x.name, developers: x.developers, totals: x })),
          )
        : '') +
      (r.attribution.branches.length
        ? named(
            'By branch',
            teamBranchRows(r).map((x) => ({ name: x.name, developers: x.developers, totals: x })),
          )
        : ''),
  );
}

export function renderTeamHtml(r: TeamReport): string {
  const parts: string[] = [];
  parts.push(
    `<header><h1>Team summary · ${esc(r.week.id)}</h1><div class="sub">` +
      `${esc(rangeLabel(r.week.start, r.week.end))} · ${r.developers} developer${r.developers === 1 ? '' : 's'}</div></header>`,
  );
  teamCardsHtml(r, parts);
  parts.push(`<p>${esc(budgetLine(r))}</p>`);
  teamDevelopersHtml(r, parts);
  teamBreakdownHtml(r, parts);
  const n = notes(r);
  if (n.length) parts.push(`<section><h2>Notes</h2><ul class="notes">${n.map((x) => `<li>${esc(x)}</li>`).join('')}</ul></section>`);
  const months = [...new Set(r.members.map((m) => m.budget.month))].map(monthLabel);
  parts.push(
    `<footer>Projections are each developer's` +
      ` own, for ${esc(months.join(', '))} · generated ${esc(utcLabel(r.generatedAt))} by Unmetered · ${esc(r.schema)} · no prompt` +
      ` or response text is included</footer>`,
  );
  return page(`Unmetered · team · ${r.week.id}`, parts.join('\n'));
}

// ---- attribution rows (per project and per branch across teammates) ----

type NamedRow = { name: string; developers: number } & Totals;

function teamProjectRows(r: TeamReport): NamedRow[] {
  const rows: NamedRow[] = r.attribution.projects.map((p) => ({ ...p, name: p.project ?? '(no project)' }));
  if (r.attribution.otherProjects.interactions) rows.push({ ...r.attribution.otherProjects, name: 'other projects', developers: 0 });
  return rows;
}

function teamBranchRows(r: TeamReport): NamedRow[] {
  const rows: NamedRow[] = r.attribution.branches.map((b) => ({ ...b, name: branchLabel(b.repo, b.branch) }));
  if (r.attribution.otherBranches.interactions) rows.push({ ...r.attribution.otherBranches, name: 'other branches', developers: 0 });
  return rows;
}
