/**
 * The team merge: a lead points `unmetered team` at a folder of weekly summaries (one per developer
 * per week, from a share or a repository) and gets one report for a week. Files are checked one by
 * one; a bad file is reported by name and left out, the same developer's week submitted twice is
 * counted once and flagged, and summaries of other weeks feed the history.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { BudgetState } from '../meter';
import { parseWeeklySummary } from './read';
import type { WeeklySummary } from './summary';
import { addTally, byCostDesc, compareKeys, emptyTally, tallyFromTotals, type Tally, toTotals, type Totals } from './totals';
import { compareWeekIds, isWeekStart, shiftWeek, weekById } from './week';

export const TEAM_SCHEMA = 'unmetered.team/1';

export interface Problem {
  file: string;
  problem: string;
}

/** What the merge keeps of one submitted summary (days, rows and projects are not needed, so memory stays small). */
export interface Entry {
  file: string;
  developer: string;
  week: string;
  weekStart: string;
  start: string;
  end: string;
  generatedAt: string;
  complete: boolean;
  priceTableVersion: string | null;
  totals: Totals;
  routes: { cloud: Totals; local: Totals };
  previous: Totals;
  budget: WeeklySummary['budget'];
  agents: WeeklySummary['agents'];
  models: WeeklySummary['models'];
  unpricedModels: WeeklySummary['unpricedModels'];
}

/** Rebuilds a row from its integer sums: fixed key order whatever the file had, and consistent null rules. */
const norm = (t: Totals): Totals => toTotals(tallyFromTotals(t));

export function entryOf(s: WeeklySummary, file: string): Entry {
  return {
    file,
    developer: s.developer,
    week: s.week.id,
    weekStart: s.week.weekStart,
    start: s.week.start,
    end: s.week.end,
    generatedAt: s.generatedAt,
    complete: s.week.complete,
    priceTableVersion: s.priceTableVersion,
    totals: norm(s.totals),
    routes: { cloud: norm(s.routes.cloud), local: norm(s.routes.local) },
    previous: norm(s.previousWeek),
    budget: s.budget,
    agents: s.agents.map((a) => ({ agent: a.agent, ...norm(a) })),
    models: s.models.map((m) => ({ model: m.model, ...norm(m) })),
    unpricedModels: s.unpricedModels,
  };
}

/**
 * Folders are searched (recursively, skipping hidden folders and node_modules) for *.json; named
 * files are taken as they are. Paths stay as the user wrote them (relative to `cwd`), so messages
 * and reports name files the way the user knows them.
 */
export async function collectFiles(paths: string[], cwd = process.cwd()): Promise<{ files: string[]; missing: Problem[]; emptyFolders: string[] }> {
  const files: string[] = [];
  const missing: Problem[] = [];
  const emptyFolders: string[] = [];
  const walk = async (dir: string): Promise<string[]> => {
    const out: string[] = [];
    for (const d of (await readdir(path.resolve(cwd, dir), { withFileTypes: true })).sort((a, b) => compareKeys(a.name, b.name))) {
      const p = path.join(dir, d.name);
      if (d.isDirectory()) {
        if (!d.name.startsWith('.') && d.name !== 'node_modules') out.push(...(await walk(p)));
      } else if (d.name.toLowerCase().endsWith('.json')) out.push(p);
    }
    return out;
  };
  for (const p of paths) {
    let st;
    try {
      st = await stat(path.resolve(cwd, p));
    } catch (err) {
      missing.push({ file: p, problem: (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or folder' : (err as Error).message });
      continue;
    }
    if (st.isDirectory()) {
      const found = await walk(p);
      if (found.length === 0) emptyFolders.push(p);
      files.push(...found);
    } else files.push(p);
  }
  const seen = new Set<string>();
  const unique = files.filter((f) => !seen.has(path.resolve(cwd, f)) && seen.add(path.resolve(cwd, f)));
  return { files: unique, missing, emptyFolders };
}

/** A weekly summary is some kilobytes; anything this large is not one and is not read into memory. */
export const MAX_SUMMARY_BYTES = 16_000_000;

/** Reads and checks the files, a few at a time; each one becomes an Entry or a Problem. */
export async function readEntries(files: string[], opts: { cwd?: string; concurrency?: number } = {}): Promise<{ entries: Entry[]; rejected: Problem[] }> {
  const cwd = opts.cwd ?? process.cwd();
  const concurrency = opts.concurrency ?? 16;
  const entries: (Entry | undefined)[] = new Array(files.length);
  const rejected: (Problem | undefined)[] = new Array(files.length);
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const i = next++;
      try {
        const size = (await stat(path.resolve(cwd, files[i]))).size;
        if (size > MAX_SUMMARY_BYTES) throw new Error(`${files[i]}: ${Math.round(size / 1e6)} MB is too large for a weekly summary (at most ${MAX_SUMMARY_BYTES / 1e6} MB)`);
        entries[i] = entryOf(parseWeeklySummary(await readFile(path.resolve(cwd, files[i]), 'utf8'), files[i]), files[i]);
      } catch (err) {
        const msg = (err as Error).message;
        rejected[i] = { file: files[i], problem: msg.startsWith(`${files[i]}: `) ? msg.slice(files[i].length + 2) : msg };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, files.length) }, worker));
  return { entries: entries.filter((e): e is Entry => e !== undefined), rejected: rejected.filter((p): p is Problem => p !== undefined) };
}

