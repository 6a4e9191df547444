/**
 * The team merge: a lead points `unmetered team` at a folder of weekly summaries (one per developer
 * per week, from a share or a repository) and gets one report for a week. Files are checked one by
 * one; a bad file is reported by name and left out, the same developer's week submitted twice is
 * counted once and flagged, and summaries of other weeks feed the history.
 */
import type { BudgetState } from '../../meter';
import { plainText } from '../../sanitize';
import type { WeeklyAttribution } from '../summary/attribution';
import type { WeeklySummary } from '../summary/summary';
import { addTally, byCostDesc, compareKeys, emptyTally, tallyFromTotals, toTotals, type Tally, type Totals } from '../totals';
import { compareWeekIds, isWeekStart, shiftWeek, weekById } from '../week';
import { cleanBudgetActions, teamBudgetActions, type BudgetActions, type MemberBudgetActions } from '../summary/budgetActions';

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
  /** Null when the summary has none (nothing happened, or an older build wrote it). */
  budgetActions: BudgetActions | null;
  agents: WeeklySummary['agents'];
  models: WeeklySummary['models'];
  unpricedModels: WeeklySummary['unpricedModels'];
  /** Per project, repository and branch, for the team's "what did this feature cost" (attribution section below). */
  projects: WeeklySummary['projects'];
  otherProjects: Totals;
  attribution: WeeklyAttribution;
}

/** Rebuilds a row from its integer sums: fixed key order whatever the file had, and consistent null rules. */
const norm = (t: Totals): Totals => toTotals(tallyFromTotals(t));

/**
 * Names are cleaned of control characters here, at the edge, so no later step (sorting, dedupe,
 * any output) ever sees an escape sequence a teammate's file carried.
 */
export function entryOf(s: WeeklySummary, file: string): Entry {
  const clean = (x: string) => plainText(x) || '(no name)';
  return {
    file: plainText(file),
    developer: clean(s.developer),
    week: s.week.id,
    weekStart: s.week.weekStart,
    start: s.week.start,
    end: s.week.end,
    generatedAt: s.generatedAt,
    complete: s.week.complete,
    priceTableVersion: s.priceTableVersion === null ? null : plainText(s.priceTableVersion),
    totals: norm(s.totals),
    routes: { cloud: norm(s.routes.cloud), local: norm(s.routes.local) },
    previous: norm(s.previousWeek),
    budget: s.budget,
    budgetActions: cleanBudgetActions(s.budgetActions),
    agents: s.agents.map((a) => ({ agent: clean(a.agent), ...norm(a) })),
    models: s.models.map((m) => ({ model: clean(m.model), ...norm(m) })),
    unpricedModels: s.unpricedModels.map((u) => ({ model: clean(u.model), interactions: u.interactions })),
    ...attributionEntry(s, clean),
  };
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
  /** Who hit a budget cap this week and what the gateway did; absent when nobody's did. */
  budgetCaps?: MemberBudgetActions[];
  /** Every week found, oldest first, each developer counted once. */
  history: ({ week: string; developers: number } & Totals)[];
  duplicates: Duplicate[];
  rejected: Problem[];
  unpricedModels: { model: string; interactions: number }[];
  priceTableVersions: string[];
  weekStarts: string[];
  attribution: TeamAttribution;
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
    const last = g[g.length - 1]!; // a group holds at least the entry that made it
    kept.push(last);
    if (g.length > 1)
      duplicates.push({ developer: last.developer, week: last.week, kept: last.file, ignored: g.slice(0, -1).map((e) => e.file) });
  }
  duplicates.sort((a, b) => compareWeekIds(a.week, b.week) || compareKeys(a.developer, b.developer));
  return { kept, duplicates };
}

