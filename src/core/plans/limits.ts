/**
 * Plan limits read as they pass: the share of a subscription's usage windows (5 hours, a week) used so
 * far and when each resets, from the two places a vendor says it.
 *
 * - Anthropic answers a subscription's (Claude Pro/Max) requests with "unified" rate-limit headers. Claude
 *   Code 2.1.30 (npm @anthropic-ai/claude-code@2.1.30, cli.js) reads `anthropic-ratelimit-unified-status`
 *   (allowed | allowed_warning | rejected), `-reset` (Unix seconds), `-representative-claim`
 *   (five_hour | seven_day | …) and, per window claim `5h` / `7d`, `-<claim>-utilization` (a fraction:
 *   its warning thresholds are 0.9 and 0.75) and `-<claim>-reset` (Unix seconds). A per-window
 *   `-<claim>-status` is seen in recorded responses; it is read when present.
 * - Codex writes `rate_limits` on its `token_count` events (openai/codex codex-rs/protocol/src/protocol.rs,
 *   TokenCountEvent / RateLimitSnapshot / RateLimitWindow at edb4efee49ae9f130636fab25f2e398a931dd987):
 *   `primary` / `secondary` windows of `used_percent` (0–100), `window_minutes` and `resets_at` (Unix
 *   seconds); older builds wrote `resets_in_seconds` instead, counted from the line's timestamp.
 *
 * Everything here is untrusted input: a field out of range is dropped, a state with no usable field is
 * none at all. The state is small and bounded (at most MAX_WINDOWS windows, short strings, no text
 * from a prompt) and travels on the Interaction it came with as the extra field `rateLimits`, so the
 * ledger keeps the latest state per agent without a store of its own (see README, Plans).
 */

export type LimitSource = 'anthropic-headers' | 'codex-rollout';

export interface LimitWindow {
  /** "5h", "7d", or the window's length in minutes ("90m") when it is neither; "primary"/"secondary" when unknown. */
  key: string;
  /** Share of the window used, in percent (one decimal). */
  usedPercent: number;
  windowMinutes: number | null;
  /** ISO-8601 UTC; null when the vendor did not say. */
  resetsAt: string | null;
  /** The vendor's word for the window (allowed, allowed_warning, rejected), when it gave one. */
  status: string | null;
}

export interface RateLimitState {
  /** When it was observed (ISO-8601 UTC). */
  at: string;
  from: LimitSource;
  /** The account's overall status (Anthropic's unified status), when given. */
  status: string | null;
  /** When the overall limit resets, when given (ISO-8601 UTC). */
  resetsAt: string | null;
  /** The subscription the vendor named (Codex's plan_type), when it did. */
  plan: string | null;
  windows: LimitWindow[];
}

export const MAX_WINDOWS = 4;
/** A reset time further than this from the observation is not believed. */
const MAX_RESET_AHEAD_MS = 60 * 86_400_000;
const MAX_RESET_BEHIND_MS = 86_400_000;
const WORD = /^[a-z][a-z0-9_]{0,31}$/;

const word = (v: unknown): string | null => (typeof v === 'string' && WORD.test(v) ? v : null);

function finite(v: unknown): number | null {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) ? n : null;
}

function percent(v: number | null, max: number): number | null {
  if (v === null || v < 0 || v > max) return null;
  return Math.round(v * 10) / 10;
}

/** Unix seconds (or an instant in ms) as ISO, when plausibly near `atMs`. */
function instant(ms: number | null, atMs: number): string | null {
  if (ms === null || ms < atMs - MAX_RESET_BEHIND_MS || ms > atMs + MAX_RESET_AHEAD_MS) return null;
  return new Date(Math.round(ms / 1000) * 1000).toISOString();
}

const secondsAt = (v: unknown, atMs: number) => {
  const s = finite(v);
  return instant(s === null ? null : s * 1000, atMs);
};

function windowKey(minutes: number | null, fallback: string): string {
  if (minutes === 300) return '5h';
  if (minutes === 10_080) return '7d';
  return minutes === null ? fallback : `${minutes}m`;
}

type HeaderGet = (name: string) => string | undefined;