export type MemberBudget = Pick<WeeklySummary['budget'], 'month' | 'monthlyBudgetUSD' | 'monthToDateUSD' | 'projectedMonthUSD' | 'state'>;

export interface TeamMember {
  developer: string;
  file: string;
  totals: Totals;
  routes: { cloud: Totals; local: Totals };
  /** The same developer's previous week, as their own summary reports it. */
  previous: Totals;
  budget: MemberBudget;
  /** False when the summary was made before the week ended. */
  complete: boolean;
  priceTableVersion: string | null;
}


export interface Duplicate {
  developer: string;
  week: string;
  /** The file counted: the one generated last. */
  kept: string;
  ignored: string[];
}

export interface TeamReport {
  schema: typeof TEAM_SCHEMA;
  week: { id: string; start: string; end: string };
  previousWeek: string;
  generatedAt: string;
  developers: number;
  totals: Totals;
  /** The same developers' previous week. */
  previousTotals: Totals;
  routes: { cloud: Totals; local: Totals };
  /** Most expensive first. */
  members: TeamMember[];
  agents: ({ agent: string; developers: number } & Totals)[];
  models: ({ model: string; developers: number } & Totals)[];
  overBudget: string[];
  nearBudget: string[];
  /** Every week found, oldest first, each developer counted once. */
  history: ({ week: string; developers: number } & Totals)[];
  duplicates: Duplicate[];
  rejected: Problem[];
  unpricedModels: { model: string; interactions: number }[];
  priceTableVersions: string[];
  weekStarts: string[];
}

/** Keeps one entry per developer and week: the latest generated (then the last file name); the others are reported. */
export function dedupe(entries: Entry[]): { kept: Entry[]; duplicates: Duplicate[] } {
  const groups = new Map<string, Entry[]>();
  for (const e of entries) {
    const k = JSON.stringify([e.developer, e.week]);
    const g = groups.get(k);
    if (g) g.push(e);
    else groups.set(k, [e]);
  }
  const kept: Entry[] = [];
  const duplicates: Duplicate[] = [];
  for (const g of groups.values()) {
    g.sort((a, b) => compareKeys(a.generatedAt, b.generatedAt) || compareKeys(a.file, b.file));
    const last = g[g.length - 1];
    kept.push(last);
    if (g.length > 1) duplicates.push({ developer: last.developer, week: last.week, kept: last.file, ignored: g.slice(0, -1).map((e) => e.file) });
  }
  duplicates.sort((a, b) => compareWeekIds(a.week, b.week) || compareKeys(a.developer, b.developer));
  return { kept, duplicates };
}

/** Sums rows by name across developers, counting in how many summaries each name appears. */
function groupNamed(lists: [string, Totals][][]): { name: string; developers: number; totals: Totals }[] {
  const m = new Map<string, { t: Tally; devs: number }>();
  for (const list of lists) {
    for (const [name, row] of list) {
      let g = m.get(name);
      if (!g) m.set(name, (g = { t: emptyTally(), devs: 0 }));
      addTally(g.t, tallyFromTotals(row));
      g.devs++;
    }
  }
  return [...m.entries()].sort((a, b) => byCostDesc([a[0], a[1].t], [b[0], b[1].t])).map(([name, g]) => ({ name, developers: g.devs, totals: toTotals(g.t) }));
}