/**
 * Team sums must stay exact past 2^53 (about $9 million in nano-dollars, which a large team's week
 * can pass), where Number sums start to round. Every addend is an exact integer below 2^50 (the
 * schema caps a row at $1,000,000 = 10^15 nano-dollars and 10^12 per count), so a Number running
 * sum is exact as long as it is carried into a BigInt before it reaches 2^52; BigInt arithmetic
 * on every addition would be ten times slower. Converted to a decimal only once, when emitted.
 */
const CARRY = 2 ** 52;
const TALLY_KEYS = Object.keys(emptyTally()) as (keyof Tally)[];
interface Sum {
  t: Tally;
  carried: Partial<Record<keyof Tally, bigint>> | null;
}
const emptySum = (): Sum => ({ t: emptyTally(), carried: null });

function addSum(s: Sum, row: Totals): Sum {
  const t = addTally(s.t, tallyFromTotals(row));
  // Before the addition every field was below 2^52 and each addend is below 2^50: still exact.
  if (
    t.costNanos >= CARRY ||
    t.avoidedNanos >= CARRY ||
    t.input >= CARRY ||
    t.output >= CARRY ||
    t.cacheRead >= CARRY ||
    t.cacheWrite >= CARRY ||
    t.reasoning >= CARRY ||
    t.interactions >= CARRY ||
    t.unpriced >= CARRY ||
    t.estimated >= CARRY
  ) {
    const c = (s.carried ??= {});
    for (const k of TALLY_KEYS) {
      c[k] = (c[k] ?? 0n) + BigInt(t[k]);
      t[k] = 0;
    }
  }
  return s;
}

const exact = (s: Sum, k: keyof Tally): bigint => BigInt(s.t[k]) + (s.carried?.[k] ?? 0n);

/** USD from exact nano-dollars: the decimal is built from integer digits, so no product can round. */
const usdOfNanos = (n: bigint) => Number(`${n / 1_000_000_000n}.${(n % 1_000_000_000n).toString().padStart(9, '0')}`);

function totalsOfSum(s: Sum): Totals {
  if (s.carried === null) return toTotals(s.t);
  const n = (k: keyof Tally) => Number(exact(s, k));
  const interactions = exact(s, 'interactions');
  return {
    costUSD: interactions > 0n && exact(s, 'unpriced') === interactions ? null : usdOfNanos(exact(s, 'costNanos')),
    avoidedUSD: exact(s, 'local') > 0n && exact(s, 'localPriced') === 0n ? null : usdOfNanos(exact(s, 'avoidedNanos')),
    inputTokens: n('input'),
    outputTokens: n('output'),
    cacheReadTokens: n('cacheRead'),
    cacheWriteTokens: n('cacheWrite'),
    reasoningTokens: n('reasoning'),
    interactions: Number(interactions),
    unpricedInteractions: n('unpriced'),
    estimatedInteractions: n('estimated'),
  };
}

const cmpBig = (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0);

/** Sums rows by name across developers, counting in how many summaries each name appears; most expensive first. */
function groupNamed(lists: [string, Totals][][]): { name: string; developers: number; totals: Totals }[] {
  const m = new Map<string, { s: Sum; devs: number }>();
  for (const list of lists) {
    for (const [name, row] of list) {
      let g = m.get(name);
      if (!g) m.set(name, (g = { s: emptySum(), devs: 0 }));
      addSum(g.s, row);
      g.devs++;
    }
  }
  return [...m.entries()]
    .map(([name, g]) => ({ name, g, cost: exact(g.s, 'costNanos'), n: exact(g.s, 'interactions') }))
    .sort((a, b) => cmpBig(b.cost, a.cost) || cmpBig(b.n, a.n) || compareKeys(a.name, b.name))
    .map(({ name, g }) => ({ name, developers: g.devs, totals: totalsOfSum(g.s) }));
}

const sumTotals = (rows: Totals[]) => totalsOfSum(rows.reduce(addSum, emptySum()));

/** The latest local date anywhere on Earth at `now` (UTC+14), so no zone's current week counts as future. */
const latestDay = (now: number) => new Date(now + 14 * 3600_000).toISOString().slice(0, 10);

