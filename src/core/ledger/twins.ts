/**
 * Telemetry twins: the same request seen in an agent's telemetry (source `otel`) and in its log or through
 * the gateway is one request, whatever the order and however late either copy arrives. The copies share no
 * id today: Claude Code's api_request event names the request id (`req_…`) where its log and the gateway key
 * on the message id (`msg_…`), and Codex's and Gemini CLI's events carry no response id at all. So the rule is:
 *
 *   An `otel` record and a record of another source are twins when they have the same agent, the same model
 *   (ignoring case; "unknown" matches any), the same token split (input, cache reads, cache writes 5m+1h
 *   summed, output) and times at most TWIN_WINDOW_MS apart. Each record is the twin of one other at most.
 *   The view holds the log or gateway twin (it names the project, branch and the 5m/1h split), never both:
 *   an `otel` record arriving after its twin is not added; a log or gateway record arriving after its `otel`
 *   twin takes that record's place.
 *
 * Copies that do share an id (log and gateway: `anthropic:msg_…`) are one record by the view's id rule. The
 * rule is applied by every reader of the ledger (view.ts), so every process sees the same records.
 */
import type { Interaction, Tokens } from '../interaction';

export const TWIN_WINDOW_MS = 10 * 60_000;

/** The token split as one string, with cache writes summed (telemetry has no 5m/1h split). */
export function fingerprintOf(t: Tokens): string {
  return `${t.input}/${t.cacheRead}/${t.cacheWrite5m + t.cacheWrite1h}/${t.output}`;
}

function keyOf(r: Interaction): string {
  return `${r.agent}|${fingerprintOf(r.tokens)}`;
}

function sameModel(a: string, b: string): boolean {
  return a === 'unknown' || b === 'unknown' || a.toLowerCase() === b.toLowerCase();
}

/** Whether `a` and `b` are twins, pairing aside. */
export function areTwins(a: Interaction, b: Interaction, windowMs = TWIN_WINDOW_MS): boolean {
  return (
    (a.source === 'otel') !== (b.source === 'otel') &&
    keyOf(a) === keyOf(b) &&
    sameModel(a.model, b.model) &&
    Math.abs(Date.parse(a.at) - Date.parse(b.at)) <= windowMs
  );
}

/**
 * A number from the token split that twins share (cache writes summed). Collisions only make candidates,
 * which areTwins checks; a number and not a string so that indexing a year of history costs little.
 */
function keyNum(t: Tokens): number {
  return ((t.input * 1_000_003 + t.output) * 8191 + t.cacheRead) * 131 + t.cacheWrite5m + t.cacheWrite1h;
}

/** The view's index of candidate twins; built the first time an `otel` record enters a view. */
export class Twins {
  /** Indices into the view's records by token split (an entry may be stale: checked on use). */
  private readonly byKey = new Map<number, number | number[]>();
  /** Ids of log or gateway records that stand for an `otel` copy too, and the `otel` ids they stand for. */
  private readonly standing = new Set<string>();
  private readonly absorbed = new Set<string>();

  constructor(records: readonly Interaction[]) {
    records.forEach((r, i) => this.add(i, r));
  }

  add(i: number, r: Interaction): void {
    const k = keyNum(r.tokens);
    const cur = this.byKey.get(k);
    if (cur === undefined) this.byKey.set(k, i);
    else if (typeof cur === 'number') this.byKey.set(k, [cur, i]);
    else cur.push(i);
  }

  /** Whether the `otel` record with this id was already found to be another record's twin. */
  isAbsorbed(id: string): boolean {
    return this.absorbed.has(id);
  }

  /** The index of a free twin of `r` in `records`, or -1. */
  partner(r: Interaction, records: readonly Interaction[]): number {
    const found = this.byKey.get(keyNum(r.tokens));
    if (found === undefined) return -1;
    for (const i of typeof found === 'number' ? [found] : found) {
      const c = records[i];
      if (c === undefined || c.id === r.id || !areTwins(c, r)) continue;
      if (c.source !== 'otel' && this.standing.has(c.id)) continue;
      return i;
    }
    return -1;
  }

  pair(otelId: string, standId: string): void {
    this.absorbed.add(otelId);
    this.standing.add(standId);
  }

  stands(id: string): boolean {
    return this.standing.has(id);
  }
}
