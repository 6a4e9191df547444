/**
 * llama.cpp's `llama-server`: it serves the one model it was started with (`-m file.gguf`). Its routes, at
 * the commit node-llama-cpp 3.22.1 ships (llama/gitRelease.bundle de3ff815ea7d; ggml-org/llama.cpp
 * tools/server/server.cpp): GET /health ({"status":"ok"}, 503 while loading), GET /v1/models (data[].id and
 * data[].meta.{n_ctx, n_ctx_train, size, n_params}: server-context.cpp get_res_model_info), GET /props
 * (default_generation_settings.n_ctx, the window of one slot; chat_template_caps.supports_tool_calls;
 * build_info: get_res_props), and the OpenAI Chat/Responses and Anthropic Messages endpoints. It cannot pull.
 */
import { UnmeteredError } from '../errors';
import { BACKENDS, notReachableMessage, type BackendStatus, type LocalBackend } from './backend';
import { arr, getJson, HttpStatusError, isConnectionFailure, num, obj, str, timedFetch } from './http';
import { loadedContext, type LoadedContext, type LocalModel, type ModelDetails } from './ollama';

export interface LlamaCppOptions {
  host?: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

export function createLlamaCpp(opts: LlamaCppOptions = {}): LocalBackend {
  return new LlamaCppBackend(opts);
}

class LlamaCppBackend implements LocalBackend {
  readonly kind = 'llamacpp' as const;
  readonly info = BACKENDS.llamacpp;
  readonly host: string;
  readonly puller = null;
  readonly pullUnsupported =
    'llama-server serves the one model it was started with and cannot pull: restart it with `-m <model.gguf>` (or `-hf <repo>`) to serve another.';
  private readonly f: typeof fetch;

  constructor(opts: LlamaCppOptions) {
    this.host = (opts.host ?? BACKENDS.llamacpp.defaultHost).replace(/\/+$/, '');
    this.f = timedFetch(opts.fetch ?? fetch, opts.timeoutMs ?? 5_000);
  }

  private async get(path: string): Promise<Record<string, unknown>> {
    try {
      return obj(await getJson(this.f, `${this.host}${path}`));
    } catch (err) {
      if (isConnectionFailure(err))
        throw new UnmeteredError('E_LOCAL_UNREACHABLE', notReachableMessage('llamacpp', this.host), { cause: err });
      const why = err instanceof HttpStatusError ? `answered ${err.status}` : (err as Error).message;
      const loading = err instanceof HttpStatusError && err.status === 503 ? ' (it is still loading its model)' : '';
      throw new UnmeteredError('E_LOCAL', `llama-server at ${this.host} ${why} to GET ${path}${loading}.`, { cause: err });
    }
  }

  async status(): Promise<BackendStatus> {
    try {
      const health = await this.get('/health');
      if (health.status !== 'ok') throw new Error(`its /health says ${JSON.stringify(health).slice(0, 100)}`);
      const props = await this.get('/props');
      return { running: true, host: this.host, version: str(props.build_info) };
    } catch (err) {
      return { running: false, host: this.host, error: (err as Error).message };
    }
  }

  async list(): Promise<LocalModel[]> {
    const body = await this.get('/v1/models');
    return arr(body.data)
      .map(obj)
      .filter((m) => str(m.id))
      .map((m) => {
        const meta = obj(m.meta);
        return {
          name: str(m.id) ?? '',
          size: num(meta.size) ?? 0,
          family: null,
          parameterSize: params(num(meta.n_params)),
          quantization: null,
          modifiedAt: null,
        };
      });
  }

  async show(name: string): Promise<ModelDetails> {
    const [models, props] = await Promise.all([this.get('/v1/models'), this.get('/props')]);
    const m = arr(models.data)
      .map(obj)
      .find((x) => x.id === name);
    if (!m)
      throw new UnmeteredError(
        'E_LOCAL_MODEL_NOT_FOUND',
        `llama-server at ${this.host} serves no model "${name}". ${this.pullUnsupported}`,
      );
    const meta = obj(m.meta);
    const caps = obj(props.chat_template_caps);
    const modalities = obj(props.modalities);
    return {
      name,
      family: null,
      parameterSize: params(num(meta.n_params)),
      quantization: null,
      contextLength: num(meta.n_ctx_train),
      capabilities: {
        completion: true,
        // Tool calls need a chat template that renders them (server started with --jinja).
        tools: caps.supports_tool_calls === true || caps.supports_tools === true,
        vision: modalities.vision === true,
        thinking: false,
      },
    };
  }

  async loadedContextLength(name: string): Promise<LoadedContext> {
    const props = await this.get('/props');
    // Each parallel slot gets its share of --ctx-size: one request sees one slot's window.
    return loadedContext(name, num(obj(props.default_generation_settings).n_ctx), 'llamacpp');
  }
}

/** 1_543_714_304 → "1.5B", as the other servers print parameter counts. */
function params(n: number | null): string | null {
  if (n === null) return null;
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)}B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  return `${Math.round(n / 1e3)}K`;
}
