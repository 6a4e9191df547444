/**
 * One request, stored once, when it is seen in an agent's log, through the gateway and in its telemetry.
 *
 * Copies that share an id are joined by the ledger itself (it keeps one record per id). Telemetry has no
 * id the other sources use: Claude Code's api_request carries the request id (`req_…`) where its log and
 * the gateway key on the message id (`msg_…`); Codex's response.completed event and Gemini CLI's
 * api_response carry no response or message id at all. So, for those agents, the rule is:
 *
 *   A telemetry copy waits `holdMs` after it arrived. It is then dropped if a record of another source
 *   (log or gateway) has the same agent, the same model (ignoring case; "unknown" matches any), the same
 *   token split (input, cache reads, cache writes 5m+1h, output) and a time within `windowMs` of it;
 *   each stored record stands for one telemetry copy only. Otherwise it is recorded.
 *
 * That covers every order within the hold: log or gateway first (found at once), telemetry first and the
 * other copy written within holdMs. A log copy read LATER than holdMs after the telemetry copy (its source
 * was paused, or imported afterwards) is stored as well: the ledger cannot take a record back.
 * Telemetry of agents no other source sees (Copilot Chat) is recorded at once.
 */
import type { Interaction } from '../interaction';
import { silentLogger, systemClock, type Clock, type Logger } from '../ports';
import { fingerprintOf, type OtelInteraction } from './vendors';
import { errorMessage } from '../errors';

export interface JoinOptions {
  /** Everything stored so far (the ledger's view). */
  stored: () => Iterable<Interaction> | Promise<Iterable<Interaction>>;
  /** Stores a batch durably. */
  record: (batch: Interaction[]) => Promise<void>;
  /** How long telemetry of an agent with a log or gateway copy waits for that copy. Default 30 s. */
  holdMs?: number;
  /** How far apart the two copies' times may be. Default 10 minutes. */
  windowMs?: number;
  clock?: Clock;
  logger?: Logger;
}

export interface JoinStats {
  recorded: number;
  joined: number;
  held: number;
}

export interface TelemetryJoin {
  offer(items: readonly OtelInteraction[]): Promise<void>;
  /** Decides every held copy now (at shutdown, and in tests). */
  flush(): Promise<void>;
  stats(): JoinStats;
  dispose(): void;
}

export const DEFAULT_HOLD_MS = 30_000;
export const DEFAULT_WINDOW_MS = 10 * 60_000;

export function telemetryJoin(opts: JoinOptions): TelemetryJoin {
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger ?? silentLogger;
  const holdMs = opts.holdMs ?? DEFAULT_HOLD_MS;
  const windowMs = opts.windowMs ?? DEFAULT_WINDOW_MS;
  let held: { i: Interaction; until: number }[] = [];
  let timer: NodeJS.Timeout | undefined;
  let deciding: Promise<void> = Promise.resolve();
  const stats: JoinStats = { recorded: 0, joined: 0, held: 0 };

  function schedule(): void {
    clearTimeout(timer);
    timer = undefined;
    if (held.length === 0) return;
    const next = Math.min(...held.map((h) => h.until));
    timer = setTimeout(() => void decide(false), Math.max(0, next - clock.now()));
    timer.unref?.();
  }

  function decide(all: boolean): Promise<void> {
    deciding = deciding.then(async () => {
      const now = clock.now();
      const due = all ? held : held.filter((h) => h.until <= now);
      if (due.length === 0) return schedule();
      held = all ? [] : held.filter((h) => h.until > now);
      stats.held = held.length;
      try {
        const keep = await unmatched(
          due.map((d) => d.i),
          await opts.stored(),
          windowMs,
        );
        stats.joined += due.length - keep.length;
        if (keep.length) await opts.record(keep);
        stats.recorded += keep.length;
      } catch (err) {
        logger.error(`telemetry: recording failed: ${errorMessage(err)}`);
      }
      schedule();
    });
    return deciding;
  }

  return {
    async offer(items) {
      const now = clock.now();
      const direct = items.filter((o) => !o.mayBeElsewhere).map((o) => o.interaction);
      for (const o of items) if (o.mayBeElsewhere) held.push({ i: o.interaction, until: now + holdMs });
      stats.held = held.length;
      schedule();
      if (direct.length) {
        await opts.record(direct);
        stats.recorded += direct.length;
      }
    },
    flush: () => decide(true),
    stats: () => ({ ...stats }),
    dispose() {
      clearTimeout(timer);
    },
  };
}

function keyOf(i: Interaction): string {
  return `${i.agent}|${fingerprintOf(i.tokens)}`;
}

/** The telemetry copies no stored log or gateway record stands for (see the rule above). */
export async function unmatched(copies: readonly Interaction[], stored: Iterable<Interaction>, windowMs: number): Promise<Interaction[]> {
  const wanted = new Set(copies.map(keyOf));
  const candidates = new Map<string, Interaction[]>();
  for (const r of stored) {
    if (r.source === 'otel') continue;
    const k = keyOf(r);
    if (!wanted.has(k)) continue;
    const list = candidates.get(k);
    if (list) list.push(r);
    else candidates.set(k, [r]);
  }
  const used = new Set<Interaction>();
  return copies.filter((c) => {
    const t = Date.parse(c.at);
    const partner = candidates
      .get(keyOf(c))
      ?.find((r) => !used.has(r) && sameModel(r.model, c.model) && Math.abs(Date.parse(r.at) - t) <= windowMs);
    if (!partner) return true;
    used.add(partner);
    return false;
  });
}

function sameModel(a: string, b: string): boolean {
  return a === 'unknown' || b === 'unknown' || a.toLowerCase() === b.toLowerCase();
}
