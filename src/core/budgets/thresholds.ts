/**
 * Which threshold notifications are due: each budget notifies once per period per threshold, and when
 * several thresholds are crossed at once (a big day: 40 % → 110 %) only the highest is said. What was
 * said is kept by the caller (the extension's global state), so a reload or a second window does not say
 * it again; a new period (a new day, a new month) starts afresh.
 */
import { reached, type BudgetStatus } from './evaluate';

/** Per budget id: the period last notified in and the highest threshold said in it. */
export type NotifiedMemory = Record<string, { period: string; percent: number }>;

export interface ThresholdNotice {
  budget: BudgetStatus;
  /** The threshold crossed, in percent. */
  percent: number;
}

/** The notices due now, and the memory to keep afterwards (a new object; the input is not changed). */
export function dueNotices(
  statuses: readonly BudgetStatus[],
  thresholds: readonly number[],
  memory: unknown,
): { notices: ThresholdNotice[]; memory: NotifiedMemory } {
  const before = cleanMemory(memory);
  const after: NotifiedMemory = {};
  const notices: ThresholdNotice[] = [];
  for (const b of statuses) {
    const prev = before[b.id];
    const said = prev?.period === b.period ? prev.percent : 0;
    let highest = 0;
    for (const t of thresholds) if (reached(b, t)) highest = Math.max(highest, t);
    if (highest > said) notices.push({ budget: b, percent: highest });
    const percent = Math.max(highest, said);
    if (percent > 0) after[b.id] = { period: b.period, percent };
    else if (prev?.period === b.period) after[b.id] = prev;
  }
  return { notices, memory: after };
}

/** Stored state comes from disk: anything not in the expected shape is dropped, never trusted. */
function cleanMemory(v: unknown): NotifiedMemory {
  const out: NotifiedMemory = {};
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return out;
  for (const [id, e] of Object.entries(v as Record<string, unknown>)) {
    const o = e as { period?: unknown; percent?: unknown } | null;
    if (o && typeof o.period === 'string' && typeof o.percent === 'number' && Number.isFinite(o.percent))
      out[id] = { period: o.period, percent: o.percent };
  }
  return out;
}
