/**
 * The one datum that flows through Unmetered: one assistant request and its response, whatever saw it.
 * No prompt or response text is ever part of it.
 */
import { UnmeteredError } from './errors';

export type Source = 'log' | 'gateway' | 'chat' | 'otel';
export type Route = 'cloud' | 'local';

/** Known agents; any other lower-case slug is accepted so a new adapter needs no change here. */
export type Agent =
  'claude-code' | 'codex' | 'gemini-cli' | 'cline' | 'roo-code' | 'kilo-code' | 'qwen-code' | 'editor-chat' | 'gateway' | (string & {});

/**
 * Token counts. Disjoint, except `reasoning`, which is a subset of `output` (never billed twice):
 * - input: uncached input tokens (Anthropic's `input_tokens`; OpenAI's `prompt_tokens - cached_tokens`)
 * - cacheRead: input tokens served from cache
 * - cacheWrite5m / cacheWrite1h: input tokens written to the 5-minute / 1-hour cache
 */
export interface Tokens {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite5m: number;
  cacheWrite1h: number;
  reasoning: number;
}

export interface Interaction {
  /** Stable across sources: provider message id (+ request id) when known. */
  id: string;
  /** UTC ISO-8601 timestamp, e.g. 2026-11-23T12:00:00.000Z */
  at: string;
  agent: Agent;
  source: Source;
  /** Workspace or cwd base name; null when unknown. */
  project: string | null;
  /** The model that served the request. */
  model: string;
  route: Route;
  /** For local ones: the cloud model it stood in for (prices the avoided spend). */
  replaces: string | null;
  tokens: Tokens;
  /** Integer nano-dollars (1e-9 USD); null when the model has no known price (unpriced, never a silent 0). */
  costNanos: number | null;
  /** Integer nano-dollars the cloud model would have charged, for local ones; null when not local or unpriced. */
  avoidedNanos: number | null;
  /** Which price table priced it (e.g. "litellm@00035b69", "user"), null when unpriced. */
  priceSource: string | null;
  /** True when the price came from a fuzzy model-name match rather than an exact key or alias. */
  priceInferred?: boolean;
  /** True when tokens were counted with a tokenizer rather than reported by the provider. */
  estimated: boolean;
  /** Anthropic fast mode (`usage.speed: "fast"`), billed at a multiple of the list price. */
  fast?: boolean;
  /** What a budget made the gateway do with this request; absent when no budget acted on it. */
  budgetAction?: BudgetAction;
  /**
   * The git branch the agent worked on, as its source recorded it (absent: not recorded). A name,
   * never prompt text; but a branch can name a customer or a ticket, so it is shown only to who
   * reads this ledger and to teammates who are sent a weekly file (see README, Attribution).
   */
  branch?: string;
  /**
   * The repository as `host/owner/name` (normaliseRemote in core/git.ts): its origin remote with any
   * credentials and `.git` stripped, so clones in differently named folders are one repository.
   * Absent when not recorded or the checkout has no remote (the project still names the folder).
   */
  repo?: string;
}

/**
 * A budget decision the gateway took: `fallback` served it with the local model because the budget was
 * used up; `refused` answered it with an error (the record has no tokens); `failed-open` forwarded it
 * unchecked because the ledger could not be read. `budget` is the budget's id ("daily", "monthly").
 */
export interface BudgetAction {
  action: 'fallback' | 'refused' | 'failed-open';
  budget: string | null;
}

/** Every field an Interaction is defined with: anything else on a record is an extra, kept as it came. */
export const INTERACTION_FIELDS: ReadonlySet<string> = new Set<keyof Interaction>([
  'id',
  'at',
  'agent',
  'source',
  'project',
  'model',
  'route',
  'replaces',
  'tokens',
  'costNanos',
  'avoidedNanos',
  'priceSource',
  'priceInferred',
  'estimated',
  'fast',
  'budgetAction',
  'branch',
  'repo',
]);

const ZERO_TOKENS: Readonly<Tokens> = Object.freeze({
  input: 0,
  output: 0,
  cacheRead: 0,
  cacheWrite5m: 0,
  cacheWrite1h: 0,
  reasoning: 0,
});

export function tokens(partial: Partial<Tokens>): Tokens {
  return { ...ZERO_TOKENS, ...partial };
}

export function totalTokens(t: Tokens): number {
  return t.input + t.output + t.cacheRead + t.cacheWrite5m + t.cacheWrite1h;
}

