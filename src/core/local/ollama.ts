/**
 * Ollama, through the official `ollama` client: is it running, which models are installed, what a model
 * can do, how large a context it was loaded with, and pulling a model with progress.
 *
 * Every failure becomes an UnmeteredError whose message says what is wrong and what to do, so callers
 * (status bar, gateway, chat provider, CLI) can show it as is.
 */
import { Ollama } from 'ollama';
import { UnmeteredError } from '../errors';
import { BACKENDS, smallWindowMessage, type LocalBackend, type LocalKind, type Puller } from './backend';
import { isConnectionFailure, timedFetch } from './http';

export const DEFAULT_OLLAMA_HOST = 'http://127.0.0.1:11434';
/** Coding agents send long system prompts and tool schemas; below this they are silently truncated. */
export const MIN_AGENT_CONTEXT = 65_536;

export type OllamaStatus = { running: true; host: string; version: string } | { running: false; host: string; error: string };

export interface LocalModel {
  name: string;
  /** Bytes on disk. */
  size: number;
  family: string | null;
  parameterSize: string | null;
  quantization: string | null;
  modifiedAt: string | null;
}

export interface ModelCapabilities {
  completion: boolean;
  tools: boolean;
  vision: boolean;
  thinking: boolean;
}

export interface ModelDetails {
  name: string;
  family: string | null;
  parameterSize: string | null;
  quantization: string | null;
  /** The longest context the model was trained for (`<arch>.context_length`); null when not reported. */
  contextLength: number | null;
  capabilities: ModelCapabilities;
}

export interface LoadedContext {
  /** False when the model is not in memory right now (Ollama loads it on the next request). */
  loaded: boolean;
  /** Tokens actually allocated for the loaded model; null when not loaded or not reported. */
  contextLength: number | null;
  /** Set when the allocated window is below MIN_AGENT_CONTEXT: what is wrong and how to raise it. */
  warning: string | null;
}

export interface PullProgress {
  /** Ollama's status line: "pulling manifest", "pulling <digest>", "verifying sha256 digest", "success", … */
  status: string;
  /** The layer being downloaded, when the status is about one. */
  layer: { digest: string; completed: number; total: number; percent: number } | null;
  /** Bytes over all layers seen so far. */
  completed: number;
  total: number;
  /** Whole-pull percentage (0–100) over the layers seen so far; null before the first layer. */
  percent: number | null;
}

export interface OllamaOptions {
  host?: string;
  /** For tests and for environments with their own fetch. */
  fetch?: typeof fetch;
  /** Time limit for the quick calls (version, tags, show, ps). Pulls have none: they can take hours. */
  timeoutMs?: number;
}

export interface LocalOllama extends LocalBackend {
  readonly host: string;
  status(): Promise<OllamaStatus>;
  list(): Promise<LocalModel[]>;
  show(name: string): Promise<ModelDetails>;
  loadedContextLength(name: string): Promise<LoadedContext>;
  pull(name: string, onProgress: (p: PullProgress) => void, signal?: AbortSignal): Promise<void>;
}

export function notRunningMessage(host: string): string {
  return (
    `Ollama is not running at ${host}. Start it with \`ollama serve\` (or open the Ollama app); ` +
    `if it is not installed, get it from https://ollama.com/download. If it runs elsewhere, set unmetered.ollama.host.`
  );
}

export function notPulledMessage(model: string, host: string): string {
  return `The model "${model}" is not installed in Ollama at ${host}. Pull it with \`ollama pull ${model}\` or the "Unmetered: Pull a model…" command.`;
}

export function smallContextMessage(model: string, contextLength: number, kind: LocalKind = 'ollama'): string {
  return smallWindowMessage(kind, model, contextLength, MIN_AGENT_CONTEXT);
}

/** Ollama answers "model 'x' not found" (native) or "model \"x\" not found, try pulling it first" (compat). */
export function isModelNotFound(message: string): boolean {
  return /model\s+['"]?[^'"]*['"]?\s+not found/i.test(message) || /not found, try pulling/i.test(message);
}

