/**
 * The models Unmetered contributes to VS Code's chat model picker: every model of each local server that
 * answers (Ollama, LM Studio, llama-server), the configured cloud models of an OpenAI-compatible endpoint,
 * and "Unmetered: Auto", which follows the status bar switch. `ChatModelInfo` is structurally a `vscode.LanguageModelChatInformation` plus what
 * Unmetered needs to route a request.
 */
import { encodingFor } from '../tokens';
import type { LocalModel, ModelDetails } from '../local/ollama';
import { formatBytes } from '../local/describe';
import { BACKENDS, isLocalKind, type LocalKind } from '../local/backend';
import type { Normalised } from '../normalise';

/** A local server (requests go to its own API) or the configured OpenAI-compatible endpoint. */
export type Backend = LocalKind | 'openai';

export const isLocalBackend = (b: Backend | 'auto'): b is LocalKind => isLocalKind(b);

export interface ChatModelInfo {
  id: string;
  name: string;
  family: string;
  version: string;
  detail?: string;
  tooltip?: string;
  maxInputTokens: number;
  maxOutputTokens: number;
  capabilities: { imageInput: boolean; toolCalling: boolean };
  /** Where requests go; for Auto, where they went when the list was built (resolved again per request). */
  backend: Backend | 'auto';
  /** The model name upstream (Ollama tag or endpoint model id); for Auto, the current target. */
  upstream: string;
}

export const AUTO_ID = 'auto';

// ---------- settings ----------

/** One entry of `unmetered.chat.cloudModels`: a model id, or an object with limits and capabilities. */
export interface CloudModelSetting {
  id: string;
  name?: string;
  maxInputTokens?: number;
  maxOutputTokens?: number;
  toolCalling?: boolean;
  imageInput?: boolean;
}

export interface ChatSettings {
  /** Base URL of the OpenAI-compatible endpoint, e.g. https://api.openai.com/v1. */
  openaiBaseUrl: string;
  /** Models to offer from that endpoint; empty = ask its /models (only when an API key is stored). */
  cloudModels: CloudModelSetting[];
  /** The cloud model Auto uses when the route is cloud, and the one a local request stands in for. */
  cloudModel: string | null;
}

const DEFAULT_OPENAI_BASE_URL = 'https://api.openai.com/v1';

const isPositiveInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v > 0;

export function normaliseChatSettings(raw: {
  openaiBaseUrl?: unknown;
  cloudModels?: unknown;
  cloudModel?: unknown;
}): Normalised<ChatSettings> {
  const warnings: string[] = [];
  let openaiBaseUrl = DEFAULT_OPENAI_BASE_URL;
  if (raw.openaiBaseUrl !== undefined && raw.openaiBaseUrl !== null && raw.openaiBaseUrl !== '') {
    let ok = false;
    if (typeof raw.openaiBaseUrl === 'string') {
      try {
        const u = new URL(raw.openaiBaseUrl);
        ok = u.protocol === 'http:' || u.protocol === 'https:';
      } catch {
        ok = false;
      }
    }
    if (ok) openaiBaseUrl = (raw.openaiBaseUrl as string).replace(/\/+$/, '');
    else
      warnings.push(
        `unmetered.chat.openaiBaseUrl: expected an http(s) URL such as "` +
          `${DEFAULT_OPENAI_BASE_URL}", got ${JSON.stringify(raw.openaiBaseUrl)}; using ${DEFAULT_OPENAI_BASE_URL}`,
      );
  }

  const cloudModels: CloudModelSetting[] = [];
  if (raw.cloudModels !== undefined && raw.cloudModels !== null) {
    if (!Array.isArray(raw.cloudModels)) {
      warnings.push(
        `unmetered.chat.cloudModels: expected a list of model ids or {"id": …} objects, got ${JSON.stringify(raw.cloudModels)}; ignored`,
      );
    } else {
      raw.cloudModels.forEach((e: unknown, i) => {
        if (typeof e === 'string' && e.trim()) return void cloudModels.push({ id: e.trim() });
        const o = e as Record<string, unknown> | null;
        if (typeof o === 'object' && o !== null && typeof o.id === 'string' && o.id.trim()) {
          const m: CloudModelSetting = { id: o.id.trim() };
          if (typeof o.name === 'string' && o.name) m.name = o.name;
          for (const k of ['maxInputTokens', 'maxOutputTokens'] as const) {
            if (o[k] === undefined) continue;
            if (isPositiveInt(o[k])) m[k] = o[k];
            else
              warnings.push(
                `unmetered.chat.cloudModels[${i}].${k}: expected a positive whole number, got ${JSON.stringify(o[k])}; using the default`,
              );
          }
          for (const k of ['toolCalling', 'imageInput'] as const) {
            if (o[k] === undefined) continue;
            if (typeof o[k] === 'boolean') m[k] = o[k];
            else
              warnings.push(
                `unmetered.chat.cloudModels[${i}].${k}: expected true or false, got ${JSON.stringify(o[k])}; using the default`,
              );
          }
          return void cloudModels.push(m);
        }
        warnings.push(`unmetered.chat.cloudModels[${i}]: expected a model id or an object with an "id", got ${JSON.stringify(e)}; skipped`);
      });
    }
  }

  let cloudModel: string | null = null;
  if (typeof raw.cloudModel === 'string' && raw.cloudModel.trim()) cloudModel = raw.cloudModel.trim();
  else if (raw.cloudModel !== undefined && raw.cloudModel !== null && raw.cloudModel !== '') {
    warnings.push(`unmetered.chat.cloudModel: expected a model id such as "gpt-4.1", got ${JSON.stringify(raw.cloudModel)}; ignored`);
  }
  return { value: { openaiBaseUrl, cloudModels, cloudModel }, warnings };
}