/**
 * The most complete copy wins: the same response is often seen first with partial output, then complete,
 * or in a log and through the gateway. True when `offered` should replace `held` (absent, or fewer tokens);
 * a tie keeps the copy held. The ledger, the recorder and every reader apply this one rule.
 */
export function moreComplete(offered: Interaction, held: Interaction | undefined): boolean {
  return !held || totalTokens(offered.tokens) > totalTokens(held.tokens);
}

/** Longest branch or repo kept: git allows longer names, but no real one comes near, and a ledger line stays small. */
export const ATTRIBUTION_MAX = 256;

const TOKEN_KEYS = Object.keys(ZERO_TOKENS) as (keyof Tokens)[];
const SOURCES: readonly string[] = ['log', 'gateway', 'chat', 'otel'];
const ROUTES: readonly string[] = ['cloud', 'local'];

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}
function isNanos(v: unknown): v is number | null {
  return v === null || (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0);
}

const BUDGET_ACTIONS: readonly string[] = ['fallback', 'refused', 'failed-open'];
function isBudgetAction(v: unknown): v is BudgetAction {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return BUDGET_ACTIONS.includes(o.action as string) && (o.budget === null || (typeof o.budget === 'string' && o.budget.length <= 300));
}

/**
 * Checks an untrusted value (a ledger line, an import) and returns it typed, or throws an
 * UnmeteredError saying which field was wrong, what was expected and what arrived.
 */
export function validateInteraction(v: unknown): Interaction {
  const fail = (field: string, expected: string, got: unknown): never => {
    throw new UnmeteredError('E_INTERACTION', `interaction.${field}: expected ${expected}, got ${JSON.stringify(got)?.slice(0, 80)}`);
  };
  if (typeof v !== 'object' || v === null) return fail('', 'an object', v);
  const o = v as Record<string, unknown>;
  if (typeof o.id !== 'string' || o.id.length === 0) fail('id', 'a non-empty string', o.id);
  if (typeof o.at !== 'string' || Number.isNaN(Date.parse(o.at))) fail('at', 'an ISO-8601 timestamp', o.at);
  if (typeof o.agent !== 'string' || o.agent.length === 0) fail('agent', 'a non-empty string', o.agent);
  if (!SOURCES.includes(o.source as string)) fail('source', SOURCES.join('|'), o.source);
  if (o.project !== null && typeof o.project !== 'string') fail('project', 'a string or null', o.project);
  if (typeof o.model !== 'string' || o.model.length === 0) fail('model', 'a non-empty string', o.model);
  if (!ROUTES.includes(o.route as string)) fail('route', ROUTES.join('|'), o.route);
  if (o.replaces !== null && typeof o.replaces !== 'string') fail('replaces', 'a string or null', o.replaces);
  const t = o.tokens as Record<string, unknown> | undefined;
  if (typeof t !== 'object' || t === null) fail('tokens', 'an object', t);
  for (const k of TOKEN_KEYS) if (!isCount(t![k])) fail(`tokens.${k}`, 'a non-negative integer', t![k]);
  if (!isNanos(o.costNanos)) fail('costNanos', 'a non-negative integer or null', o.costNanos);
  if (!isNanos(o.avoidedNanos)) fail('avoidedNanos', 'a non-negative integer or null', o.avoidedNanos);
  if (o.priceSource !== null && typeof o.priceSource !== 'string') fail('priceSource', 'a string or null', o.priceSource);
  if (typeof o.estimated !== 'boolean') fail('estimated', 'a boolean', o.estimated);
  if (o.priceInferred !== undefined && typeof o.priceInferred !== 'boolean')
    fail('priceInferred', 'a boolean when present', o.priceInferred);
  if (o.fast !== undefined && typeof o.fast !== 'boolean') fail('fast', 'a boolean when present', o.fast);
  if (o.budgetAction !== undefined && !isBudgetAction(o.budgetAction))
    fail('budgetAction', '{action: fallback|refused|failed-open, budget: string|null} when present', o.budgetAction);
  for (const k of ['branch', 'repo'] as const) {
    const x = o[k];
    if (x !== undefined && !(typeof x === 'string' && x.length > 0 && x.length <= ATTRIBUTION_MAX))
      fail(k, `a string of 1 to ${ATTRIBUTION_MAX} characters when present`, x);
  }
  return o as unknown as Interaction;
}
