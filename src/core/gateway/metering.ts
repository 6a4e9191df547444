/**
 * What the gateway writes down: each generation request that was answered becomes one Interaction, with the
 * usage the vendor reported or, where it reported none or an invalid figure, a tokenizer's count (marked as
 * an estimate). Odd response shapes are counted per kind and logged sparingly. The Interactions go to
 * `onInteraction` (the composition layer prices and appends them); a failure there is logged, never thrown.
 */
import type http from 'node:http';
import { randomUUID } from 'node:crypto';
import type { BudgetAction, Interaction, Route, Tokens } from '../interaction';
import type { Logger } from '../ports';
import { detectAgent } from './request';
import { requestText, type Api, type Diagnostic, type Observation } from './usage';
import { shouldAttach, type RateLimitState } from '../plans/limits';
import type { Outcome } from './proxy';

/** Tokenizer work per event-loop turn: about 20 ms of tiktoken, so no client waits behind a huge count. */
const COUNT_SLICE = 64 * 1024;
/** Each diagnostic is logged the first time, then every this many times (always counted). */
const DIAGNOSTIC_LOG_EVERY = 1000;

const NO_TOKENS: Tokens = { input: 0, output: 0, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, reasoning: 0 };

/** One answered generation request, as the route saw it. */
export interface Exchanged {
  api: Api;
  route: Route;
  /** When the request arrived (ISO). */
  at: string;
  req: http.IncomingMessage;
  /** The request body as parsed (null when it was not JSON). */
  json: unknown;
  /** The model the local route served it with (Ollama does not always echo it). */
  localModel: string | null;
  outcome: Outcome;
  budgetAction?: BudgetAction;
}

export class Metering {
  private readonly diagnosticCounts = new Map<Diagnostic, number>();
  /** The last rate-limit state attached per agent: an unchanged one is not written to every record. */
  private readonly lastLimits = new Map<string, RateLimitState>();
  private tokenizerWarned = false;

  constructor(
    private readonly env: {
      logger: Logger;
      count: (text: string, model: string) => Promise<number>;
      onInteraction: (i: Interaction) => void | Promise<void>;
    },
  ) {}

  diagnostics(): Record<string, number> {
    return Object.fromEntries(this.diagnosticCounts);
  }

  /**
   * Tokens in `text`, counted in slices of COUNT_SLICE characters with a yield to the event loop between
   * them, so a 30 MB request delays other clients by one slice at a time, not by the whole count. Slices
   * are cut before a space (where the tokenizers' pre-splitting cuts anyway), so the sum matches a count
   * of the whole text for ordinary prose and code.
   */
  async countSafely(text: string, model: string): Promise<number> {
    try {
      let total = 0;
      for (let at = 0; at < text.length;) {
        const end = sliceEnd(text, at, COUNT_SLICE);
        total += await this.env.count(text.slice(at, end), model);
        at = end;
        if (at < text.length) await new Promise<void>((r) => setImmediate(r));
      }
      return total;
    } catch (err) {
      if (!this.tokenizerWarned)
        this.env.logger.warn(`gateway: tokenizer unavailable, estimating 4 characters per token (${(err as Error).message})`);
      this.tokenizerWarned = true;
      return Math.ceil(text.length / 4);
    }
  }

  async record(x: Exchanged): Promise<void> {
    const o = x.outcome.observation;
    if (o) this.noteDiagnostics(o.diagnostics, x.route);
    if (!o || !o.seen || x.outcome.status < 200 || x.outcome.status >= 300) return;
    const requested = requestedModel(x.json);
    const model = o.model ?? (x.route === 'local' ? x.localModel : requested) ?? 'unknown';
    const { tokens, estimated } = await this.tokensOf(o, x.json, model);
    const agent = detectAgent(x.req.headers);
    const seen = x.outcome.limits;
    const limits = seen && shouldAttach(this.lastLimits.get(agent) ?? null, seen) ? seen : null;
    if (limits) this.lastLimits.set(agent, limits);
    await this.hand({
      id: o.id ? `${x.api === 'anthropic' ? 'anthropic' : 'openai'}:${o.id}` : `${agent}:gateway:${randomUUID()}`,
      at: x.at,
      agent,
      source: 'gateway',
      project: null,
      model,
      route: x.route,
      replaces: x.route === 'local' ? requested : null,
      tokens,
      costNanos: null,
      avoidedNanos: null,
      priceSource: null,
      estimated,
      ...(o.fast ? { fast: true } : {}),
      ...(x.budgetAction ? { budgetAction: x.budgetAction } : {}),
      ...(limits ? { rateLimits: limits } : {}),
    });
  }

