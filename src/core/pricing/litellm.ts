/**
 * LiteLLM's model_prices_and_context_window.json, trimmed to what coding agents use.
 * Pure: shared by the refresh script (a person runs it) and the tests; nothing here touches the network or disk.
 */
import { UnmeteredError } from '../errors';

export const LITELLM_REPO = 'BerriAI/litellm';
export const LITELLM_PATH = 'model_prices_and_context_window.json';

/** The LiteLLM fields we keep, by their LiteLLM names (USD per token unless noted). */
export const KEPT_FIELDS = [
  'input_cost_per_token',
  'output_cost_per_token',
  'cache_creation_input_token_cost', // 5-minute cache write
  'cache_creation_input_token_cost_above_1hr', // 1-hour cache write
  'cache_read_input_token_cost',
  'input_cost_per_token_above_200k_tokens',
  'output_cost_per_token_above_200k_tokens',
  'cache_creation_input_token_cost_above_200k_tokens',
  'cache_creation_input_token_cost_above_1hr_above_200k_tokens',
  'cache_read_input_token_cost_above_200k_tokens',
  'input_cost_per_token_above_272k_tokens',
  'output_cost_per_token_above_272k_tokens',
  'cache_creation_input_token_cost_above_272k_tokens',
  'cache_read_input_token_cost_above_272k_tokens',
  'provider_specific_entry.fast', // multiplier for Anthropic fast mode
  'max_input_tokens',
  'litellm_provider',
] as const;

const NUMERIC_FIELDS = KEPT_FIELDS.filter((f) => f !== 'litellm_provider' && f !== 'provider_specific_entry.fast');

export interface LiteLLMEntry {
  input_cost_per_token: number;
  output_cost_per_token: number;
  cache_creation_input_token_cost?: number;
  cache_creation_input_token_cost_above_1hr?: number;
  cache_read_input_token_cost?: number;
  input_cost_per_token_above_200k_tokens?: number;
  output_cost_per_token_above_200k_tokens?: number;
  cache_creation_input_token_cost_above_200k_tokens?: number;
  cache_creation_input_token_cost_above_1hr_above_200k_tokens?: number;
  cache_read_input_token_cost_above_200k_tokens?: number;
  input_cost_per_token_above_272k_tokens?: number;
  output_cost_per_token_above_272k_tokens?: number;
  cache_creation_input_token_cost_above_272k_tokens?: number;
  cache_read_input_token_cost_above_272k_tokens?: number;
  provider_specific_entry?: { fast?: number };
  max_input_tokens?: number;
  litellm_provider?: string;
}

export interface SnapshotSource {
  repo: string;
  path: string;
  /** Full commit sha the prices were read at. */
  commit: string;
  /** YYYY-MM-DD the file was fetched. */
  fetchedAt: string;
  fieldsKept: string[];
}

export interface PriceSnapshot {
  source: SnapshotSource;
  models: Record<string, LiteLLMEntry>;
}

/**
 * Model families coding agents run, matched on the name with any provider path and Bedrock
 * region/vendor prefix removed: Claude (every 3.x, 4.x and later; not Claude 1, 2 or Instant), OpenAI's GPT-5, GPT-4.1, GPT-4o,
 * o-series and Codex models, and Gemini 2.x / 3.x.
 */
const FAMILY =
  // One pattern: ^(?:part1|part2), each part a valid pattern of its own.
  new RegExp(
    `^(?:${/claude-(?!v\d|instant|2(?:$|[.:-]))|gpt-5(?:$|[.-])|gpt-4\.1(?:$|-)|gpt-4o(?:$|-)|chatgpt-4o-/.source}|` +
      `${/o1(?:$|-)|o3(?:$|-)|o4-mini(?:$|-)|codex-|gemini-(?:2|3)(?:$|[.-])/.source})`,
  );

