/**
 * Export settings (`unmetered.export.*`): types and normaliser. The schema is in package.json; the
 * extension reads them and mirrors them for the CLI into <data dir>/settings.json.
 */
import { isReportFormat, type ReportFormat } from '../render/render';
import { isWeekStart, type WeekStart } from '../week';

export interface ExportSettings {
  weekStart: WeekStart;
  pseudonymiseProjects: boolean;
  /** Who the summaries are for; null = the login name. */
  developer: string | null;
  /** Where last week's summary is written automatically on the first start of a week; null = off. */
  folder: string | null;
  /** Formats of the automatic export. */
  formats: ReportFormat[];
}

const DEFAULT_EXPORT_SETTINGS: ExportSettings = {
  weekStart: 'monday',
  pseudonymiseProjects: false,
  developer: null,
  folder: null,
  formats: ['json'],
};

export function normaliseExportSettings(raw: {
  weekStart?: unknown;
  pseudonymiseProjects?: unknown;
  developer?: unknown;
  folder?: unknown;
  formats?: unknown;
}): { value: ExportSettings; warnings: string[] } {
  const warnings: string[] = [];
  const v: ExportSettings = { ...DEFAULT_EXPORT_SETTINGS, formats: [...DEFAULT_EXPORT_SETTINGS.formats] };
  const bad = (key: string, expected: string, got: unknown, fallback: string) =>
    warnings.push(`unmetered.export.${key}: expected ${expected}, got ${JSON.stringify(got)}; using ${fallback}`);
  if (raw.weekStart !== undefined && raw.weekStart !== null && raw.weekStart !== '') {
    if (isWeekStart(raw.weekStart)) v.weekStart = raw.weekStart;
    else bad('weekStart', '"monday", "sunday" or "saturday"', raw.weekStart, '"monday"');
  }
  if (raw.pseudonymiseProjects !== undefined && raw.pseudonymiseProjects !== null) {
    if (typeof raw.pseudonymiseProjects === 'boolean') v.pseudonymiseProjects = raw.pseudonymiseProjects;
    else bad('pseudonymiseProjects', 'true or false', raw.pseudonymiseProjects, 'false');
  }
  if (raw.developer !== undefined && raw.developer !== null && raw.developer !== '') {
    if (
      typeof raw.developer === 'string' &&
      raw.developer.trim().length > 0 &&
      raw.developer.trim().length <= 200 &&
      !/[\u0000-\u001f]/.test(raw.developer)
    )
      v.developer = raw.developer.trim();
    else bad('developer', 'a name of 1 to 200 characters on one line', raw.developer, 'the login name');
  }
  if (raw.folder !== undefined && raw.folder !== null && raw.folder !== '') {
    if (typeof raw.folder === 'string') v.folder = raw.folder;
    else bad('folder', 'a folder path', raw.folder, 'no automatic export');
  }
  if (raw.formats !== undefined && raw.formats !== null) {
    if (Array.isArray(raw.formats) && raw.formats.length > 0 && raw.formats.every(isReportFormat)) v.formats = [...new Set(raw.formats)];
    else bad('formats', 'a non-empty list of "json", "md", "csv", "html"', raw.formats, '["json"]');
  }
  return { value: v, warnings };
}