// ---------- Ollama models ----------

// Ollama's own default window, used when /api/show reports no context length; also the window LM Studio
// gives a model it loads on a request (just in time) without per-model settings, as reported in
// zed-industries/zed#33938 (loaded_context_length 4096), so an unloaded LM Studio model is not overrated.
const FALLBACK_CONTEXT = 4096;

/**
 * The context window holds prompt and answer together, so it is split: the answer gets up to 8k
 * (half of a small window), the prompt the rest. The full window is shown in the tooltip.
 */
function splitContext(contextLength: number): { maxInputTokens: number; maxOutputTokens: number } {
  const maxOutputTokens = Math.min(8192, Math.floor(contextLength / 2));
  return { maxInputTokens: contextLength - maxOutputTokens, maxOutputTokens };
}

export function ollamaModelInfo(m: LocalModel, d: ModelDetails, host: string, notLocal: string | null = null): ChatModelInfo {
  const context = d.contextLength ?? FALLBACK_CONTEXT;
  const tag = m.name.includes(':') ? m.name.slice(m.name.lastIndexOf(':') + 1) : 'latest';
  const facts = [d.parameterSize ?? m.parameterSize, d.quantization ?? m.quantization, m.size ? formatBytes(m.size) : null].filter(Boolean);
  return {
    id: `ollama/${m.name}`,
    name: m.name.replace(/:latest$/, ''),
    family: d.family ?? m.family ?? 'ollama',
    version: tag,
    detail: ['Ollama', ...facts].join(' · '),
    tooltip:
      `Local model served by Ollama at ${host}. Context window: ${
        d.contextLength ? `${context.toLocaleString('en-US')} tokens` : `not reported` + ` (assuming ${context.toLocaleString('en-US')})`
      }. ` + `Tools: ${d.capabilities.tools ? 'yes' : 'no'}. Images: ${d.capabilities.vision ? 'yes' : 'no'}. ${meteredAs(notLocal)}`,
    ...splitContext(context),
    capabilities: { imageInput: d.capabilities.vision, toolCalling: d.capabilities.tools },
    backend: 'ollama',
    upstream: m.name,
  };
}

/**
 * A model of LM Studio or llama-server. Their picker window is the one the model is loaded with (LM Studio's
 * loaded instance, llama-server's /props n_ctx), since that is what truncates a prompt; a model LM Studio has
 * not loaded yet gets the small window it loads with by default until it is loaded.
 */
export function serverModelInfo(
  kind: Exclude<LocalKind, 'ollama'>,
  m: LocalModel,
  d: ModelDetails | null,
  loadedContext: number | null,
  host: string,
  notLocal: string | null,
): ChatModelInfo {
  const label = BACKENDS[kind].label;
  const context = loadedContext ?? FALLBACK_CONTEXT;
  const facts = [d?.parameterSize ?? m.parameterSize, d?.quantization ?? m.quantization, m.size ? formatBytes(m.size) : null].filter(
    Boolean,
  );
  const window =
    loadedContext !== null
      ? `${context.toLocaleString('en-US')} tokens (as loaded)`
      : `not loaded yet (assuming ${context.toLocaleString('en-US')}; ${BACKENDS[kind].contextHint})`;
  return {
    id: `${kind}/${m.name}`,
    name: m.name,
    family: d?.family ?? m.family ?? kind,
    version: m.name,
    detail: [label, ...facts].join(' · '),
    tooltip:
      `Model served by ${label} at ${host}. Context window: ${window}. ` +
      `Tools: ${d?.capabilities.tools ? 'yes' : 'no'}. Images: ${d?.capabilities.vision ? 'yes' : 'no'}. ${meteredAs(notLocal)}`,
    ...splitContext(context),
    capabilities: { imageInput: d?.capabilities.vision ?? false, toolCalling: d?.capabilities.tools ?? false },
    backend: kind,
    upstream: m.name,
  };
}

function meteredAs(notLocal: string | null): string {
  return notLocal ? `Metered by Unmetered as cloud, not as spend avoided: ${notLocal}.` : 'Metered by Unmetered as local (no cost).';
}

// ---------- cloud models ----------

