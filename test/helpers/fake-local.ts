/**
 * Loopback stand-ins for the two other local servers, speaking their documented wire formats:
 *
 *   startFakeLmStudio()  LM Studio 0.4: GET /api/v1/models (lmstudio-ai/docs@c6854fba 1_developer/2_rest/list.md),
 *                        GET /v1/models, POST /v1/chat/completions, /v1/responses (3_openai-compat/index.mdx)
 *                        and POST /v1/messages (4_anthropic-compat/messages.md); nothing else (no count_tokens).
 *   startFakeLlamaCpp()  llama-server at the commit node-llama-cpp 3.22.1 ships (ggml-org/llama.cpp de3ff815ea7d,
 *                        tools/server/server.cpp routes; server-context.cpp get_res_models / get_res_props;
 *                        server-task.cpp usage: OpenAI `usage` + `timings`, Anthropic `input_tokens` net of
 *                        `cache_read_input_tokens`, the stream's message_delta carrying output_tokens only).
 *
 * Both reuse fake-vendors.ts's server shell: scripted replies, recorded requests, exact response bytes.
 */
import {
  anthropicError,
  anthropicMessages,
  chatCompletions,
  openaiError,
  pathOf,
  responses,
  startServer,
  type FakeServer,
  type Handler,
  type Reply,
} from './fake-vendors';

export interface FakeLmModel {
  key: string;
  architecture?: string;
  paramsString?: string;
  quantization?: string;
  sizeBytes?: number;
  maxContextLength: number;
  tools: boolean;
  vision?: boolean;
  /** The context_length of its loaded instance; unloaded when absent. */
  loadedContext?: number;
  type?: 'llm' | 'embedding';
}

export interface FakeLmStudio extends FakeServer {
  models: FakeLmModel[];
}

// LM Studio's compatible endpoints report plain usage (no cache detail).
export const LMSTUDIO_CHAT_USAGE = { prompt_tokens: 31, completion_tokens: 7, total_tokens: 38 };
export const LMSTUDIO_MESSAGES_USAGE = { input_tokens: 31, output_tokens: 7 };
export const LMSTUDIO_RESPONSES_USAGE = {
  input_tokens: 31,
  input_tokens_details: { cached_tokens: 0 },
  output_tokens: 7,
  output_tokens_details: { reasoning_tokens: 0 },
  total_tokens: 38,
};

function lmModel(m: FakeLmModel) {
  const llm = (m.type ?? 'llm') === 'llm';
  return {
    type: m.type ?? 'llm',
    publisher: 'lmstudio-community',
    key: m.key,
    display_name: m.key,
    ...(llm ? { architecture: m.architecture ?? 'qwen3moe' } : {}),
    quantization: { name: m.quantization ?? 'Q4_K_M', bits_per_weight: 4 },
    size_bytes: m.sizeBytes ?? 18_556_685_024,
    params_string: m.paramsString ?? '30B',
    loaded_instances: m.loadedContext ? [{ id: m.key, config: { context_length: m.loadedContext } }] : [],
    max_context_length: m.maxContextLength,
    format: 'gguf',
    ...(llm ? { capabilities: { vision: m.vision ?? false, trained_for_tool_use: m.tools }, description: null } : {}),
  };
}

/** `without`: paths this LM Studio does not have (0.4.0 had no /v1/messages: docs api-changelog.md). */
export async function startFakeLmStudio(opts: { models?: FakeLmModel[]; reply?: Reply; without?: string[] } = {}): Promise<FakeLmStudio> {
  const state = { models: opts.models ?? [] };
  const known =
    (h: Handler, shape: (m: string) => unknown): Handler =>
    (req, r, res, io) =>
      state.models.some((m) => m.key === req.json?.model)
        ? h(req, r, res, io)
        : io.json(404, shape(`Model "${req.json?.model}" not found`));
  const oai = (m: string) => openaiError(m, 'invalid_request_error', 'model_not_found');
  const base = await startServer((req) => {
    const p = pathOf(req.path);
    if (req.method === 'GET' && p === '/api/v1/models') return (_q, _r, _res, io) => io.json(200, { models: state.models.map(lmModel) });
    if (req.method === 'GET' && p === '/v1/models')
      return (_q, _r, _res, io) =>
        io.json(200, { object: 'list', data: state.models.map((m) => ({ id: m.key, object: 'model', owned_by: 'organization_owner' })) });
    if (req.method !== 'POST' || opts.without?.includes(p)) return null;
    if (p === '/v1/messages')
      return known(anthropicMessages(undefined, LMSTUDIO_MESSAGES_USAGE), (m) => anthropicError('not_found_error', m));
    if (p === '/v1/chat/completions') return known(chatCompletions(undefined, LMSTUDIO_CHAT_USAGE), oai);
    if (p === '/v1/responses') return known(responses(undefined, LMSTUDIO_RESPONSES_USAGE), oai);
    return null;
  }, opts.reply ?? {});
  const fake: FakeLmStudio = Object.assign(base, { models: state.models });
  return fake;
}

