/**
 * Per-branch and per-repository rows of the weekly summary (schema version 2) and of the team merge:
 * what a feature cost, for one developer and across teammates. Kept apart from summary.ts and team.ts
 * so the rest of the summary stays as it was.
 *
 * A row is keyed by (repository, branch): `main` of two repositories is two features. null stands for
 * "not recorded" (the source did not say, or the file predates attribution), never for a guess.
 */
import type { Interaction } from '../../interaction';
import { addRecord, addTally, byCostDesc, emptyTally, tallyFromTotals, toTotals, type Tally, type Totals } from '../totals';

const DEFAULT_TOP_BRANCHES = 20;
const DEFAULT_TOP_REPOS = 20;

export type BranchRow = { repo: string | null; branch: string | null } & Totals;
export type RepoRow = { repo: string | null } & Totals;

export interface WeeklyAttribution {
  /** The most expensive (repository, branch) pairs, at most DEFAULT_TOP_BRANCHES; the rest in otherBranches. */
  branches: BranchRow[];
  otherBranches: { branches: number } & Totals;
  repos: RepoRow[];
  otherRepos: { repos: number } & Totals;
}

const pairKey = (repo: string | null, branch: string | null) => JSON.stringify([repo, branch]);

function topAndRest<R>(entries: [string, Tally][], top: number, row: (key: string, t: Tally) => R) {
  const sorted = entries.sort(byCostDesc);
  const rest = sorted.slice(top);
  return {
    rows: sorted.slice(0, top).map(([k, t]) => row(k, t)),
    count: rest.length,
    rest: toTotals(rest.reduce((acc, [, t]) => addTally(acc, t), emptyTally())),
  };
}

function fromTallies(pairs: Map<string, Tally>, repos: Map<string, Tally>, top = DEFAULT_TOP_BRANCHES): WeeklyAttribution {
  const b = topAndRest([...pairs], top, (k, t) => {
    const [repo, branch] = JSON.parse(k) as [string | null, string | null];
    return { repo, branch, ...toTotals(t) };
  });
  const r = topAndRest([...repos], DEFAULT_TOP_REPOS, (k, t) => ({ repo: JSON.parse(k) as string | null, ...toTotals(t) }));
  return {
    branches: b.rows,
    otherBranches: { branches: b.count, ...b.rest },
    repos: r.rows,
    otherRepos: { repos: r.count, ...r.rest },
  };
}

/** One developer's week: `rename` (the project pseudonymiser) applies to repositories and branches too. */
export function weeklyAttribution(week: readonly Interaction[], rename: ((name: string) => string) | null): WeeklyAttribution {
  const pairs = new Map<string, Tally>();
  const repos = new Map<string, Tally>();
  const name = (x: string | undefined) => (x === undefined ? null : rename ? rename(x) : x);
  for (const r of week) {
    const repo = name(r.repo);
    const k = pairKey(repo, name(r.branch));
    let t = pairs.get(k);
    if (!t) pairs.set(k, (t = emptyTally()));
    addRecord(t, r);
    const rk = JSON.stringify(repo);
    let u = repos.get(rk);
    if (!u) repos.set(rk, (u = emptyTally()));
    addRecord(u, r);
  }
  return fromTallies(pairs, repos);
}

/** A version-1 file knew no attribution: its whole week is one "not recorded" row, so team totals still add up. */
export function unrecordedAttribution(totals: Totals): WeeklyAttribution {
  const pairs = new Map<string, Tally>();
  const repos = new Map<string, Tally>();
  if (totals.interactions > 0) {
    pairs.set(pairKey(null, null), tallyFromTotals(totals));
    repos.set(JSON.stringify(null), tallyFromTotals(totals));
  }
  return fromTallies(pairs, repos);
}

/** How a (repository, branch) row is named in Markdown and HTML. */
export function branchLabel(repo: string | null, branch: string | null): string {
  if (repo === null && branch === null) return '(branch and repo not recorded)';
  return `${branch ?? '(branch not recorded)'} · ${repo ?? '(repo not recorded)'}`;
}

/** The weekly summary's branch rows, named for a breakdown table, with the rest as one row. */
export function branchBreakdown(a: WeeklyAttribution): ({ name: string } & Totals)[] {
  const rows: ({ name: string } & Totals)[] = a.branches.map((b) => ({ ...b, name: branchLabel(b.repo, b.branch) }));
  if (a.otherBranches.branches > 0) rows.push({ ...a.otherBranches, name: `${a.otherBranches.branches} other branches` });
  return rows;
}
