/**
 * Every view of report/views.ts's buildView (daily, weekly, monthly, session, project, branch, repo) from
 * aggregate entries instead of records: the same rows, totals and JSON shape, with a cell's sums added
 * where buildView adds one record. test/aggregate checks the two agree on the same ledger.
 */
import { addDays, localDay } from '../time';
import {
  attributionKey,
  lastPeriodsSince,
  periodOf,
  stateOf,
  unnamedSessionKey,
  type PeriodView,
  type ViewJson,
  type ViewKind,
  type ViewOptions,
  type ViewRow,
} from '../report/views';
import { addTally, byCostDesc, compareKeys, emptyTally, toTotals, type Tally } from '../report/totals';
import { weekOf, type WeekStart } from '../report/week';
import { addCellTo } from '../ledger/rollup';
import type { Entry } from './entries';

interface Group {
  tally: Tally;
  firstAt: string;
  lastAt: string;
  agents: Set<string>;
  projects: Set<string>;
  repos: Set<string>;
  branches: Set<string>;
  models: Map<string, Tally>;
  byAgent: Map<string, Tally>;
  sessionKnown: boolean;
}

/** The views entries answer exactly: a cell lies within one local day, project, repository, branch and named session. */
export type AggregateView = ViewKind;

/** Adds an entry's sums to the tally of `key` (made on first use). */
export function bump(m: Map<string, Tally>, key: string, e: Pick<Entry, 'sums'>): void {
  let t = m.get(key);
  if (!t) m.set(key, (t = emptyTally()));
  addCellTo(t, e);
}

export function aggregateViewOf(entries: readonly Entry[], o: ViewOptions & { kind: AggregateView }): ViewJson {
  const today = localDay(o.now, o.timeZone);
  const kind = o.kind;
  const isPeriod = kind === 'daily' || kind === 'weekly' || kind === 'monthly';
  const since = isPeriod && o.last !== undefined ? lastPeriodsSince(kind, o.last, today, o.weekStart) : o.since;
  const groups = new Map<string, Group>();
  for (const e of entries) {
    if (o.agent !== undefined && e.agent !== o.agent) continue;
    if (o.project !== undefined && e.project !== o.project) continue;
    if (o.repo !== undefined && e.repo !== o.repo) continue;
    if ((since && e.day < since) || (o.until && e.day > o.until)) continue;
    const key = isPeriod
      ? periodOf(kind, e.day, o.weekStart)
      : kind === 'project'
        ? (e.project ?? '(no project)')
        : kind === 'session'
          ? (e.session ?? unnamedSessionKey(e.agent, e.project, e.day))
          : attributionKey(kind, e);
    let g = groups.get(key);
    if (!g) {
      g = {
        tally: emptyTally(),
        firstAt: e.firstAt,
        lastAt: e.lastAt,
        agents: new Set(),
        projects: new Set(),
        repos: new Set(),
        branches: new Set(),
        models: new Map(),
        byAgent: new Map(),
        sessionKnown: true,
      };
      groups.set(key, g);
    }
    addCellTo(g.tally, e);
    if (e.firstAt < g.firstAt) g.firstAt = e.firstAt;
    if (e.lastAt > g.lastAt) g.lastAt = e.lastAt;
    g.agents.add(e.agent);
    if (e.project !== null) g.projects.add(e.project);
    if (e.repo !== null) g.repos.add(e.repo);
    if (e.branch !== null) g.branches.add(e.branch);
    g.sessionKnown = e.session !== null;
    bump(g.models, e.model, e);
    // Per agent only for a breakdown; the total is the groups' sum (integers: the same in any order). A run
    // that ends in milliseconds adds in the interpreter, where each sum past 2^31 is a new heap number.
    if (o.breakdown) bump(g.byAgent, e.agent, e);
  }
  const total = emptyTally();
  for (const g of groups.values()) addTally(total, g.tally);
  let rows = [...groups].map(([key, g]) => toRow(kind, key, g, today, !!o.breakdown, o.weekStart ?? 'monday'));
  // As buildView: periods in time order, the others by their last activity.
  rows.sort((a, b) => (isPeriod ? 0 : compareKeys(a.lastAt, b.lastAt)) || compareKeys(a.key, b.key));
  if (!isPeriod && o.last !== undefined) rows = rows.slice(-o.last);
  if (o.order === 'desc') rows.reverse();
  return {
    view: kind,
    since: since ?? null,
    until: o.until ?? null,
    rangeState: since && since > today ? 'future' : o.until && o.until < today ? 'complete' : 'in progress',
    timeZone: o.timeZone,
    priceTable: o.priceTable,
    rows,
    // --last on a view that is not of periods drops rows: the totals are those of the rows shown.
    totals:
      !isPeriod && o.last !== undefined
        ? toTotals(rows.reduce((t, r) => addTally(t, groups.get(r.key)!.tally), emptyTally()))
        : toTotals(total),
  };
}

function lastDayOf(kind: PeriodView, key: string): string {
  if (kind === 'daily') return key;
  if (kind === 'weekly') return addDays(key, 6);
  const [y, m] = key.split('-').map(Number);
  const next = m === 12 ? `${String(y! + 1).padStart(4, '0')}-01-01` : `${key.slice(0, 4)}-${String(m! + 1).padStart(2, '0')}-01`;
  return addDays(next, -1);
}

function toRow(kind: AggregateView, key: string, g: Group, today: string, breakdown: boolean, weekStart: WeekStart): ViewRow {
  const row: ViewRow = {
    key,
    label: kind === 'weekly' ? weekOf(key, weekStart).id : key,
    ...toTotals(g.tally),
    firstAt: g.firstAt,
    lastAt: g.lastAt,
    agents: [...g.agents].sort(compareKeys),
    models: [...g.models].sort(byCostDesc).map(([m]) => m),
  };
  const sorted = (s: Set<string>) => [...s].sort(compareKeys);
  if (kind === 'daily' || kind === 'weekly' || kind === 'monthly')
    row.state = stateOf(kind === 'monthly' ? `${key}-01` : key, lastDayOf(kind, key), today);
  else row.projects = sorted(g.projects);
  if (kind === 'session') row.sessionKnown = g.sessionKnown;
  if (kind === 'branch') row.repos = sorted(g.repos);
  if (kind === 'repo') row.branches = sorted(g.branches);
  if (breakdown) {
    row.breakdown = {
      models: [...g.models].sort(byCostDesc).map(([model, t]) => ({ model, ...toTotals(t) })),
      agents: [...g.byAgent].sort(byCostDesc).map(([agent, t]) => ({ agent, ...toTotals(t) })),
    };
  }
  return row;
}