// Published limits of common families (input = context window minus the output cap where the vendor
// states them together). Anything else gets a conservative default; a cloudModels entry overrides both.
const KNOWN_LIMITS: [RegExp, number, number][] = [
  [/^gpt-5/, 272_000, 128_000],
  [/^gpt-4\.1/, 1_047_576, 32_768],
  [/^(gpt-4o|chatgpt-4o)/, 128_000, 16_384],
  [/^o[134](?:$|-)/, 200_000, 100_000],
  [/^gpt-oss/, 131_072, 32_768],
  [/^claude-(?:opus|sonnet|haiku)-4|^claude-(?:3-7|4)/, 200_000, 64_000],
  [/^gemini-2\.5/, 1_048_576, 65_536],
];
const DEFAULT_LIMITS = { maxInputTokens: 128_000, maxOutputTokens: 8_192 };

function bareModel(id: string): string {
  return id.toLowerCase().slice(id.lastIndexOf('/') + 1);
}

export function cloudModelInfo(s: CloudModelSetting, baseUrl: string): ChatModelInfo {
  const bare = bareModel(s.id);
  const known = KNOWN_LIMITS.find(([re]) => re.test(bare));
  const maxInputTokens = s.maxInputTokens ?? known?.[1] ?? DEFAULT_LIMITS.maxInputTokens;
  const maxOutputTokens = s.maxOutputTokens ?? known?.[2] ?? DEFAULT_LIMITS.maxOutputTokens;
  // OpenAI's current families (o200k_base) all take images; older and unknown ones are not assumed to.
  const imageInput = s.imageInput ?? (encodingFor(bare) === 'o200k_base' || /^(claude|gemini)/.test(bare));
  let host = baseUrl;
  try {
    host = new URL(baseUrl).host;
  } catch {
    // keep the raw string
  }
  return {
    id: `cloud/${s.id}`,
    name: s.name ?? s.id,
    family: bare,
    version: s.id,
    detail: `cloud · ${host}`,
    tooltip: `${s.id} at ${baseUrl} (OpenAI-compatible). Metered by Unmetered with the endpoint's reported usage.`,
    maxInputTokens,
    maxOutputTokens,
    capabilities: { imageInput, toolCalling: s.toolCalling ?? true },
    backend: 'openai',
    upstream: s.id,
  };
}

// /models of OpenAI lists embeddings, speech, image and moderation models too; they cannot chat.
const NOT_CHAT = /embed|whisper|tts|dall-e|davinci|babbage|moderation|image|transcribe|audio|realtime|search|computer-use|sora/i;

export function chatCapableIds(ids: readonly string[]): string[] {
  return ids.filter((id) => !NOT_CHAT.test(id)).sort();
}

// ---------- Auto ----------

export interface RouteState {
  route: 'cloud' | 'local';
  /** The local model chosen in the status bar switch, or null. */
  localModel: string | null;
  /** The server that serves localModel (unmetered.localServer); Ollama when absent. */
  localServer?: LocalKind;
}

/** Where Auto sends a request now, or why it cannot. */
export function resolveAuto(route: RouteState, settings: ChatSettings): { backend: Backend; upstream: string } | { error: string } {
  if (route.route === 'local') {
    if (!route.localModel)
      return {
        error:
          'Unmetered: Auto follows the status bar switch, which is set to local, but no local model is chosen. Pick one with the Unmetered status bar menu.',
      };
    return { backend: route.localServer ?? 'ollama', upstream: route.localModel };
  }
  const cloud = settings.cloudModel ?? settings.cloudModels[0]?.id;
  if (!cloud)
    return {
      error:
        'Unmetered: Auto follows the status bar switch, which is set to cloud, but no cloud model is' +
        ' configured. Set unmetered.chat.cloudModel (e.g. "gpt-4.1").',
    };
  return { backend: 'openai', upstream: cloud };
}

export function autoModelInfo(route: RouteState, settings: ChatSettings, listed: readonly ChatModelInfo[]): ChatModelInfo {
  const target = resolveAuto(route, settings);
  const base: ChatModelInfo | undefined =
    'error' in target
      ? undefined
      : (listed.find((m) => m.backend === target.backend && m.upstream === target.upstream) ??
        (target.backend === 'openai' ? cloudModelInfo({ id: target.upstream }, settings.openaiBaseUrl) : undefined));
  const where = 'error' in target ? 'not set up' : `${route.route} · ${target.upstream}`;
  return {
    id: AUTO_ID,
    name: 'Unmetered: Auto',
    family: 'unmetered-auto',
    version: '1',
    detail: where,
    tooltip:
      `Follows the Unmetered status bar switch: the cloud model (` +
      `${settings.cloudModel ?? 'unmetered.chat.cloudModel'}) when the route is cloud, the chosen local model when it is local. Now: ${where}.`,
    maxInputTokens: base?.maxInputTokens ?? splitContext(FALLBACK_CONTEXT).maxInputTokens,
    maxOutputTokens: base?.maxOutputTokens ?? splitContext(FALLBACK_CONTEXT).maxOutputTokens,
    capabilities: base?.capabilities ?? { imageInput: false, toolCalling: true },
    backend: 'auto',
    upstream: 'error' in target ? '' : target.upstream,
  };
}
