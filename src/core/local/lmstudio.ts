/**
 * LM Studio's server: its native REST API lists the models on disk with their trained window, tool
 * training and the window each loaded instance was given (GET /api/v1/models: lmstudio-ai/docs@c6854fba
 * 1_developer/2_rest/list.md); agents' requests go to its OpenAI- and Anthropic-compatible endpoints
 * (backend.ts). LM Studio downloads models in its app or with `lms get`: Unmetered does not pull for it.
 */
import { UnmeteredError } from '../errors';
import { BACKENDS, notReachableMessage, type BackendStatus, type LocalBackend } from './backend';
import { arr, getJson, HttpStatusError, isConnectionFailure, num, obj, str, timedFetch } from './http';
import { loadedContext, type LoadedContext, type LocalModel, type ModelDetails } from './ollama';

export interface LmStudioOptions {
  host?: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

interface LmModel {
  model: LocalModel;
  details: ModelDetails;
  /** The window of its first loaded instance; null when not loaded. */
  loaded: number | null;
}

export function createLmStudio(opts: LmStudioOptions = {}): LocalBackend {
  return new LmStudioBackend(opts);
}

class LmStudioBackend implements LocalBackend {
  readonly kind = 'lmstudio' as const;
  readonly info = BACKENDS.lmstudio;
  readonly host: string;
  readonly puller = null;
  readonly pullUnsupported =
    'Unmetered does not download models into LM Studio: get one with `lms get <model>` or in the Discover tab of the LM Studio app.';
  private readonly f: typeof fetch;

  constructor(opts: LmStudioOptions) {
    this.host = (opts.host ?? BACKENDS.lmstudio.defaultHost).replace(/\/+$/, '');
    this.f = timedFetch(opts.fetch ?? fetch, opts.timeoutMs ?? 5_000);
  }

  private async models(): Promise<LmModel[]> {
    let body: unknown;
    try {
      body = await getJson(this.f, `${this.host}/api/v1/models`);
    } catch (err) {
      if (isConnectionFailure(err))
        throw new UnmeteredError('E_LOCAL_UNREACHABLE', notReachableMessage('lmstudio', this.host), { cause: err });
      const why = err instanceof HttpStatusError ? `answered ${err.status}` : (err as Error).message;
      throw new UnmeteredError('E_LOCAL', `LM Studio at ${this.host} ${why} to GET /api/v1/models (LM Studio 0.4 or later serves it).`, {
        cause: err,
      });
    }
    // Embedding models cannot chat: only LLMs are listed.
    return arr(obj(body).models)
      .map(obj)
      .filter((m) => m.type === 'llm' && str(m.key))
      .map(toModel);
  }

  async status(): Promise<BackendStatus> {
    try {
      await this.models();
      return { running: true, host: this.host, version: null };
    } catch (err) {
      return { running: false, host: this.host, error: (err as Error).message };
    }
  }

  async list(): Promise<LocalModel[]> {
    return (await this.models()).map((m) => m.model);
  }

  private async find(name: string): Promise<LmModel> {
    const m = (await this.models()).find((x) => x.model.name === name);
    if (!m)
      throw new UnmeteredError(
        'E_LOCAL_MODEL_NOT_FOUND',
        `LM Studio at ${this.host} has no model "${name}". Get it with \`lms get ${name}\` or in the LM Studio app.`,
      );
    return m;
  }

  async show(name: string): Promise<ModelDetails> {
    return (await this.find(name)).details;
  }

  async loadedContextLength(name: string): Promise<LoadedContext> {
    const m = await this.find(name);
    // LM Studio loads a model on its first request (just-in-time) with the app's default window.
    return m.loaded === null ? { loaded: false, contextLength: null, warning: null } : loadedContext(name, m.loaded, 'lmstudio');
  }
}

function toModel(m: Record<string, unknown>): LmModel {
  const name = str(m.key) ?? '';
  const caps = obj(m.capabilities);
  const quantization = str(obj(m.quantization).name);
  const instance = obj(arr(m.loaded_instances)[0]);
  return {
    model: {
      name,
      size: num(m.size_bytes) ?? 0,
      family: str(m.architecture),
      parameterSize: str(m.params_string),
      quantization,
      modifiedAt: null,
    },
    details: {
      name,
      family: str(m.architecture),
      parameterSize: str(m.params_string),
      quantization,
      contextLength: num(m.max_context_length),
      capabilities: { completion: true, tools: caps.trained_for_tool_use === true, vision: caps.vision === true, thinking: false },
    },
    loaded: num(obj(instance.config).context_length),
  };
}
