/** Weekly summaries and team merges: build, render, read back. */

export * from './totals';
export * from './week';
export * from './summary';
export * from './pseudonym';
export { parseWeeklySummary, knownVersions } from './read';
export {
  claimWeek,
  releaseWeek,
  writeAtomically,
  writeOutFile,
  checkOutFile,
  OutFileError,
  writeWeeklyFiles,
  AUTO_EXPORT_DIR,
} from './files';
export { buildDashboard, type DashboardModel } from './dashboard';
export { collectFiles, readEntries, readRegularFile, MAX_SUMMARY_BYTES, MAX_TEAM_FILES, type Collected } from './team-files';
export { mergeTeam, splitFuture, dedupe, TEAM_SCHEMA, type TeamReport, type TeamMember, type Entry, type Problem } from './team';
export { renderCsv } from './csv';
export { renderHtml } from './html';
export { renderJson } from './json';
export { renderMarkdown } from './markdown';
export { renderTeamCsv, renderTeamHtml, renderTeamJson, renderTeamMarkdown } from './team-render';
export * from './render';
export * from './settings';
