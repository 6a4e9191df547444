/**
 * The messages between the dashboard page (media/dashboard.ts) and the extension (src/extension/dashboard.ts),
 * typed once for both sides. The page is untrusted from the host's point of view: what it sends is parsed
 * here, and it can only name a command from PAGE_COMMANDS, never run an arbitrary command id. Each side checks
 * what it receives with the parser for it (parsePageMessage in the extension, parseHostMessage in the page).
 */
import type { DashboardModel } from './dashboard';

/** Commands the page may ask for, by a name of its own, and the command each runs. */
export const PAGE_COMMANDS = {
  exportWeekly: 'unmetered.exportWeeklySummary',
  setBudget: 'unmetered.setBudget',
} as const;
export type PageCommand = keyof typeof PAGE_COMMANDS;

/** Page → extension. */
export type PageMessage = { type: 'ready' } | { type: 'command'; command: PageCommand };

/** Extension → page. */
export type HostMessage = { type: 'model'; model: DashboardModel };

export type Period = 'today' | 'week' | 'month';

/** What the page keeps across reloads (VS Code's webview state), and what a restored panel starts from. */
export interface PageState {
  period: Period;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export const isPageCommand = (v: unknown): v is PageCommand => typeof v === 'string' && Object.hasOwn(PAGE_COMMANDS, v);
export const isPeriod = (v: unknown): v is Period => v === 'today' || v === 'week' || v === 'month';

/** A message from the page, or null for anything that is not one of ours. */
export function parsePageMessage(m: unknown): PageMessage | null {
  if (!isObj(m)) return null;
  if (m.type === 'ready') return { type: 'ready' };
  if (m.type === 'command' && isPageCommand(m.command)) return { type: 'command', command: m.command };
  return null;
}

/** The page's saved state, or the default when it is missing or not ours. */
export function parsePageState(s: unknown): PageState {
  const p = isObj(s) ? s.period : undefined;
  return { period: isPeriod(p) ? p : 'month' };
}

/**
 * A message from the extension, or null when it is not one. The page trusts its host, but a model of another
 * shape (an older extension host after an update, a message from something else) must not leave the page
 * half drawn: the frame the page walks is checked, and a message that fails keeps the last good model.
 */
export function parseHostMessage(m: unknown): HostMessage | null {
  if (!isObj(m) || m.type !== 'model' || !isDashboardModel(m.model)) return null;
  return { type: 'model', model: m.model };
}

function isPeriodView(v: unknown): boolean {
  return (
    isObj(v) &&
    typeof v.label === 'string' &&
    isObj(v.totals) &&
    isObj(v.routes) &&
    isObj(v.routes.cloud) &&
    isObj(v.routes.local) &&
    Array.isArray(v.agents) &&
    Array.isArray(v.models)
  );
}

function isDashboardModel(v: unknown): v is DashboardModel {
  if (!isObj(v) || !isObj(v.periods) || !isObj(v.month)) return false;
  const { periods, month } = v;
  return (
    typeof v.today === 'string' &&
    typeof v.timeZone === 'string' &&
    isPeriodView(periods.today) &&
    isPeriodView(periods.week) &&
    isPeriodView(periods.month) &&
    typeof month.id === 'string' &&
    Array.isArray(month.days) &&
    month.days.every(isObj) &&
    Array.isArray(v.recent) &&
    v.recent.every(isObj) &&
    typeof v.recentDays === 'number' &&
    Array.isArray(v.unpricedModels) &&
    (v.plan === undefined || (isObj(v.plan) && Array.isArray(v.plan.rows))) &&
    (v.agentLabels === undefined || isObj(v.agentLabels))
  );
}
