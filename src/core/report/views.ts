/**
 * The ccusage-style views (daily, weekly, monthly, session, project): the ledger's records grouped
 * into rows of Totals, optionally broken down by model and by agent. Pure: "now" is an argument,
 * so a row's state (complete, in progress, in the future) is reproducible.
 */
import { namedSession } from '../sessionId';
import type { Interaction } from '../interaction';
import { addDays, dayOfIso, dayParts, localDay } from '../time';
import { byCostDesc, compareKeys, emptyTally, addRecord, addTally, toTotals, type Tally, type Totals } from './totals';
import { weekOf, type WeekStart } from './week';

export type PeriodView = 'daily' | 'weekly' | 'monthly';
export type ViewKind = PeriodView | 'session' | 'project' | AttributionView;
export const VIEW_KINDS: readonly ViewKind[] = ['daily', 'weekly', 'monthly', 'session', 'project', 'branch', 'repo'];

/** Views keyed by what a record's source said of its checkout (Interaction.branch / .repo). */
export type AttributionView = 'branch' | 'repo';
/** The rows of records whose source did not say: never folded into a guessed branch or repository. */
const BRANCH_NOT_RECORDED = '(branch not recorded)';
const REPO_NOT_RECORDED = '(repo not recorded)';

/** A record's key in an attribution view. Git refuses spaces in branch names, so no branch can collide with these. */
export function attributionKey(kind: AttributionView, r: { branch?: string | null; repo?: string | null }): string {
  return kind === 'branch' ? (r.branch ?? BRANCH_NOT_RECORDED) : (r.repo ?? REPO_NOT_RECORDED);
}
export type Order = 'asc' | 'desc';

export interface ViewOptions {
  kind: ViewKind;
  timeZone: string;
  /** Inclusive local days 'YYYY-MM-DD'. */
  since?: string;
  until?: string;
  /** Only the N most recent periods (daily/weekly/monthly: ending with the current one; session/project: by last activity). */
  last?: number;
  order?: Order;
  project?: string;
  agent?: string;
  /** Only records of this repository (as `host/owner/name`). */
  repo?: string;
  breakdown?: boolean;
  weekStart?: WeekStart;
  /** Epoch ms: decides the current period, and which periods are in progress or in the future. */
  now: number;
  priceTable: string;
}

export type PeriodState = 'complete' | 'in progress' | 'future';

export interface ViewRow extends Totals {
  /** The row's key: a day, a week's first day, a month 'YYYY-MM', a session key, a project name. */
  key: string;
  /** What a reader calls it: the same as key, or e.g. "2026-W47" for a week. */
  label: string;
  firstAt: string;
  lastAt: string;
  /** Periods only: whether the period has ended at `now`. */
  state?: PeriodState;
  /** Session, project, branch and repo rows: the project(s) and agent(s) seen. */
  projects?: string[];
  /** Branch rows: the repositories the branch was recorded in (one branch name can live in several). */
  repos?: string[];
  /** Repo rows: the branches recorded in it. */
  branches?: string[];
  agents: string[];
  models: string[];
  /** Session rows: false when the agent's records carry no session id (see sessionOf). */
  sessionKnown?: boolean;
  breakdown?: { models: ({ model: string } & Totals)[]; agents: ({ agent: string } & Totals)[] };
}

export interface ViewJson {
  view: ViewKind;
  since: string | null;
  until: string | null;
  /** The range relative to now: 'future' when it starts after today. */
  rangeState: PeriodState;
  timeZone: string;
  priceTable: string;
  rows: ViewRow[];
  totals: Totals;
}

/**
 * The session a record belongs to, from its id (the ledger keeps no session field):
 * - codex:<rollout>:<ms>:<key>, gemini-cli:<session>:<id>, cline|roo-code:<task>:<ts>,
 *   claude-code:<sessionId>:<uuid> (Claude Code lines without a message id): the id's second part;
 * - anthropic:<message id> / openai:<id> (Claude Code lines with a message id), and whatever the
 *   gateway, the editor chat or telemetry recorded: the id names the API response, not the session, so
 *   the record falls in "<agent> · <project> · <local day>".
 */
export function sessionOf(r: Interaction, day: string): { key: string; known: boolean } {
  const key = namedSession(r);
  return key !== null ? { key, known: true } : { key: unnamedSessionKey(r.agent, r.project, day), known: false };
}

/** The row of the records whose ids name no session: "<agent> · <project> · <local day>". */
export const unnamedSessionKey = (agent: string, project: string | null, day: string) => `${agent} · ${project ?? '(no project)'} · ${day}`;

interface Group {
  tally: Tally;
  firstAt: string;
  lastAt: string;
  projects: Set<string>;
  repos: Set<string>;
  branches: Set<string>;
  agents: Set<string>;
  models: Map<string, Tally>;
  byAgent: Map<string, Tally>;
  sessionKnown: boolean;
}

function newGroup(at: string): Group {
  return {
    tally: emptyTally(),
    firstAt: at,
    lastAt: at,
    projects: new Set(),
    repos: new Set(),
    branches: new Set(),
    agents: new Set(),
    models: new Map(),
    byAgent: new Map(),
    sessionKnown: true,
  };
}

function bump(m: Map<string, Tally>, key: string, r: Interaction): void {
  let t = m.get(key);
  if (!t) m.set(key, (t = emptyTally()));
  addRecord(t, r);
}

/** The key of a period containing a local day. */
export function periodOf(kind: PeriodView, day: string, weekStart: WeekStart = 'monday'): string {
  if (kind === 'daily') return day;
  if (kind === 'monthly') return day.slice(0, 7);
  return weekOf(day, weekStart).start;
}

