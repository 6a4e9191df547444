/** The export formats, and which renderer writes each. */
import { renderCsv } from './csv';
import { renderHtml } from './html';
import { renderJson } from './json';
import { renderMarkdown } from './markdown';
import type { WeeklySummary } from '../summary/summary';
import type { TeamReport } from '../team/team';
import { renderTeamCsv, renderTeamHtml, renderTeamJson, renderTeamMarkdown } from '../team/teamRender';

export type ReportFormat = 'json' | 'md' | 'csv' | 'html';
export const REPORT_FORMATS: readonly ReportFormat[] = ['json', 'md', 'csv', 'html'];

export function isReportFormat(s: unknown): s is ReportFormat {
  return typeof s === 'string' && (REPORT_FORMATS as readonly string[]).includes(s);
}

/** The format a file name asks for by its extension (.markdown and .htm too), or undefined. */
export function formatOfPath(file: string): ReportFormat | undefined {
  const ext = /\.([a-z]+)$/i.exec(file)?.[1]?.toLowerCase();
  return ext === 'markdown' ? 'md' : ext === 'htm' ? 'html' : isReportFormat(ext) ? ext : undefined;
}

export function renderWeekly(s: WeeklySummary, format: ReportFormat): string {
  return { json: renderJson, md: renderMarkdown, csv: renderCsv, html: renderHtml }[format](s);
}

export function renderTeam(r: TeamReport, format: ReportFormat): string {
  return { json: renderTeamJson, md: renderTeamMarkdown, csv: renderTeamCsv, html: renderTeamHtml }[format](r);
}

/** "ada-2026-W47.json": what a team share collects; only characters safe in any file system. */
export function weeklyFileName(s: Pick<WeeklySummary, 'developer' | 'week'>, format: ReportFormat): string {
  const who =
    s.developer
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .replace(/[^\w.-]+/g, '-')
      .replace(/^[-.]+|-+$/g, '') || 'developer';
  return `${who}-${s.week.id}.${format}`;
}