/** From Anthropic's unified rate-limit response headers; null when there are none. */
export function fromAnthropicHeaders(get: HeaderGet, atMs: number): RateLimitState | null {
  const p = 'anthropic-ratelimit-unified-';
  const windows: LimitWindow[] = [];
  for (const [claim, minutes] of [
    ['5h', 300],
    ['7d', 10_080],
  ] as const) {
    const f = finite(get(`${p}${claim}-utilization`));
    if (f === null || f < 0 || f > 10) continue;
    windows.push({
      key: claim,
      usedPercent: Math.round(f * 1000) / 10,
      windowMinutes: minutes,
      resetsAt: secondsAt(get(`${p}${claim}-reset`), atMs),
      status: word(get(`${p}${claim}-status`)),
    });
  }
  const status = word(get(`${p}status`));
  if (windows.length === 0 && status === null) return null;
  return {
    at: new Date(atMs).toISOString(),
    from: 'anthropic-headers',
    status,
    resetsAt: secondsAt(get(`${p}reset`), atMs),
    plan: null,
    windows,
  };
}

/** From a Codex token_count event's `rate_limits`; null when it carries no usable window. */
export function fromCodexRateLimits(v: unknown, atMs: number): RateLimitState | null {
  if (typeof v !== 'object' || v === null) return null;
  const o = v as Record<string, unknown>;
  const windows: LimitWindow[] = [];
  for (const name of ['primary', 'secondary'] as const) {
    const w = o[name];
    if (typeof w !== 'object' || w === null) continue;
    const x = w as Record<string, unknown>;
    const used = percent(finite(x.used_percent), 1000);
    if (used === null) continue;
    const m = finite(x.window_minutes);
    const minutes = m !== null && Number.isInteger(m) && m > 0 && m <= 1_000_000 ? m : null;
    const inSeconds = finite(x.resets_in_seconds);
    const resetsAt =
      x.resets_at !== undefined && x.resets_at !== null
        ? secondsAt(x.resets_at, atMs)
        : inSeconds !== null && inSeconds >= 0
          ? instant(atMs + inSeconds * 1000, atMs)
          : null;
    windows.push({ key: windowKey(minutes, name), usedPercent: used, windowMinutes: minutes, resetsAt, status: null });
  }
  if (windows.length === 0) return null;
  return { at: new Date(atMs).toISOString(), from: 'codex-rollout', status: null, resetsAt: null, plan: word(o.plan_type), windows };
}

/** A state read back from the ledger (an extra field, so untrusted): checked field by field; null when not a state. */
export function readRateLimits(v: unknown): RateLimitState | null {
  if (typeof v !== 'object' || v === null) return null;
  const o = v as Record<string, unknown>;
  const atMs = typeof o.at === 'string' ? Date.parse(o.at) : NaN;
  if (!Number.isFinite(atMs)) return null;
  if (o.from !== 'anthropic-headers' && o.from !== 'codex-rollout') return null;
  const iso = (x: unknown) => (typeof x === 'string' ? instant(Date.parse(x), atMs) : null);
  const windows: LimitWindow[] = [];
  for (const w of Array.isArray(o.windows) ? o.windows.slice(0, MAX_WINDOWS) : []) {
    if (typeof w !== 'object' || w === null) continue;
    const x = w as Record<string, unknown>;
    const used = percent(finite(x.usedPercent), 1000);
    const key = typeof x.key === 'string' && /^[a-z0-9]{1,12}$/.test(x.key) ? x.key : null;
    if (used === null || key === null || typeof x.usedPercent !== 'number') continue;
    const m = x.windowMinutes;
    const minutes = typeof m === 'number' && Number.isInteger(m) && m > 0 && m <= 1_000_000 ? m : null;
    windows.push({ key, usedPercent: used, windowMinutes: minutes, resetsAt: iso(x.resetsAt), status: word(x.status) });
  }
  const status = word(o.status);
  if (windows.length === 0 && status === null) return null;
  return { at: new Date(atMs).toISOString(), from: o.from, status, resetsAt: iso(o.resetsAt), plan: word(o.plan), windows };
}

/** Whether two states say the same (ignoring when they were seen): an unchanged state need not be written again. */
function sameLimits(a: RateLimitState | null, b: RateLimitState | null): boolean {
  if (!a || !b) return a === b;
  const { at: _a, ...ra } = a;
  const { at: _b, ...rb } = b;
  return JSON.stringify(ra) === JSON.stringify(rb);
}

/** An unchanged state is written again after this long, so the latest record keeps saying it is current. */
const REWRITE_AFTER_MS = 10 * 60_000;

/**
 * Decides whether an Interaction carries `next`: when it differs from the last state attached for the
 * same agent, or that one is older than REWRITE_AFTER_MS. Keeps the ledger from repeating the same state.
 */
export function shouldAttach(last: RateLimitState | null, next: RateLimitState): boolean {
  if (!last || !sameLimits(last, next)) return true;
  return Date.parse(next.at) - Date.parse(last.at) >= REWRITE_AFTER_MS;
}
