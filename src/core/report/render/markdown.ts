/**
 * The weekly summary as GitHub-flavoured Markdown: headline figures first (what a chat preview
 * shows), then tables that render in pull requests and stay legible as plain text.
 */
import { budgetActionsLine } from '../summary/budgetActions';
import { branchBreakdown } from '../summary/attribution';
import {
  allTokens,
  avoidedLabel,
  budgetStateLabel,
  capitalise,
  compact,
  costLabel,
  dayLabel,
  int,
  localShare,
  monthLabel,
  percent,
  rangeLabel,
  tokensLabel,
  trendLabel,
  usd,
  utcLabel,
  weekState,
} from './display';
import { plainText } from '../../sanitize';
import type { WeeklySummary } from '../summary/summary';
import type { Totals } from '../totals';
import { modelLabel, modelNotRecordedNote, namedUnpriced, PROJECT_NOTE, projectLabel } from '../../unrecorded';

/**
 * Escapes what would change the meaning of a name inside a table cell: table pipes, emphasis,
 * code, links and HTML; control characters and escape sequences are removed first (plainText).
 * Hyphens, dots and underscores inside words stay as they are, so model names read naturally
 * when pasted into a chat that does not render Markdown.
 */
export function mdEscape(s: string): string {
  return plainText(s)
    .replace(/[\\`*|[\]<>]/g, (c) => `\\${c}`)
    .replace(/(^|\s)_/g, '$1\\_')
    .replace(/_(\s|$)/g, '\\_$1')
    .replace(/[\r\n]+/g, ' ');
}

/** A bar of block characters, so the daily shape shows even in a plain-text chat. */
export function textBar(value: number, max: number, width = 12): string {
  if (max <= 0 || value <= 0) return '';
  const eighths = Math.max(1, Math.round((value / max) * width * 8));
  const full = Math.floor(eighths / 8);
  const part = eighths % 8;
  return '█'.repeat(full) + (part ? '▏▎▍▌▋▊▉'[part - 1] : '');
}

export function table(head: string[], align: ('l' | 'r')[], rows: string[][]): string[] {
  return [
    `| ${head.join(' | ')} |`,
    `|${align.map((a) => (a === 'r' ? '---:' : '---')).join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ];
}

function breakdown(title: string, label: string, rows: ({ name: string } & Totals)[], total: Totals): string[] {
  if (rows.length === 0) return [];
  const priced = total.costUSD ?? 0;
  return [
    `### ${title}`,
    '',
    ...table(
      [label, 'Cost', 'Share', 'Saved', 'Interactions', 'Tokens'],
      ['l', 'r', 'r', 'r', 'r', 'r'],
      rows.map((r) => [
        mdEscape(r.name),
        costLabel(r),
        r.costUSD === null ? '—' : percent(r.costUSD, priced),
        r.avoidedUSD === 0 ? '—' : avoidedLabel(r),
        int(r.interactions),
        compact(allTokens(r)),
      ]),
    ),
    '',
  ];
}

/** The title, the week's state and the headline figures: spend, savings and the month's projection. */
function headlineLines(s: WeeklySummary, out: string[]): void {
  const t = s.totals;
  out.push(`## Unmetered weekly summary · ${mdEscape(s.developer)} · ${s.week.id} (${rangeLabel(s.week.start, s.week.end)})`, '');
  const state = weekState(s.week, s.generatedAt);
  if (state === 'future')
    out.push(`_Week in the future: it starts after ${utcLabel(s.generatedAt)}, so nothing can be recorded in it yet._`, '');
  else if (state === 'in progress') out.push(`_Week in progress: figures up to ${utcLabel(s.generatedAt)}._`, '');
  out.push(
    `**${costLabel(t)}** metered spend (${trendLabel(t.costUSD, s.previousWeek.costUSD)} vs ${s.previousWeek.id}: ${costLabel(s.previousWeek)}) · ` +
      `**${avoidedLabel(t)}** saved by local models · ${int(t.interactions)} interactions, ${localShare(s.routes, t)} local`,
  );
  const b = s.budget;
  const budget =
    b.monthlyBudgetUSD === null
      ? `**${usd(b.projectedMonthUSD)}** projected for ${monthLabel(b.month)} (no budget set)`
      : `**${usd(b.projectedMonthUSD)}** projected for ${monthLabel(b.month)} of a **` +
        `${usd(b.monthlyBudgetUSD)}** budget (${percent(b.projectedMonthUSD, b.monthlyBudgetUSD)}, ${budgetStateLabel(b.state)})`;
  out.push('', `${budget} · ${usd(b.monthToDateUSD)} month to date on ${b.asOf}`, '');
  if (s.budgetActions) out.push(mdEscape(budgetActionsLine(s.budgetActions)), '');
}

function byDayLines(s: WeeklySummary, out: string[]): void {
  const max = Math.max(0, ...s.days.map((d) => d.costUSD ?? 0));
  out.push(
    '### By day',
    '',
    ...table(
      ['Day', 'Cost', '', 'Saved', 'Interactions', 'Tokens'],
      ['l', 'r', 'l', 'r', 'r', 'r'],
      s.days.map((d) => [
        dayLabel(d.date),
        d.interactions ? costLabel(d) : '—',
        textBar(d.costUSD ?? 0, max),
        d.avoidedUSD === 0 ? '—' : avoidedLabel(d),
        int(d.interactions),
        compact(allTokens(d)),
      ]),
    ),
    '',
  );
}

function breakdownLines(s: WeeklySummary, out: string[]): void {
  const t = s.totals;
  out.push(
    ...breakdown(
      'By agent',
      'Agent',
      s.agents.map((a) => ({ ...a, name: a.agent })),
      t,
    ),
  );
  out.push(
    ...breakdown(
      'By model',
      'Model',
      s.models.map((m) => ({ ...m, name: modelLabel(m.model) })),
      t,
    ),
  );
  const projects: ({ name: string } & Totals)[] = s.projects.map((p) => ({ ...p, name: projectLabel(p.project) }));
  if (s.otherProjects.projects > 0) projects.push({ ...s.otherProjects, name: `${s.otherProjects.projects} other projects` });
  out.push(...breakdown(s.projectsPseudonymised ? 'Top projects (pseudonymised)' : 'Top projects', 'Project', projects, t));
  out.push(
    ...breakdown(
      s.projectsPseudonymised ? 'By branch (pseudonymised)' : 'By branch',
      'Branch · repository',
      branchBreakdown(s.attribution),
      t,
    ),
  );
}

function routeLines(s: WeeklySummary, out: string[]): void {
  out.push(
    '### Cloud and local',
    '',
    ...table(
      ['Route', 'Cost', 'Saved', 'Interactions', 'Tokens'],
      ['l', 'r', 'r', 'r', 'l'],
      (['cloud', 'local'] as const).map((r) => [
        capitalise(r),
        costLabel(s.routes[r]),
        r === 'local' ? avoidedLabel(s.routes[r]) : '—',
        int(s.routes[r].interactions),
        tokensLabel(s.routes[r]),
      ]),
    ),
    '',
  );
}

function notesAndFooterLines(s: WeeklySummary, out: string[]): void {
  const t = s.totals;
  const notes: string[] = [];
  const named = namedUnpriced(s.unpricedModels);
  const noModel = modelNotRecordedNote(s.unpricedModels);
  if (named.length)
    notes.push(
      `Unpriced, not included in` +
        ` the cost: ${named.map((u) => `${mdEscape(u.model)} (${int(u.interactions)} interaction${u.interactions === 1 ? '' : 's'})`).join(', ')}.`,
    );
  if (noModel) notes.push(noModel);
  if (s.projects.some((p) => p.project === null)) notes.push(PROJECT_NOTE);
  if (t.estimatedInteractions)
    notes.push(
      `${int(t.estimatedInteractions)} interaction${t.estimatedInteractions === 1 ? ' has' : 's have'} estimated token counts (the provider reported none).`,
    );
  if (t.reasoningTokens) notes.push(`Output includes ${compact(t.reasoningTokens)} reasoning tokens.`);
  for (const n of notes) out.push(`- ${n}`);
  if (notes.length) out.push('');
  out.push(
    `<sub>${mdEscape(s.week.timeZone)} · weeks start ${capitalise(s.week.weekStart)}` +
      ` · prices ${s.priceTableVersion ? mdEscape(s.priceTableVersion) : 'unknown'}` +
      ` · generated ${utcLabel(s.generatedAt)} by Unmetered · ${s.schema}</sub>`,
  );
}

export function renderMarkdown(s: WeeklySummary): string {
  const out: string[] = [];
  headlineLines(s, out);
  byDayLines(s, out);
  breakdownLines(s, out);
  routeLines(s, out);
  notesAndFooterLines(s, out);
  return out.join('\n') + '\n';
}