  /** A refused request leaves a record with no tokens, so the ledger shows the decision and reports can count it. */
  async recordRefusal(at: string, req: http.IncomingMessage, json: unknown, budget: string): Promise<void> {
    const agent = detectAgent(req.headers);
    await this.hand({
      id: `${agent}:budget:${randomUUID()}`,
      at,
      agent,
      source: 'gateway',
      project: null,
      model: requestedModel(json) ?? 'unknown',
      route: 'cloud',
      replaces: null,
      tokens: { ...NO_TOKENS },
      costNanos: null,
      avoidedNanos: null,
      priceSource: null,
      estimated: false,
      budgetAction: { action: 'refused', budget },
    });
  }

  /**
   * The reported usage when it is whole and valid; otherwise counted with the tokenizer: output always (a lower
   * reported figure is kept only if larger), input when none was reported or the reported figure was invalid.
   * An invalid cache or reasoning count cannot be rebuilt from text; it stays 0, and the record says it is an estimate.
   */
  private async tokensOf(o: Observation, json: unknown, model: string): Promise<{ tokens: Tokens; estimated: boolean }> {
    if (o.reported && o.reportedFinal && o.invalid.size === 0) return { tokens: o.reported, estimated: false };
    const output = await this.countSafely(o.outputText(), model);
    if (!o.reported) return { tokens: { ...NO_TOKENS, input: await this.countSafely(requestText(json), model), output }, estimated: true };
    const t = { ...o.reported, output: o.invalid.has('output') ? output : Math.max(o.reported.output, output) };
    if (o.invalid.has('input'))
      t.input = Math.max(0, (await this.countSafely(requestText(json), model)) - t.cacheRead - t.cacheWrite5m - t.cacheWrite1h);
    return { tokens: t, estimated: true };
  }

  private async hand(i: Interaction): Promise<void> {
    try {
      await this.env.onInteraction(i);
    } catch (err) {
      this.env.logger.error(`gateway: recording an interaction failed: ${(err as Error).message}`);
    }
  }

  private noteDiagnostics(list: readonly Diagnostic[], route: Route): void {
    for (const d of list) {
      const n = (this.diagnosticCounts.get(d) ?? 0) + 1;
      this.diagnosticCounts.set(d, n);
      if (n === 1 || n % DIAGNOSTIC_LOG_EVERY === 0) {
        this.env.logger.warn(
          `gateway: an upstream response on the ${route} route was not in the documented shape (` +
            `${d}${n > 1 ? `, ${n} so far` : ''}); it reached the agent unchanged and its` +
            ` usage was ${d === 'usage_invalid_count' || d === 'sse_line_too_long' ? 'estimated' : 'read where possible'}`,
        );
      }
    }
  }
}

/** The `model` the client asked for, or null. */
function requestedModel(json: unknown): string | null {
  return json && typeof json === 'object' && typeof (json as { model?: unknown }).model === 'string'
    ? (json as { model: string }).model
    : null;
}

/** Where a slice of at most `max` characters from `at` should end: before a space when one is near. */
function sliceEnd(text: string, at: number, max: number): number {
  if (text.length - at <= max) return text.length;
  let end = at + max;
  const space = text.lastIndexOf(' ', end);
  if (space > at + max / 2) end = space;
  // Never split a surrogate pair.
  const c = text.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end--;
  return end;
}
