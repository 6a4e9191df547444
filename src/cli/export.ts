/**
 * `unmetered export`: one developer's weekly summary, for a team lead or a pull request.
 * Settings come from <data dir>/settings.json (mirrored by the extension); UNMETERED_DEVELOPER
 * and flags override them.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import {
  buildWeeklySummary,
  formatOfPath,
  isReportFormat,
  lastCompleteWeek,
  loadOrCreateSalt,
  pseudonymiser,
  REPORT_FORMATS,
  renderWeekly,
  weekById,
  weeklyFileName,
  WEEK_STARTS,
  isWeekId,
  isWeekStart,
  shiftWeek,
  writeOutFile,
  type ReportFormat,
} from '../core/report';
import { normaliseExportSettings, type ExportSettings } from '../core/report/summary/exportSettings';
import { outArg, parse, zoneArg } from './args';
import { EXIT, UsageError, type CliContext } from './context';
import { openForCli, readMirroredSettings } from './setup';
import { daysFromRollup } from './aggregate';
import { meterOf } from '../core/aggregate/meter';

/** The export settings the extension mirrored for the CLI (defaults when there are none). */
async function exportSettings(ctx: CliContext): Promise<ExportSettings> {
  const raw = (await readMirroredSettings(ctx)).export;
  const { value, warnings } = normaliseExportSettings(typeof raw === 'object' && raw !== null ? raw : {});
  for (const w of warnings) ctx.logger.warn(w);
  return value;
}

function loginName(env: NodeJS.ProcessEnv, home: string): string {
  return env.USER || env.USERNAME || env.LOGNAME || path.basename(home) || 'developer';
}

export function weekArg(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  if (!isWeekId(v)) throw new UsageError(`--week: expected an ISO week such as 2026-W47, got ${JSON.stringify(v)}`);
  return v;
}

export function formatArg(v: string | undefined, allowed: readonly ReportFormat[] = REPORT_FORMATS): ReportFormat | undefined {
  if (v === undefined) return undefined;
  if (!isReportFormat(v) || !allowed.includes(v))
    throw new UsageError(`--format: expected ${allowed.join(', ')}, got ${JSON.stringify(v)}`);
  return v;
}

async function isFolder(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

export async function exportCommand(args: string[], ctx: CliContext): Promise<number> {
  const { values } = parse(args, {
    week: { type: 'string' },
    format: { type: 'string' },
    out: { type: 'string' },
    developer: { type: 'string' },
    'week-start': { type: 'string' },
    pseudonymise: { type: 'boolean' },
    'no-pseudonymise': { type: 'boolean' },
    tz: { type: 'string' },
    'no-scan': { type: 'boolean' },
  });
  const week = weekArg(values.week);
  let format = formatArg(values.format);
  const weekStartFlag = values['week-start'];
  if (weekStartFlag !== undefined && !isWeekStart(weekStartFlag))
    throw new UsageError(`--week-start: expected ${WEEK_STARTS.join(', ')}, got ${JSON.stringify(weekStartFlag)}`);
  if (values.pseudonymise && values['no-pseudonymise'])
    throw new UsageError('--pseudonymise and --no-pseudonymise: expected at most one of them');
  if (values.developer !== undefined && (values.developer.trim() === '' || /[\u0000-\u001f]/.test(values.developer)))
    throw new UsageError(`--developer: expected a name on one line, got ${JSON.stringify(values.developer)}`);
  if (values.out === '') throw new UsageError('--out: expected a file or folder name, or - for standard output');
  const out = values.out === undefined || values.out === '-' ? undefined : path.resolve(ctx.cwd, values.out);
  const outIsFolder = out !== undefined && (values.out!.endsWith('/') || values.out!.endsWith(path.sep) || (await isFolder(out)));
  // Checked before the ledger is opened: a wrong --out should fail at once, naming the path given.
  if (out && outIsFolder && !(await isFolder(out))) throw new UsageError(`--out ${values.out}: the folder does not exist; create it first`);
  if (out && !outIsFolder) await outArg(values.out, ctx);
  if (out && !outIsFolder && format === undefined) format = formatOfPath(out);
  format ??= 'json';
  if (out && !outIsFolder && formatOfPath(out) && formatOfPath(out) !== format)
    ctx.logger.warn(`--out ${values.out} ends in .${formatOfPath(out)} but the format is ${format}`);

  const settings = await exportSettings(ctx);
  const weekStart = weekStartFlag ?? settings.weekStart;
  const pseudonymise = values.pseudonymise ? true : values['no-pseudonymise'] ? false : settings.pseudonymiseProjects;
  const developer =
    values.developer?.trim() ?? (ctx.env.UNMETERED_DEVELOPER?.trim() || undefined) ?? settings.developer ?? loginName(ctx.env, ctx.home);

  // lazy: the summary needs the records of its week and the one before, and the meter; the rollup gives both
  // without reading the rest of the history. Every record is read only when the rollup cannot answer alone.
  const opened = await openForCli(ctx, { scan: !values['no-scan'], tz: zoneArg(values.tz), lazy: true });
  try {
    const now = ctx.clock.now();
    const timeZone = opened.settings.timeZone;
    const w = week ? weekById(week, weekStart) : lastCompleteWeek(now, timeZone, weekStart);
    const days = opened.rollup
      ? await daysFromRollup(opened.rollup, opened.prices, timeZone, shiftWeek(w, -1).start, w.end, ctx.logger)
      : null;
    if (!days) await opened.ledger.load();
    const summary = buildWeeklySummary(days ? days.records : opened.records(), {
      week: w,
      meter: days ? (o) => meterOf(days.entries, o) : undefined,
      timeZone,
      weekStart,
      budgetNanos: opened.settings.budgetNanos,
      now,
      developer,
      priceTableVersion: opened.prices.version,
      pseudonymise: pseudonymise ? pseudonymiser(await loadOrCreateSalt(ctx.dataDir)) : null,
    });
    const text = renderWeekly(summary, format);
    if (!out) {
      ctx.stdout.write(text);
      return EXIT.ok;
    }
    const file = outIsFolder ? path.join(out, weeklyFileName(summary, format)) : out;
    const shown = outIsFolder ? path.join(values.out!, weeklyFileName(summary, format)) : values.out!;
    await writeOutFile(file, text, shown);
    ctx.stderr.write(`unmetered export: wrote ${summary.week.id} (${summary.totals.interactions} interactions) to ${shown}\n`);
    return EXIT.ok;
  } finally {
    await opened.ledger.close();
  }
}