function periodBounds(kind: PeriodView, key: string): { first: string; last: string } {
  if (kind === 'daily') return { first: key, last: key };
  if (kind === 'weekly') return { first: key, last: addDays(key, 6) };
  const first = `${key}-01`;
  return { first, last: addDays(periodStartAfter('monthly', key), -1) };
}

/** The first day of the period after (n = 1) or before (n = -1) a period key. */
function periodStartAfter(kind: PeriodView, key: string, n = 1): string {
  if (kind === 'daily') return addDays(key, n);
  if (kind === 'weekly') return addDays(key, 7 * n);
  const [y, m] = dayParts(key);
  const t = y * 12 + (m - 1) + n;
  return `${String(Math.floor(t / 12)).padStart(4, '0')}-${String((t % 12) + 1).padStart(2, '0')}-01`;
}

export function stateOf(first: string, last: string, today: string): PeriodState {
  if (first > today) return 'future';
  return last < today ? 'complete' : 'in progress';
}

/** The first local day of the N most recent periods of a kind, ending with the one holding today. */
export function lastPeriodsSince(kind: PeriodView, n: number, today: string, weekStart: WeekStart = 'monday'): string {
  const current = kind === 'monthly' ? `${today.slice(0, 7)}-01` : periodOf(kind, today, weekStart);
  return periodStartAfter(kind, kind === 'monthly' ? current.slice(0, 7) : current, -(n - 1));
}

function labelOf(kind: ViewKind, key: string, weekStart: WeekStart): string {
  return kind === 'weekly' ? weekOf(key, weekStart).id : key;
}

export function buildView(records: Iterable<Interaction>, o: ViewOptions): ViewJson {
  const dayOf = dayOfIso(o.timeZone);
  const today = localDay(o.now, o.timeZone);
  const kind = o.kind;
  const isPeriod = kind === 'daily' || kind === 'weekly' || kind === 'monthly';
  const since = isPeriod && o.last !== undefined ? lastPeriodsSince(kind, o.last, today, o.weekStart) : o.since;
  const groups = new Map<string, Group>();
  const total = emptyTally();
  for (const r of records) {
    if (o.agent !== undefined && r.agent !== o.agent) continue;
    if (o.project !== undefined && r.project !== o.project) continue;
    if (o.repo !== undefined && r.repo !== o.repo) continue;
    const day = dayOf(r.at);
    if ((since && day < since) || (o.until && day > o.until)) continue;
    let key: string;
    let known = true;
    if (isPeriod) key = periodOf(kind, day, o.weekStart);
    else if (kind === 'project') key = r.project ?? '(no project)';
    else if (kind === 'branch' || kind === 'repo') key = attributionKey(kind, r);
    else ({ key, known } = sessionOf(r, day));
    let g = groups.get(key);
    if (!g) groups.set(key, (g = newGroup(r.at)));
    addRecord(g.tally, r);
    if (r.at < g.firstAt) g.firstAt = r.at;
    if (r.at > g.lastAt) g.lastAt = r.at;
    if (r.project !== null) g.projects.add(r.project);
    if (r.repo !== undefined) g.repos.add(r.repo);
    if (r.branch !== undefined) g.branches.add(r.branch);
    g.agents.add(r.agent);
    bump(g.models, r.model, r);
    bump(g.byAgent, r.agent, r);
    g.sessionKnown = known;
    addRecord(total, r);
  }
  let rows = [...groups].map(([key, g]) => toRow(kind, key, g, today, !!o.breakdown, o.weekStart ?? 'monday'));
  // Time order: periods by their start, sessions and projects by their last activity.
  const timeKey = (r: ViewRow) => (isPeriod ? r.key : r.lastAt);
  rows.sort((a, b) => compareKeys(timeKey(a), timeKey(b)) || compareKeys(a.key, b.key));
  if (!isPeriod && o.last !== undefined) rows = rows.slice(-o.last);
  if (o.order === 'desc') rows.reverse();
  // --last on a non-period view drops rows: the totals are those of the rows shown.
  const totals =
    !isPeriod && o.last !== undefined
      ? toTotals(rows.reduce((t, r) => addTally(t, groups.get(r.key)!.tally), emptyTally()))
      : toTotals(total);
  return {
    view: kind,
    since: since ?? null,
    until: o.until ?? null,
    rangeState: since && since > today ? 'future' : o.until && o.until < today ? 'complete' : 'in progress',
    timeZone: o.timeZone,
    priceTable: o.priceTable,
    rows,
    totals,
  };
}

function toRow(kind: ViewKind, key: string, g: Group, today: string, breakdown: boolean, weekStart: WeekStart): ViewRow {
  const sortKeys = (s: Set<string>) => [...s].sort(compareKeys);
  const row: ViewRow = {
    key,
    label: labelOf(kind, key, weekStart),
    ...toTotals(g.tally),
    firstAt: g.firstAt,
    lastAt: g.lastAt,
    agents: sortKeys(g.agents),
    models: [...g.models].sort(byCostDesc).map(([m]) => m),
  };
  if (kind === 'daily' || kind === 'weekly' || kind === 'monthly') {
    const b = periodBounds(kind, key);
    row.state = stateOf(b.first, b.last, today);
  } else {
    row.projects = sortKeys(g.projects);
  }
  if (kind === 'session') row.sessionKnown = g.sessionKnown;
  if (kind === 'branch') row.repos = sortKeys(g.repos);
  if (kind === 'repo') row.branches = sortKeys(g.branches);
  if (breakdown) {
    row.breakdown = {
      models: [...g.models].sort(byCostDesc).map(([model, t]) => ({ model, ...toTotals(t) })),
      agents: [...g.byAgent].sort(byCostDesc).map(([agent, t]) => ({ agent, ...toTotals(t) })),
    };
  }
  return row;
}