/**
 * A summary of a week that has not begun anywhere yet cannot be real (a wrong clock, or a file made
 * to sit at the top of the history); it is rejected, so it is neither the default week nor in the
 * history. Saturday is the earliest day a week with a given id can start.
 */
export function splitFuture(entries: Entry[], now: number): { current: Entry[]; future: Problem[] } {
  const today = latestDay(now);
  const current: Entry[] = [];
  const future: Problem[] = [];
  const begun = new Map<string, boolean>();
  for (const e of entries) {
    let ok = begun.get(e.week);
    if (ok === undefined) begun.set(e.week, (ok = weekById(e.week, 'saturday').start <= today));
    if (ok) current.push(e);
    else
      future.push({
        file: e.file,
        problem:
          `week ${e.week} has not begun yet (it is ${today} at the latest anywhere): a summary cannot` +
          ` come from the future; check the clock of the computer that made it`,
      });
  }
  return { current, future };
}

/**
 * Merges entries into the report for one week: `week` when given, else the latest week present
 * that has begun (summaries of weeks in the future are rejected, see splitFuture).
 * Returns null when there is no entry for that week.
 */
export function mergeTeam(entries: Entry[], rejected: Problem[], opts: { week?: string; now: number }): TeamReport | null {
  const { current: present, future } = splitFuture(entries, opts.now);
  const { kept, duplicates } = dedupe(present);
  const byWeek = new Map<string, Entry[]>();
  for (const e of kept) {
    const list = byWeek.get(e.week);
    if (list) list.push(e);
    else byWeek.set(e.week, [e]);
  }
  const weeks = [...byWeek.keys()].sort(compareWeekIds);
  const weekId = opts.week ?? weeks[weeks.length - 1];
  if (weekId === undefined) return null;
  const current = byWeek.get(weekId) ?? [];
  if (current.length === 0) return null;

  const members: TeamMember[] = current
    .map((e): TeamMember => ({
      developer: e.developer,
      file: e.file,
      totals: e.totals,
      routes: e.routes,
      previous: e.previous,
      budget: {
        month: e.budget.month,
        monthlyBudgetUSD: e.budget.monthlyBudgetUSD,
        monthToDateUSD: e.budget.monthToDateUSD,
        projectedMonthUSD: e.budget.projectedMonthUSD,
        state: e.budget.state,
      },
      complete: e.complete,
      priceTableVersion: e.priceTableVersion,
    }))
    .map((m) => ({ m, t: tallyFromTotals(m.totals) }))
    .sort((a, b) => byCostDesc([a.m.developer, a.t], [b.m.developer, b.t]))
    .map((x) => x.m);

  const caps = teamBudgetActions(current);
  const byState = (s: BudgetState) => members.filter((m) => m.budget.state === s).map((m) => m.developer);
  const unpriced = new Map<string, number>();
  for (const e of current) for (const u of e.unpricedModels) unpriced.set(u.model, (unpriced.get(u.model) ?? 0) + u.interactions);
  const history = weeks.map((w) => {
    const es = byWeek.get(w)!;
    return { week: w, developers: es.length, ...sumTotals(es.map((e) => e.totals)) };
  });
  // The week's dates as most of its summaries have them (developers may start weeks on different days).
  const starts = new Map<string, number>();
  for (const e of current) starts.set(e.weekStart, (starts.get(e.weekStart) ?? 0) + 1);
  const common = [...starts.entries()].sort((a, b) => b[1] - a[1] || compareKeys(a[0], b[0]))[0]?.[0] ?? 'monday';
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
    agents: groupNamed(current.map((e) => e.agents.map((a) => [a.agent, a]))).map((g) => ({
      agent: g.name,
      developers: g.developers,
      ...g.totals,
    })),
    models: groupNamed(current.map((e) => e.models.map((x) => [x.model, x]))).map((g) => ({
      model: g.name,
      developers: g.developers,
      ...g.totals,
    })),
    overBudget: byState('over'),
    nearBudget: byState('warning'),
    ...(caps ? { budgetCaps: caps } : {}),
    history,
    duplicates,
    rejected: rejected.concat(future).sort((a, b) => compareKeys(a.file, b.file)),
    unpricedModels: [...unpriced.entries()]
      .sort((a, b) => b[1] - a[1] || compareKeys(a[0], b[0]))
      .map(([model, interactions]) => ({ model, interactions })),
    priceTableVersions: [...new Set(current.map((e) => e.priceTableVersion ?? 'unknown'))].sort(compareKeys),
    weekStarts: [...new Set(current.map((e) => e.weekStart))].sort(compareKeys),
    attribution: teamAttribution(current),
  };
}

