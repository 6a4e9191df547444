/**
 * What a person sees of plan limits: the latest state per agent (from the ledger's records), the short
 * status bar text ("5 h: 42 % · resets 16:40"), the tooltip's rows and the CLI's lines. Pure: the caller
 * passes the records, the instant and the time zone.
 */
import { localDay, localDateTime } from '../time';
import { readRateLimits, type LimitWindow, type RateLimitState } from './limits';
import { planOf, type PlanSettings } from './plans';

/** A state older than this is not shown: the usage it describes has moved on. */
export const LIMITS_FRESH_MS = 5 * 3_600_000;

export interface AgentLimits {
  agent: string;
  state: RateLimitState;
  /** The windows still running at `now` (a window past its reset says nothing about the new one). */
  windows: LimitWindow[];
}

/** The newest rate-limit state each agent's records carry, seen within LIMITS_FRESH_MS of `now`. */
export function latestLimits(records: Iterable<{ agent: string; at: string; rateLimits?: unknown }>, now: number): AgentLimits[] {
  const best = new Map<string, RateLimitState>();
  const cutoff = new Date(now - LIMITS_FRESH_MS).toISOString();
  for (const r of records) {
    const raw = r.rateLimits;
    if (raw === undefined || r.at < cutoff) continue;
    const s = readRateLimits(raw);
    if (!s || Date.parse(s.at) > now + 60_000 || Date.parse(s.at) < now - LIMITS_FRESH_MS) continue;
    const had = best.get(r.agent);
    if (!had || s.at >= had.at) best.set(r.agent, s);
  }
  return [...best]
    .map(([agent, state]) => ({ agent, state, windows: state.windows.filter((w) => !w.resetsAt || Date.parse(w.resetsAt) > now) }))
    .filter((a) => a.windows.length > 0 || a.state.status === 'rejected')
    .sort((a, b) => a.agent.localeCompare(b.agent));
}

/** An ISO instant as toISOString() writes it: ordered as text exactly as in time. */
const CANONICAL = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * The first instant after `now` from which latestLimits(records, t) may differ from latestLimits(records, now) by
 * the clock alone (Infinity: never), for the same records; null when that cannot be told (a record's time not
 * written as toISOString() writes it, which latestLimits compares as text). Each of its tests flips once: a record
 * or a state grows stale (LIMITS_FRESH_MS after it), a state from a clock ahead of this one comes within its minute,
 * a window resets.
 */
export function limitsChangeAfter(records: Iterable<{ at: string; rateLimits?: unknown }>, now: number): number | null {
  let next = Infinity;
  const after = (t: number) => {
    if (t > now && t < next) next = t;
  };
  for (const r of records) {
    if (r.rateLimits === undefined) continue;
    if (!CANONICAL.test(r.at)) return null;
    // r.at < cutoff(t) from the first t with Date.parse(r.at) < t - LIMITS_FRESH_MS.
    after(Date.parse(r.at) + LIMITS_FRESH_MS + 1);
    const s = readRateLimits(r.rateLimits);
    if (!s) continue;
    const at = Date.parse(s.at);
    after(at - 60_000);
    after(at + LIMITS_FRESH_MS + 1);
    for (const w of s.windows) if (w.resetsAt) after(Date.parse(w.resetsAt));
  }
  return next;
}

const WINDOW_NAMES: Record<string, string> = { '5h': '5 h', '7d': 'week' };

function windowName(w: LimitWindow): string {
  const named = WINDOW_NAMES[w.key];
  if (named) return named;
  const m = w.windowMinutes;
  if (m === null) return w.key;
  return m % 1440 === 0 ? `${m / 1440} d` : m % 60 === 0 ? `${m / 60} h` : `${m} min`;
}

/** "16:40" today, "Thu 16:40" another day (in the given zone). */
export function resetTime(iso: string, now: number, timeZone: string): string {
  const ms = Date.parse(iso);
  const hm = localDateTime(ms, timeZone).slice(11);
  if (localDay(ms, timeZone) === localDay(now, timeZone)) return hm;
  const day = new Intl.DateTimeFormat('en-US', { weekday: 'short', timeZone }).format(ms);
  return `${day} ${hm}`;
}

const pct = (n: number) => `${Number.isInteger(n) ? n : n.toFixed(1)} %`;

function phrase(w: LimitWindow, now: number, timeZone: string): string {
  return `${windowName(w)}: ${pct(w.usedPercent)}${w.resetsAt ? ` · resets ${resetTime(w.resetsAt, now, timeZone)}` : ''}`;
}

/**
 * The status bar's few words: the most used window of any agent ("5 h: 42 % · resets 16:40"), or that a
 * limit was reached. Null when nothing recent is known.
 */
export function limitsStatusText(limits: readonly AgentLimits[], now: number, timeZone: string): string | null {
  const rejected = limits.find((a) => a.state.status === 'rejected');
  if (rejected) {
    const at = rejected.state.resetsAt ?? rejected.windows.find((w) => w.resetsAt)?.resetsAt ?? null;
    return `limit reached${at ? ` · resets ${resetTime(at, now, timeZone)}` : ''}`;
  }
  let top: LimitWindow | null = null;
  for (const a of limits) for (const w of a.windows) if (!top || w.usedPercent > top.usedPercent) top = w;
  return top ? phrase(top, now, timeZone) : null;
}

const esc = (s: string) => s.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, (c) => `\\${c}`);

/** The tooltip's section: one row per agent and window, with its plan when one is set. Null when nothing is known. */
export function limitsTooltipSection(limits: readonly AgentLimits[], plans: PlanSettings, now: number, timeZone: string): string | null {
  if (limits.length === 0) return null;
  const rows = [
    '**Plan limits** (read from the vendors\u2019 answers as they passed)',
    '',
    '| Agent | Window | Used | Resets |',
    '|---|---|---:|---|',
  ];
  for (const a of limits) {
    const plan = planOf(plans[a.agent])?.label ?? (a.state.plan ? `plan: ${a.state.plan}` : null);
    const who = esc(plan ? `${a.agent} (${plan})` : a.agent);
    if (a.windows.length === 0)
      rows.push(`| ${who} | | limit reached | ${a.state.resetsAt ? resetTime(a.state.resetsAt, now, timeZone) : ''} |`);
    for (const w of a.windows)
      rows.push(
        `| ${who} | ${esc(windowName(w))} | ${esc(pct(w.usedPercent))}${w.status === 'rejected' ? ' (reached)' : ''}` +
          ` | ${w.resetsAt ? resetTime(w.resetsAt, now, timeZone) : ''} |`,
      );
  }
  return rows.join('\n');
}

/** Plain lines for `unmetered status`. */
export function limitsLines(limits: readonly AgentLimits[], plans: PlanSettings, now: number, timeZone: string): string[] {
  const out: string[] = [];
  for (const a of limits) {
    const plan = planOf(plans[a.agent])?.label ?? (a.state.plan ? `plan: ${a.state.plan}` : null);
    const who = plan ? `${a.agent} (${plan})` : a.agent;
    const parts = a.windows.map((w) => phrase(w, now, timeZone));
    if (a.state.status === 'rejected') parts.unshift('limit reached');
    out.push(`  ${who}: ${parts.join('; ')}  (seen ${resetTime(a.state.at, now, timeZone)})`);
  }
  return out;
}
