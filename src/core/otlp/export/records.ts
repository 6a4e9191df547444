/**
 * One Interaction → one OTLP log event's attributes, and a batch of them → delta metric points.
 * Pure: no SDK, no I/O, so the mapping is tested on its own and the SDK is loaded only to send.
 *
 * Names follow the OpenTelemetry GenAI semantic conventions (open-telemetry/semantic-conventions,
 * docs/registry/attributes/gen-ai.md and docs/gen-ai/gen-ai-metrics.md at 575e9abb / ce3b5340):
 * - gen_ai.usage.input_tokens "SHOULD include all types of input tokens, including cached tokens";
 *   gen_ai.usage.cache_read.input_tokens and gen_ai.usage.cache_creation.input_tokens are parts of it.
 * - gen_ai.client.token.usage is a Histogram in `{token}` with the explicit bucket boundaries below and
 *   the required attributes gen_ai.operation.name, gen_ai.provider.name and gen_ai.token.type.
 * The registry has no reasoning-token attribute, so that count is `unmetered.usage.reasoning.output_tokens`.
 * Everything else Unmetered adds lives under `unmetered.*`.
 */
import type { Interaction } from '../../interaction';
import { PLAN_BILLED_AGENT } from '../../meter/meter';

export const EVENT_NAME = 'unmetered.interaction';
export const SCOPE = 'unmetered';
/** docs/gen-ai/gen-ai-metrics.md: "This metric SHOULD be specified with ExplicitBucketBoundaries of …". */
export const TOKEN_BUCKETS: readonly number[] = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];

export type AttrValue = string | number | boolean;
export type Attributes = Record<string, AttrValue>;

export type BillingMode = 'per-token' | 'plan' | 'local';

export interface MapOptions {
  /** Project name as sent: a pseudonym, the name, or null to leave it out. */
  project(name: string | null): string | null;
  /** Attribute names allowed on events; null: all. Token counts, the id and the model are always kept. */
  allow: ReadonlySet<string> | null;
  /** Whether the user said Copilot is billed per token (`unmetered.copilot.billedPerToken`). */
  copilotBilledPerToken: boolean;
  /** The price table version of this build, for records priced without one. */
  priceTable: string;
}

/** Kept whatever the allow-list says: without them an event cannot be deduplicated or counted. */
const ALWAYS = new Set([
  'unmetered.interaction.id',
  'gen_ai.request.model',
  'gen_ai.usage.input_tokens',
  'gen_ai.usage.output_tokens',
  'gen_ai.usage.cache_read.input_tokens',
  'gen_ai.usage.cache_creation.input_tokens',
  'unmetered.usage.reasoning.output_tokens',
  'unmetered.cost.nano_usd',
  'unmetered.cost.avoided.nano_usd',
]);

/**
 * gen_ai.provider.name's well-known values (gen-ai-metrics.md) from the model name; a local model is
 * served by Ollama (a custom value, as the convention allows). Unknown: `_OTHER`, the conventions' word for it.
 */