// ---- attribution: per project, repository and branch across teammates (the cost of a feature) ----

export interface TeamAttribution {
  /** Summed by name over the teammates' top projects; pseudonymised names stay apart (each has its own secret). */
  projects: ({ project: string | null; developers: number } & Totals)[];
  /** The teammates' projects beyond their own top list, unnamed in their files. */
  otherProjects: Totals;
  /** One row per (repository, branch); null = not recorded (or a version-1 file). */
  branches: ({ repo: string | null; branch: string | null; developers: number } & Totals)[];
  otherBranches: Totals;
  repos: ({ repo: string | null; developers: number } & Totals)[];
  otherRepos: Totals;
}

function attributionEntry(s: WeeklySummary, clean: (x: string) => string): Pick<Entry, 'projects' | 'otherProjects' | 'attribution'> {
  const name = (x: string | null) => (x === null ? null : clean(x));
  const a = s.attribution;
  return {
    projects: s.projects.map((p) => ({ project: name(p.project), ...norm(p) })),
    otherProjects: norm(s.otherProjects),
    attribution: {
      branches: a.branches.map((b) => ({ repo: name(b.repo), branch: name(b.branch), ...norm(b) })),
      otherBranches: { branches: a.otherBranches.branches, ...norm(a.otherBranches) },
      repos: a.repos.map((r) => ({ repo: name(r.repo), ...norm(r) })),
      otherRepos: { repos: a.otherRepos.repos, ...norm(a.otherRepos) },
    },
  };
}

/** Names may hold any character: rows are grouped under the JSON of their key parts. */
function teamAttribution(current: Entry[]): TeamAttribution {
  const key = (...parts: (string | null)[]) => JSON.stringify(parts);
  // Most summaries have no "other" rows: adding their zeros would only slow a merge of many files.
  const sumNonEmpty = (rows: Totals[]) => sumTotals(rows.filter((t) => t.interactions > 0));
  const one = (k: string) => (JSON.parse(k) as [string | null])[0];
  const two = (k: string) => JSON.parse(k) as [string | null, string | null];
  return {
    projects: groupNamed(current.map((e) => e.projects.map((p) => [key(p.project), p]))).map((g) => ({
      project: one(g.name),
      developers: g.developers,
      ...g.totals,
    })),
    otherProjects: sumNonEmpty(current.map((e) => e.otherProjects)),
    branches: groupNamed(current.map((e) => e.attribution.branches.map((b) => [key(b.repo, b.branch), b]))).map((g) => {
      const [repo, branch] = two(g.name);
      return { repo, branch, developers: g.developers, ...g.totals };
    }),
    otherBranches: sumNonEmpty(current.map((e) => e.attribution.otherBranches)),
    repos: groupNamed(current.map((e) => e.attribution.repos.map((r) => [key(r.repo), r]))).map((g) => ({
      repo: one(g.name),
      developers: g.developers,
      ...g.totals,
    })),
    otherRepos: sumNonEmpty(current.map((e) => e.attribution.otherRepos)),
  };
}
