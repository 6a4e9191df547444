/** Weekly summaries and team merges: build, render, read back. */

export * from './totals';
export * from './week';
export * from './summary/summary';
export * from './summary/pseudonym';
export { parseWeeklySummary, knownVersions } from './summary/read';
export {
  claimWeek,
  releaseWeek,
  writeAtomically,
  writeOutFile,
  checkOutFile,
  OutFileError,
  writeWeeklyFiles,
  AUTO_EXPORT_DIR,
} from './render/files';
export { buildDashboard, type DashboardModel } from './dashboard';
export { collectFiles, readEntries, readRegularFile, MAX_SUMMARY_BYTES, MAX_TEAM_FILES, type Collected } from './team/teamFiles';
export { mergeTeam, splitFuture, dedupe, TEAM_SCHEMA, type TeamReport, type TeamMember, type Entry, type Problem } from './team/team';
export { renderCsv } from './render/csv';
export { renderHtml } from './render/html';
export { renderJson } from './render/json';
export { renderMarkdown } from './render/markdown';
export { renderTeamCsv, renderTeamHtml, renderTeamJson, renderTeamMarkdown } from './team/teamRender';
export * from './render/render';
export * from './summary/exportSettings';
