/**
 * Gateway and Ollama settings: types, defaults and a normaliser (the schema lives in package.json,
 * reading happens in the extension or the CLI). A bad value falls back to the default with a warning
 * saying what was expected and what arrived.
 */
import type { Route } from '../interaction';
import type { Normalised } from '../normalise';
import { DEFAULT_OLLAMA_HOST } from '../local/ollama';
import { BACKENDS, isLocalKind, type LocalKind } from '../local/backend';

/** Chosen to stay clear of common dev servers (3000, 4000, 5173, 8000, 8080, wrangler's 8787, Ollama's 11434). */
export const DEFAULT_GATEWAY_PORT = 8719;
const DEFAULT_ANTHROPIC_UPSTREAM = 'https://api.anthropic.com';
const DEFAULT_OPENAI_UPSTREAM = 'https://api.openai.com';

export interface GatewaySettings {
  ollamaHost: string;
  port: number;
  anthropicUpstream: string;
  openaiUpstream: string;
  route: Route;
  localModel: string | null;
  /** The local server that serves localModel. */
  localServer: LocalKind;
  lmstudioHost: string;
  llamacppHost: string;
}

export interface RawGatewaySettings {
  localServer?: unknown;
  'lmstudio.host'?: unknown;
  'llamacpp.host'?: unknown;
  'ollama.host'?: unknown;
  'gateway.port'?: unknown;
  'gateway.anthropicUpstream'?: unknown;
  'gateway.openaiUpstream'?: unknown;
  route?: unknown;
  localModel?: unknown;
}

const show = (v: unknown) => JSON.stringify(v)?.slice(0, 100) ?? String(v);

/**
 * An http(s) base URL without a trailing slash. A trailing `/v1` is dropped because the gateway
 * forwards the client's own `/v1/...` path (people paste "https://api.openai.com/v1").
 */
export function normaliseBaseUrl(setting: string, v: unknown, fallback: string): Normalised<string> {
  if (v === undefined || v === null || v === '') return { value: fallback, warnings: [] };
  let u: URL | null = null;
  if (typeof v === 'string') {
    try {
      u = new URL(v.trim());
    } catch {
      u = null;
    }
  }
  if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:') || u.search || u.hash) {
    return {
      value: fallback,
      warnings: [`${setting}: expected an http:// or https:// URL such as ${JSON.stringify(fallback)}, got ${show(v)}; using ${fallback}`],
    };
  }
  const path = u.pathname.replace(/\/+$/, '').replace(/\/v1$/, '');
  return { value: `${u.origin}${path}`, warnings: [] };
}

function normalisePort(setting: string, v: unknown, fallback: number): Normalised<number> {
  if (v === undefined || v === null || v === '') return { value: fallback, warnings: [] };
  const n = typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1024 || n > 65535) {
    return { value: fallback, warnings: [`${setting}: expected a port number from 1024 to 65535, got ${show(v)}; using ${fallback}`] };
  }
  return { value: n, warnings: [] };
}

function normaliseRoute(v: unknown): Normalised<Route> {
  if (v === undefined || v === null || v === '' || v === 'cloud') return { value: 'cloud', warnings: [] };
  if (v === 'local') return { value: 'local', warnings: [] };
  return { value: 'cloud', warnings: [`unmetered.route: expected "cloud" or "local", got ${show(v)}; using "cloud"`] };
}

/** An Ollama model name as `ollama pull` accepts it: [host/][namespace/]name[:tag]. */
export function isModelName(v: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9._/-]*(?::[A-Za-z0-9._-]+)?$/.test(v) && v.length <= 200;
}

function normaliseLocalModel(v: unknown): Normalised<string | null> {
  if (v === undefined || v === null || v === '') return { value: null, warnings: [] };
  if (typeof v !== 'string' || !isModelName(v.trim())) {
    return {
      value: null,
      warnings: [`unmetered.localModel: expected a model name such as "qwen3-coder:30b", got ${show(v)}; no local model is chosen`],
    };
  }
  return { value: v.trim(), warnings: [] };
}

/** unmetered.gateway.listen: listen only while something is routed through the gateway, or always. */
export type GatewayListen = 'whenRouted' | 'always';

export function normaliseGatewayListen(v: unknown): Normalised<GatewayListen> {
  if (v === undefined || v === null || v === '' || v === 'whenRouted') return { value: 'whenRouted', warnings: [] };
  if (v === 'always') return { value: 'always', warnings: [] };
  return {
    value: 'whenRouted',
    warnings: [`unmetered.gateway.listen: expected "whenRouted" or "always", got ${show(v)}; using "whenRouted"`],
  };
}

function normaliseLocalServer(v: unknown): Normalised<LocalKind> {
  if (v === undefined || v === null || v === '') return { value: 'ollama', warnings: [] };
  if (isLocalKind(v)) return { value: v, warnings: [] };
  return {
    value: 'ollama',
    warnings: [`unmetered.localServer: expected "ollama", "lmstudio" or "llamacpp", got ${show(v)}; using "ollama"`],
  };
}

/** The base URL of each local server, from the settings. */
export function localHosts(s: Pick<GatewaySettings, 'ollamaHost' | 'lmstudioHost' | 'llamacppHost'>): Record<LocalKind, string> {
  return { ollama: s.ollamaHost, lmstudio: s.lmstudioHost, llamacpp: s.llamacppHost };
}

export function normaliseGatewaySettings(raw: RawGatewaySettings): Normalised<GatewaySettings> {
  const server = normaliseLocalServer(raw.localServer);
  const lms = normaliseBaseUrl('unmetered.lmstudio.host', raw['lmstudio.host'], BACKENDS.lmstudio.defaultHost);
  const lcpp = normaliseBaseUrl('unmetered.llamacpp.host', raw['llamacpp.host'], BACKENDS.llamacpp.defaultHost);
  const host = normaliseBaseUrl('unmetered.ollama.host', raw['ollama.host'], DEFAULT_OLLAMA_HOST);
  const port = normalisePort('unmetered.gateway.port', raw['gateway.port'], DEFAULT_GATEWAY_PORT);
  const a = normaliseBaseUrl('unmetered.gateway.anthropicUpstream', raw['gateway.anthropicUpstream'], DEFAULT_ANTHROPIC_UPSTREAM);
  const o = normaliseBaseUrl('unmetered.gateway.openaiUpstream', raw['gateway.openaiUpstream'], DEFAULT_OPENAI_UPSTREAM);
  const route = normaliseRoute(raw.route);
  const model = normaliseLocalModel(raw.localModel);
  return {
    value: {
      ollamaHost: host.value,
      port: port.value,
      anthropicUpstream: a.value,
      openaiUpstream: o.value,
      route: route.value,
      localModel: model.value,
      localServer: server.value,
      lmstudioHost: lms.value,
      llamacppHost: lcpp.value,
    },
    warnings: [
      ...host.warnings,
      ...port.warnings,
      ...a.warnings,
      ...o.warnings,
      ...route.warnings,
      ...model.warnings,
      ...server.warnings,
      ...lms.warnings,
      ...lcpp.warnings,
    ],
  };
}