function str(v: unknown): string | null {
  return typeof v === 'string' && v.length > 0 ? v : null;
}

export function createOllama(opts: OllamaOptions = {}): LocalOllama {
  return new OllamaBackend(opts);
}

/** Ollama's native API (docs/api.md) through the official client; every failure becomes an UnmeteredError. */
class OllamaBackend implements LocalOllama, LocalBackend, Puller {
  readonly kind = 'ollama' as const;
  readonly info = BACKENDS.ollama;
  readonly host: string;
  readonly puller = this;
  readonly pullUnsupported = null;
  private readonly baseFetch: typeof fetch;
  // The client's GET calls take no signal, so a time limit has to be added at the fetch level.
  private readonly quick: Ollama;

  constructor(opts: OllamaOptions) {
    this.host = (opts.host ?? DEFAULT_OLLAMA_HOST).replace(/\/+$/, '');
    this.baseFetch = opts.fetch ?? fetch;
    this.quick = new Ollama({ host: this.host, fetch: timedFetch(this.baseFetch, opts.timeoutMs ?? 5_000) });
  }

  private fail(err: unknown, model?: string): never {
    if (err instanceof UnmeteredError) throw err;
    if (isConnectionFailure(err)) throw new UnmeteredError('E_OLLAMA_UNREACHABLE', notRunningMessage(this.host), { cause: err });
    const message = err instanceof Error ? err.message : String(err);
    if (model && isModelNotFound(message))
      throw new UnmeteredError('E_OLLAMA_MODEL_NOT_FOUND', notPulledMessage(model, this.host), { cause: err });
    throw new UnmeteredError('E_OLLAMA', `Ollama at ${this.host} answered with an error: ${message}`, { cause: err });
  }

  async status(): Promise<OllamaStatus> {
    try {
      const v = await this.quick.version();
      return { running: true, host: this.host, version: String(v.version ?? 'unknown') };
    } catch (err) {
      const error = isConnectionFailure(err)
        ? notRunningMessage(this.host)
        : `Something at ${this.host} answered, but not like Ollama (${err instanceof Error ? err.message : String(err)}). Check unmetered.ollama.host.`;
      return { running: false, host: this.host, error };
    }
  }

  async list(): Promise<LocalModel[]> {
    try {
      const r = await this.quick.list();
      return (r.models ?? []).map((m) => ({
        name: m.name ?? m.model,
        size: typeof m.size === 'number' ? m.size : 0,
        family: str(m.details?.family),
        parameterSize: str(m.details?.parameter_size),
        quantization: str(m.details?.quantization_level),
        modifiedAt: m.modified_at ? String(m.modified_at) : null,
      }));
    } catch (err) {
      return this.fail(err);
    }
  }

  async show(name: string): Promise<ModelDetails> {
    try {
      const r = await this.quick.show({ model: name });
      // ollama-js 0.6.4 declares model_info as a Map; at run time it is the parsed JSON object.
      const caps = new Set(r.capabilities ?? []);
      return {
        name,
        family: str(r.details?.family),
        parameterSize: str(r.details?.parameter_size),
        quantization: str(r.details?.quantization_level),
        contextLength: trainedContext((r.model_info ?? {}) as unknown as Record<string, unknown>),
        capabilities: {
          completion: caps.has('completion'),
          tools: caps.has('tools'),
          vision: caps.has('vision'),
          thinking: caps.has('thinking'),
        },
      };
    } catch (err) {
      return this.fail(err, name);
    }
  }

  async loadedContextLength(name: string): Promise<LoadedContext> {
    let running;
    try {
      running = await this.quick.ps();
    } catch (err) {
      return this.fail(err);
    }
    const want = withTag(name);
    const m = (running.models ?? []).find((x) => withTag(x.name) === want || withTag(x.model) === want);
    if (!m) return { loaded: false, contextLength: null, warning: null };
    const ctx = (m as unknown as { context_length?: unknown }).context_length;
    return loadedContext(name, typeof ctx === 'number' && ctx > 0 ? ctx : null);
  }

