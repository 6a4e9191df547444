/**
 * One request, stored once, when it is seen in an agent's log, through the gateway and in its telemetry.
 *
 * The ledger's view does the joining (src/core/ledger/twins.ts): an `otel` record and a log or gateway
 * record of the same agent, model, token split and time (within 10 minutes) are one request, and the view
 * keeps the log or gateway copy, in whichever order they arrive and however late. That rule alone is
 * enough; this join only spares the ledger a line that would be superseded: a telemetry copy of an agent
 * with a log or gateway copy waits `holdMs` (30 s), so that the usual order (the response through the
 * gateway, the log line written at once, the telemetry batch exported a few seconds later, or the other
 * way round) writes the log or gateway copy only. Telemetry of agents no other source sees (Copilot Chat)
 * is recorded at once.
 */
import type { Interaction } from '../interaction';
import { silentLogger, systemClock, type Clock, type Logger } from '../ports';
import { areTwins, fingerprintOf, TWIN_WINDOW_MS } from '../ledger/twins';
import type { OtelInteraction } from './vendors';
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
export const DEFAULT_WINDOW_MS = TWIN_WINDOW_MS;

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

/** The telemetry copies no stored log or gateway record stands for (the twin rule; one partner per copy). */
export async function unmatched(copies: readonly Interaction[], stored: Iterable<Interaction>, windowMs: number): Promise<Interaction[]> {
  const keyOf = (i: Interaction) => `${i.agent}|${fingerprintOf(i.tokens)}`;
  const wanted = new Set(copies.map(keyOf));
  const candidates = new Map<string, Interaction[]>();
  for (const r of stored) {
    if (r.source === 'otel' || !wanted.has(keyOf(r))) continue;
    const list = candidates.get(keyOf(r));
    if (list) list.push(r);
    else candidates.set(keyOf(r), [r]);
  }
  const used = new Set<Interaction>();
  return copies.filter((c) => {
    const partner = candidates.get(keyOf(c))?.find((r) => !used.has(r) && areTwins(r, c, windowMs));
    if (!partner) return true;
    used.add(partner);
    return false;
  });
}
