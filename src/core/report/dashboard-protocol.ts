/**
 * The messages between the dashboard page (media/dashboard.ts) and the extension (src/extension/dashboard.ts),
 * typed once for both sides. The page is untrusted from the host's point of view: what it sends is parsed
 * here, and it can only name a command from PAGE_COMMANDS, never run an arbitrary command id.
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

/** What the page keeps across reloads (VS Code's webview state), and what a restored panel starts from. */
export interface PageState {
  period: 'today' | 'week' | 'month';
}

const isPageCommand = (v: unknown): v is PageCommand => typeof v === 'string' && Object.hasOwn(PAGE_COMMANDS, v);

/** A message from the page, or null for anything that is not one of ours. */
export function parsePageMessage(m: unknown): PageMessage | null {
  if (typeof m !== 'object' || m === null) return null;
  const o = m as Record<string, unknown>;
  if (o.type === 'ready') return { type: 'ready' };
  if (o.type === 'command' && isPageCommand(o.command)) return { type: 'command', command: o.command };
  return null;
}

/** The page's saved state, or the default when it is missing or not ours. */
export function parsePageState(s: unknown): PageState {
  const p = typeof s === 'object' && s !== null ? (s as Record<string, unknown>).period : undefined;
  return { period: p === 'today' || p === 'week' || p === 'month' ? p : 'month' };
}