  async pull(name: string, onProgress: (p: PullProgress) => void, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) throw cancelled(name);
    // A pull client of its own, so the caller's signal also aborts the initial request, not only the stream.
    const base = this.baseFetch;
    const pullFetch: typeof fetch = (input, init) =>
      base(input, { ...init, signal: signal && init?.signal ? AbortSignal.any([signal, init.signal]) : (signal ?? init?.signal) });
    const client = new Ollama({ host: this.host, fetch: pullFetch });
    let stream;
    try {
      stream = await client.pull({ model: name, stream: true });
    } catch (err) {
      if (signal?.aborted) throw cancelled(name);
      return this.fail(err, name);
    }
    const onAbort = () => stream.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const progress = pullProgress();
      for await (const p of stream) onProgress(progress(p));
    } catch (err) {
      if (signal?.aborted) throw cancelled(name);
      if (isConnectionFailure(err)) return this.fail(err);
      // An `{"error": …}` line in the stream: surface Ollama's words as they came.
      const message = err instanceof Error ? err.message : String(err);
      throw new UnmeteredError(
        isModelNotFound(message) ? 'E_OLLAMA_MODEL_NOT_FOUND' : 'E_OLLAMA_PULL',
        `Pulling ${name} failed: ${message}`,
        {
          cause: err,
        },
      );
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }
}

/** `<arch>.context_length` from /api/show's model_info, or any `*.context_length` when the architecture is not named. */
function trainedContext(info: Record<string, unknown>): number | null {
  const arch = typeof info['general.architecture'] === 'string' ? info['general.architecture'] : null;
  const direct = arch ? info[`${arch}.context_length`] : undefined;
  if (typeof direct === 'number') return direct;
  const key = Object.keys(info).find((k) => k.endsWith('.context_length') && typeof info[k] === 'number');
  return key ? (info[key] as number) : null;
}

/** A loaded model's window, with the warning when it is too small for an agent. */
export function loadedContext(name: string, contextLength: number | null, kind: LocalKind = 'ollama'): LoadedContext {
  return {
    loaded: true,
    contextLength,
    warning: contextLength !== null && contextLength < MIN_AGENT_CONTEXT ? smallContextMessage(name, contextLength, kind) : null,
  };
}

/** Folds Ollama's per-layer pull lines into whole-pull progress. */
function pullProgress(): (p: { status: string; digest?: string; total?: number; completed?: number }) => PullProgress {
  const layers = new Map<string, { completed: number; total: number }>();
  return (p) => {
    let layer: PullProgress['layer'] = null;
    if (p.digest && typeof p.total === 'number' && p.total > 0) {
      const completed = typeof p.completed === 'number' ? p.completed : 0;
      layers.set(p.digest, { completed, total: p.total });
      layer = { digest: p.digest, completed, total: p.total, percent: percent(completed, p.total) };
    }
    let completed = 0;
    let total = 0;
    for (const l of layers.values()) {
      completed += l.completed;
      total += l.total;
    }
    return { status: p.status, layer, completed, total, percent: total > 0 ? percent(completed, total) : null };
  };
}

function cancelled(name: string): UnmeteredError {
  return new UnmeteredError('E_CANCELLED', `Pulling ${name} was cancelled.`);
}

function percent(completed: number, total: number): number {
  return Math.min(100, Math.floor((completed / total) * 1000) / 10);
}

/** Ollama lists "qwen3-coder:latest" for a model pulled as "qwen3-coder". */
function withTag(name: string): string {
  const lastSegment = name.slice(name.lastIndexOf('/') + 1);
  return lastSegment.includes(':') ? name : `${name}:latest`;
}