export function providerOf(r: Pick<Interaction, 'model' | 'route' | 'agent'>): string {
  if (r.route === 'local') return 'ollama';
  const m = r.model.toLowerCase().replace(/^.*\//, '');
  if (/^claude|^anthropic/.test(m)) return 'anthropic';
  if (/^(gpt|o\d|chatgpt|codex|text-embedding|davinci)/.test(m)) return 'openai';
  if (/^gemini|^gemma/.test(m)) return 'gcp.gemini';
  if (/^grok/.test(m)) return 'x_ai';
  if (/^deepseek/.test(m)) return 'deepseek';
  if (/^(mistral|codestral|devstral|magistral)/.test(m)) return 'mistral_ai';
  if (/^command/.test(m)) return 'cohere';
  return '_OTHER';
}

export function billingModeOf(r: Pick<Interaction, 'agent' | 'route'>, copilotBilledPerToken: boolean): BillingMode {
  if (r.route === 'local') return 'local';
  return r.agent === PLAN_BILLED_AGENT && !copilotBilledPerToken ? 'plan' : 'per-token';
}

/** The provider's own response id where the Interaction id is one (`anthropic:msg_…`, `openai:chatcmpl-…`). */
function responseIdOf(id: string): string | null {
  const m = /^(?:anthropic|openai):(.+)$/.exec(id);
  return m ? (m[1] ?? null) : null;
}

const usd = (nanos: number) => nanos / 1e9;

export function eventAttributes(r: Interaction, o: MapOptions): Attributes {
  const t = r.tokens;
  const cacheWrite = t.cacheWrite5m + t.cacheWrite1h;
  const a: Attributes = {
    'unmetered.interaction.id': r.id,
    'gen_ai.operation.name': 'chat',
    'gen_ai.provider.name': providerOf(r),
    'gen_ai.request.model': r.model,
    'gen_ai.usage.input_tokens': t.input + t.cacheRead + cacheWrite,
    'gen_ai.usage.output_tokens': t.output,
    'gen_ai.usage.cache_read.input_tokens': t.cacheRead,
    'gen_ai.usage.cache_creation.input_tokens': cacheWrite,
    'unmetered.usage.reasoning.output_tokens': t.reasoning,
    'unmetered.usage.cache_creation_1h.input_tokens': t.cacheWrite1h,
    'unmetered.agent': r.agent,
    'unmetered.source': r.source,
    'unmetered.route': r.route,
    'unmetered.billing.mode': billingModeOf(r, o.copilotBilledPerToken),
    'unmetered.price_table': r.priceSource ?? o.priceTable,
    'unmetered.estimated': r.estimated,
    // An unknown model is unpriced: the cost attributes are absent, never a silent 0.
    'unmetered.priced': r.costNanos !== null,
  };
  const responseId = responseIdOf(r.id);
  if (responseId) a['gen_ai.response.id'] = responseId;
  if (r.costNanos !== null) {
    a['unmetered.cost.usd'] = usd(r.costNanos);
    a['unmetered.cost.nano_usd'] = r.costNanos;
  }
  if (r.avoidedNanos !== null) {
    a['unmetered.cost.avoided.usd'] = usd(r.avoidedNanos);
    a['unmetered.cost.avoided.nano_usd'] = r.avoidedNanos;
  }
  if (r.replaces) a['unmetered.replaces'] = r.replaces;
  const project = o.project(r.project);
  if (project !== null) a['unmetered.project'] = project;
  if (r.budgetAction) a['unmetered.budget.action'] = r.budgetAction.action;
  if (!o.allow) return a;
  for (const k of Object.keys(a)) if (!ALWAYS.has(k) && !o.allow.has(k)) delete a[k];
  return a;
}

/** Token types on gen_ai.client.token.usage: disjoint, so summing over the type gives the total. */
const TOKEN_TYPES = ['input', 'output', 'cache_read', 'cache_creation'] as const;
export type TokenType = (typeof TOKEN_TYPES)[number];

function tokensByType(r: Interaction): Record<TokenType, number> {
  const t = r.tokens;
  return { input: t.input, output: t.output, cache_read: t.cacheRead, cache_creation: t.cacheWrite5m + t.cacheWrite1h };
}

export interface HistogramPoint {
  attributes: Attributes;
  count: number;
  sum: number;
  /** One more than TOKEN_BUCKETS: the last counts values above the largest boundary. */
  buckets: number[];
}

export interface SumPoint {
  attributes: Attributes;
  /** Integer nano-dollars; turned into USD once per point, so rounding never accumulates across records. */
  nanos: number;
}

/**
 * Delta metric points for one batch. `add` takes each exported copy with the copy of the same id sent
 * before (null when it is new): a more complete copy adds only the difference, to the sums and not to
 * the count, so summed over time the points equal the ledger's view (one, most complete, copy per id).
 */
export class DeltaMetrics {
  readonly tokens = new Map<string, HistogramPoint>();
  readonly cost = new Map<string, SumPoint>();
  readonly avoided = new Map<string, SumPoint>();

  constructor(private readonly o: Pick<MapOptions, 'copilotBilledPerToken'>) {}

  add(r: Interaction, before: Interaction | null): void {
    // Keys are built from the attribute values (no object or JSON per record: a year's backlog is 500,000 calls).
    const series = `${r.agent}\u0000${r.model}`;
    const now = tokensByType(r);
    const was = before ? tokensByType(before) : null;
    for (const type of TOKEN_TYPES) {
      const diff = now[type] - (was ? was[type] : 0);
      if (diff === 0 && was) continue;
      const key = `${series}\u0000${type}`;
      let p = this.tokens.get(key);
      if (!p) {
        const attributes = { ...this.base(r), 'gen_ai.token.type': type };
        this.tokens.set(key, (p = { attributes, count: 0, sum: 0, buckets: new Array<number>(TOKEN_BUCKETS.length + 1).fill(0) }));
      }
      p.sum += diff;
      if (!was) {
        p.count++;
        p.buckets[bucketOf(now[type])]!++;
      }
    }
    const mode = billingModeOf(r, this.o.copilotBilledPerToken);
    const key = `${series}\u0000${r.route}\u0000${mode}`;
    const money = () => ({ ...this.base(r), 'unmetered.route': r.route, 'unmetered.billing.mode': mode });
    bump(this.cost, key, money, (r.costNanos ?? 0) - (before?.costNanos ?? 0));
    bump(this.avoided, key, money, (r.avoidedNanos ?? 0) - (before?.avoidedNanos ?? 0));
  }

  private base(r: Interaction): Attributes {
    return {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': providerOf(r),
      'gen_ai.request.model': r.model,
      'unmetered.agent': r.agent,
    };
  }

  get empty(): boolean {
    return this.tokens.size === 0 && this.cost.size === 0 && this.avoided.size === 0;
  }
}

function bump(m: Map<string, SumPoint>, key: string, attributes: () => Attributes, nanos: number): void {
  if (nanos === 0) return;
  const p = m.get(key);
  if (p) p.nanos += nanos;
  else m.set(key, { attributes: attributes(), nanos });
}

/** Explicit-bucket histogram index: bucket i holds values in (bounds[i-1], bounds[i]], as OTLP defines. */
function bucketOf(v: number): number {
  let i = 0;
  while (i < TOKEN_BUCKETS.length && v > TOKEN_BUCKETS[i]!) i++;
  return i;
}

/** Total tokens as the ledger keeps it apart, for the "most complete copy" rule (interaction.ts totalTokens). */
export function completeness(r: Interaction): number {
  const t = r.tokens;
  return t.input + t.output + t.cacheRead + t.cacheWrite5m + t.cacheWrite1h;
}