const sumTotals = (rows: Totals[]) => toTotals(rows.reduce((acc, r) => addTally(acc, tallyFromTotals(r)), emptyTally()));

/**
 * Merges entries into the report for one week: `week` when given, else the latest week present.
 * Returns null when there is no entry for that week.
 */
export function mergeTeam(entries: Entry[], rejected: Problem[], opts: { week?: string; now: number }): TeamReport | null {
  const { kept, duplicates } = dedupe(entries);
  const weeks = [...new Set(kept.map((e) => e.week))].sort(compareWeekIds);
  const weekId = opts.week ?? weeks[weeks.length - 1];
  if (weekId === undefined) return null;
  const current = kept.filter((e) => e.week === weekId);
  if (current.length === 0) return null;

  const members: TeamMember[] = current
    .map((e) => ({
      developer: e.developer,
      file: e.file,
      totals: e.totals,
      routes: e.routes,
      previous: e.previous,
      budget: { month: e.budget.month, monthlyBudgetUSD: e.budget.monthlyBudgetUSD, monthToDateUSD: e.budget.monthToDateUSD, projectedMonthUSD: e.budget.projectedMonthUSD, state: e.budget.state },
      complete: e.complete,
      priceTableVersion: e.priceTableVersion,
    }))
    .sort((a, b) => byCostDesc([a.developer, tallyFromTotals(a.totals)], [b.developer, tallyFromTotals(b.totals)]));

  const byState = (s: BudgetState) => members.filter((m) => m.budget.state === s).map((m) => m.developer);
  const unpriced = new Map<string, number>();
  for (const e of current) for (const u of e.unpricedModels) unpriced.set(u.model, (unpriced.get(u.model) ?? 0) + u.interactions);
  const history = weeks.map((w) => {
    const es = kept.filter((e) => e.week === w);
    return { week: w, developers: es.length, ...sumTotals(es.map((e) => e.totals)) };
  });
  // The week's dates as most of its summaries have them (developers may start weeks on different days).
  const starts = new Map<string, number>();
  for (const e of current) starts.set(e.weekStart, (starts.get(e.weekStart) ?? 0) + 1);
  const common = [...starts.entries()].sort((a, b) => b[1] - a[1] || compareKeys(a[0], b[0]))[0][0];
  const ref = weekById(weekId, isWeekStart(common) ? common : 'monday');

  return {
    schema: TEAM_SCHEMA,
    week: { id: weekId, start: ref.start, end: ref.end },
    previousWeek: shiftWeek(ref, -1).id,
    generatedAt: new Date(opts.now).toISOString(),
    developers: members.length,
    totals: sumTotals(members.map((m) => m.totals)),
    previousTotals: sumTotals(members.map((m) => m.previous)),
    routes: { cloud: sumTotals(members.map((m) => m.routes.cloud)), local: sumTotals(members.map((m) => m.routes.local)) },
    members,
    agents: groupNamed(current.map((e) => e.agents.map((a) => [a.agent, a]))).map((g) => ({ agent: g.name, developers: g.developers, ...g.totals })),
    models: groupNamed(current.map((e) => e.models.map((x) => [x.model, x]))).map((g) => ({ model: g.name, developers: g.developers, ...g.totals })),
    overBudget: byState('over'),
    nearBudget: byState('warning'),
    history,
    duplicates,
    rejected: [...rejected].sort((a, b) => compareKeys(a.file, b.file)),
    unpricedModels: [...unpriced.entries()].sort((a, b) => b[1] - a[1] || compareKeys(a[0], b[0])).map(([model, interactions]) => ({ model, interactions })),
    priceTableVersions: [...new Set(current.map((e) => e.priceTableVersion ?? 'unknown'))].sort(compareKeys),
    weekStarts: [...new Set(current.map((e) => e.weekStart))].sort(compareKeys),
  };
}