export interface FakeLlamaCpp extends FakeServer {
  /** The alias it serves (`--alias`, else the file name). */
  model: string;
  nCtx: number;
  nCtxTrain: number;
  toolCalls: boolean;
  /** /health answers 503 "Loading model" while true. */
  loading: boolean;
}

// server-task.cpp usage_json_oaicompat and to_json_anthropic: prompt 40 of which 16 came from the cache.
export const LLAMACPP_CHAT_USAGE = {
  completion_tokens: 6,
  prompt_tokens: 40,
  total_tokens: 46,
  prompt_tokens_details: { cached_tokens: 16 },
};
export const LLAMACPP_MESSAGES_USAGE = { cache_read_input_tokens: 16, input_tokens: 24, output_tokens: 6 };
export const LLAMACPP_RESPONSES_USAGE = {
  input_tokens: 40,
  output_tokens: 6,
  total_tokens: 46,
  input_tokens_details: { cached_tokens: 16 },
};

const llamaError = (code: number, type: string, message: string) => ({ error: { code, message, type } });

export async function startFakeLlamaCpp(
  opts: { model?: string; nCtx?: number; nCtxTrain?: number; toolCalls?: boolean; reply?: Reply } = {},
): Promise<FakeLlamaCpp> {
  const state = {
    model: opts.model ?? 'qwen3-coder-30b-a3b-q4_k_m.gguf',
    nCtx: opts.nCtx ?? 65_536,
    nCtxTrain: opts.nCtxTrain ?? 262_144,
    toolCalls: opts.toolCalls ?? true,
    loading: false,
  };
  const props = () => ({
    default_generation_settings: { params: {}, n_ctx: state.nCtx },
    total_slots: 1,
    model_alias: state.model,
    model_path: `/models/${state.model}`,
    modalities: { vision: false, video: false, audio: false },
    chat_template: '{{ messages }}',
    chat_template_caps: { supports_tools: state.toolCalls, supports_tool_calls: state.toolCalls, supports_system_role: true },
    build_info: 'b1-de3ff81',
    is_sleeping: false,
  });
  const info = () => ({
    id: state.model,
    aliases: [],
    tags: [],
    object: 'model',
    created: Math.floor(Date.now() / 1000),
    owned_by: 'llamacpp',
    meta: {
      vocab_type: 2,
      n_vocab: 151_936,
      n_ctx: state.nCtx,
      n_ctx_train: state.nCtxTrain,
      n_embd: 2048,
      n_params: 30_532_122_624,
      size: 18_556_685_024,
      ftype: 15,
    },
  });
  const withTimings =
    (h: Handler): Handler =>
    (req, r, res, io) =>
      h(req, r, res, {
        ...io,
        // llama-server adds its own timings to every OpenAI-compatible final answer.
        json: (status, body, headers) =>
          io.json(status, status === 200 ? { ...(body as object), timings: { cache_n: 16, prompt_n: 24, predicted_n: 6 } } : body, headers),
      });
  const base = await startServer((req) => {
    const p = pathOf(req.path);
    const m = req.method;
    if (m === 'GET' && (p === '/health' || p === '/v1/health'))
      return (_q, _r, _res, io) =>
        state.loading ? io.json(503, llamaError(503, 'unavailable_error', 'Loading model')) : io.json(200, { status: 'ok' });
    if (m === 'GET' && p === '/props') return (_q, _r, _res, io) => io.json(200, props());
    if (m === 'GET' && (p === '/v1/models' || p === '/models'))
      return (_q, _r, _res, io) => io.json(200, { models: [{ name: state.model, model: state.model }], object: 'list', data: [info()] });
    if (m !== 'POST') return null;
    if (p === '/v1/messages') return anthropicMessages(undefined, LLAMACPP_MESSAGES_USAGE);
    if (p === '/v1/messages/count_tokens')
      return (q, _r, _res, io) => io.json(200, { input_tokens: JSON.stringify(q.json ?? {}).length >> 2 });
    if (p === '/v1/chat/completions' || p === '/chat/completions')
      return withTimings(chatCompletions((s, msg) => llamaError(s, 'invalid_request_error', msg), LLAMACPP_CHAT_USAGE));
    if (p === '/v1/responses' || p === '/responses') return responses(undefined, LLAMACPP_RESPONSES_USAGE);
    return null;
  }, opts.reply ?? {});
  return Object.defineProperties(base, {
    model: { get: () => state.model, set: (v: string) => (state.model = v) },
    nCtx: { get: () => state.nCtx, set: (v: number) => (state.nCtx = v) },
    nCtxTrain: { get: () => state.nCtxTrain, set: (v: number) => (state.nCtxTrain = v) },
    toolCalls: { get: () => state.toolCalls, set: (v: boolean) => (state.toolCalls = v) },
    loading: { get: () => state.loading, set: (v: boolean) => (state.loading = v) },
  }) as FakeLlamaCpp;
}
