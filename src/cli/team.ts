/**
 * `unmetered team`: merges the weekly summaries of a team (a folder of them, or files) into one
 * report for a week. Files that cannot be used are named with their problem on stderr and in the
 * report's notes; the rest is still merged.
 */
import path from 'node:path';
import { collectFiles, compareWeekIds, formatOfPath, mergeTeam, readEntries, renderTeam, writeAtomically } from '../core/report';
import { parse } from './args';
import { EXIT, UsageError, type CliContext } from './context';
import { formatArg, weekArg } from './export';

export const TEAM_USAGE = 'unmetered team <folder or files…> [--week YYYY-Www] [--format md|html|csv|json] [--out FILE]';

export async function teamCommand(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parse(args, { week: { type: 'string' }, format: { type: 'string' }, out: { type: 'string' } }, true);
  if (positionals.length === 0) throw new UsageError('<folder or files…>: expected at least one folder or weekly summary file, got none');
  const week = weekArg(values.week);
  const out = values.out === undefined ? undefined : path.resolve(ctx.cwd, values.out);
  const format = formatArg(values.format) ?? (out ? formatOfPath(out) : undefined) ?? 'md';

  const { files, missing, emptyFolders } = await collectFiles(positionals, ctx.cwd);
  if (missing.length) throw new UsageError(`${missing[0].file}: ${missing[0].problem}; expected a folder or a weekly summary file`);
  for (const f of emptyFolders) ctx.logger.warn(`${f}: no weekly summaries (*.json) in this folder`);
  if (files.length === 0) {
    ctx.stderr.write(`unmetered team: no weekly summaries found in ${positionals.join(', ')}; expected *.json files written by \`unmetered export\`\n`);
    return EXIT.failure;
  }
  const { entries, rejected } = await readEntries(files, { cwd: ctx.cwd });
  for (const r of rejected) ctx.logger.warn(`skipped ${r.file}: ${r.problem}`);
  const report = mergeTeam(entries, rejected, { week, now: ctx.clock.now() });
  if (!report) {
    const weeks = [...new Set(entries.map((e) => e.week))].sort(compareWeekIds);
    ctx.stderr.write(
      entries.length === 0
        ? `unmetered team: none of the ${files.length} file${files.length === 1 ? '' : 's'} is a usable weekly summary (see above)\n`
        : `unmetered team: no summaries for ${week}; weeks present: ${weeks.join(', ')}\n`,
    );
    return EXIT.failure;
  }
  for (const d of report.duplicates) ctx.logger.warn(`${d.developer} submitted ${d.week} more than once: counted ${d.kept}, ignored ${d.ignored.join(', ')}`);
  const text = renderTeam(report, format);
  if (out) {
    await writeAtomically(out, text);
    ctx.stderr.write(`unmetered team: wrote ${report.week.id} for ${report.developers} developers to ${out}\n`);
  } else ctx.stdout.write(text);
  return EXIT.ok;
}
