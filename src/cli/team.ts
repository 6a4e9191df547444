/**
 * `unmetered team`: merges the weekly summaries of a team (a folder of them, or files) into one
 * report for a week. Files that cannot be used, and entries that are not read at all (links,
 * FIFOs, devices), are named with their reason on stderr and in the report's notes; the rest is
 * still merged.
 */
import {
  collectFiles,
  compareWeekIds,
  formatOfPath,
  MAX_TEAM_FILES,
  mergeTeam,
  readEntries,
  renderTeam,
  splitFuture,
  writeOutFile,
} from '../core/report';
import { plainText } from '../core/sanitize';
import { outArg, parse } from './args';
import { EXIT, UsageError, type CliContext } from './context';
import { formatArg, weekArg } from './export';

export async function teamCommand(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parse(args, { week: { type: 'string' }, format: { type: 'string' }, out: { type: 'string' } }, true);
  if (positionals.length === 0) throw new UsageError('<folder or files…>: expected at least one folder or weekly summary file, got none');
  const week = weekArg(values.week);
  // Checked before any file is read: a wrong --out should not cost a long merge.
  const out = await outArg(values.out, ctx);
  const format = formatArg(values.format) ?? (out ? formatOfPath(out) : undefined) ?? 'md';

  const found = await collectFiles(positionals, ctx.cwd);
  if (found.missing.length)
    throw new UsageError(`${found.missing[0].file}: ${found.missing[0].problem}; expected a folder or a weekly summary file`);
  if (found.tooMany) {
    ctx.stderr.write(
      `unmetered team:` +
        ` more than ${MAX_TEAM_FILES.toLocaleString('en-US')} files in ${plainText(positionals.join(', '))}` +
        `; a merge reads at most ${MAX_TEAM_FILES.toLocaleString('en-US')} (point it at one week's folder, or fewer folders)\n`,
    );
    return EXIT.failure;
  }
  for (const f of found.emptyFolders) ctx.logger.warn(`${f}: no weekly summaries (*.json) in this folder`);
  for (const s of found.skipped) ctx.logger.warn(`${s.file}: ${s.problem}`);
  if (found.files.length === 0) {
    ctx.stderr.write(
      `unmetered team: no weekly summaries found in ${plainText(positionals.join(', '))}; expected *.json files written by \`unmetered export\`\n`,
    );
    return EXIT.failure;
  }
  const { entries, rejected } = await readEntries(found.files, { cwd: ctx.cwd, named: found.named });
  const { current, future } = splitFuture(entries, ctx.clock.now());
  for (const r of rejected.concat(future)) ctx.logger.warn(`skipped ${r.file}: ${r.problem}`);
  const report = mergeTeam(current, rejected.concat(found.skipped, future), { week, now: ctx.clock.now() });
  if (!report) {
    const weeks = [...new Set(current.map((e) => e.week))].sort(compareWeekIds);
    ctx.stderr.write(
      current.length === 0 && future.length === 0
        ? `unmetered team: none of the ${found.files.length} file${found.files.length === 1 ? '' : 's'} is a usable weekly summary (see above)\n`
        : current.length === 0
          ? `unmetered team: every summary is of a week that has not begun yet (see above)\n`
          : `unmetered team: no summaries for ${week}; weeks present: ${weeks.join(', ')}\n`,
    );
    return EXIT.failure;
  }
  for (const d of report.duplicates)
    ctx.logger.warn(`${d.developer} submitted ${d.week} more than once: counted ${d.kept}, ignored ${d.ignored.join(', ')}`);
  const text = renderTeam(report, format);
  if (out) {
    await writeOutFile(out, text, values.out);
    ctx.stderr.write(`unmetered team: wrote ${report.week.id} for ${report.developers} developers to ${values.out}\n`);
  } else ctx.stdout.write(text);
  return EXIT.ok;
}