/**
 * Provider-prefixed keys worth keeping: the first-party APIs, Vertex AI and Bedrock (both host Claude
 * and Gemini under their own ids). Resellers (OpenRouter, Azure deployments, gateways) are left out:
 * their names reduce to the same model and are matched to the first-party price.
 */
const KEPT_PREFIXES = new Set(['', 'anthropic', 'openai', 'gemini', 'vertex_ai', 'bedrock']);
const KEPT_MODES = new Set(['chat', 'responses']);

/** `bedrock/us-west-2/us.anthropic.claude-…` → `claude-…`; `gemini/gemini-2.5-pro` → `gemini-2.5-pro`. */
export function baseModelName(key: string): string {
  const last = key.slice(key.lastIndexOf('/') + 1);
  return last.replace(/^(?:[a-z]{2,6}(?:-[a-z]+)?\.)?(?:anthropic|openai|google)\./, '');
}

function isWanted(key: string, entry: unknown): entry is Record<string, unknown> {
  if (typeof entry !== 'object' || entry === null) return false;
  const e = entry as Record<string, unknown>;
  if (typeof e.input_cost_per_token !== 'number' || typeof e.output_cost_per_token !== 'number') return false;
  if (typeof e.mode === 'string' && !KEPT_MODES.has(e.mode)) return false;
  const prefix = key.includes('/') ? key.slice(0, key.indexOf('/')) : '';
  if (!KEPT_PREFIXES.has(prefix)) return false;
  return FAMILY.test(baseModelName(key).toLowerCase());
}

/** Keeps only the wanted models and, of each, only KEPT_FIELDS. Key order follows the source file. */
export function trimLiteLLM(raw: unknown): Record<string, LiteLLMEntry> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new UnmeteredError(
      'E_PRICES',
      `LiteLLM price file: expected a JSON object of models, got ${Array.isArray(raw) ? 'an array' : typeof raw}`,
    );
  }
  const out: Record<string, LiteLLMEntry> = {};
  for (const [key, entry] of Object.entries(raw as Record<string, unknown>)) {
    if (key === 'sample_spec' || !isWanted(key, entry)) continue;
    const kept: Record<string, unknown> = {};
    for (const f of NUMERIC_FIELDS) {
      const v = entry[f];
      if (typeof v === 'number' && Number.isFinite(v) && v >= 0) kept[f] = v;
    }
    const fast = (entry.provider_specific_entry as Record<string, unknown> | undefined)?.fast;
    if (typeof fast === 'number' && Number.isFinite(fast) && fast > 0) kept.provider_specific_entry = { fast };
    if (typeof entry.litellm_provider === 'string') kept.litellm_provider = entry.litellm_provider;
    out[key] = kept as unknown as LiteLLMEntry;
  }
  return out;
}

export function buildSnapshot(raw: unknown, source: { commit: string; fetchedAt: string }): PriceSnapshot {
  if (!/^[0-9a-f]{40}$/.test(source.commit)) {
    throw new UnmeteredError('E_PRICES', `snapshot commit: expected a 40-hex-digit sha, got ${JSON.stringify(source.commit)}`);
  }
  if (!/^\d{4}-\d{2}-\d{2}$/.test(source.fetchedAt)) {
    throw new UnmeteredError('E_PRICES', `snapshot fetchedAt: expected YYYY-MM-DD, got ${JSON.stringify(source.fetchedAt)}`);
  }
  return {
    source: { repo: LITELLM_REPO, path: LITELLM_PATH, commit: source.commit, fetchedAt: source.fetchedAt, fieldsKept: [...KEPT_FIELDS] },
    models: trimLiteLLM(raw),
  };
}

/** Stable, diff-friendly text: one model per line, so a refresh's pull request shows exactly what changed. */
export function serializeSnapshot(s: PriceSnapshot): string {
  const models = Object.entries(s.models).map(([k, v]) => `    ${JSON.stringify(k)}: ${JSON.stringify(v)}`);
  return `{\n  "source": ${JSON.stringify(s.source)},\n  "models": {\n${models.join(',\n')}\n  }\n}\n`;
}
