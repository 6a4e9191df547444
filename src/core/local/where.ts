/**
 * Whether a model served by a local server (Ollama, LM Studio, llama.cpp) really runs on this machine.
 * Any server on a host that is not a loopback address is another machine. Ollama also serves cloud models
 * through the same local API: their names carry a `cloud` tag or a tag ending in `-cloud`
 * (docs.ollama.com/cloud: `gpt-oss:120b-cloud`; docs.ollama.com/cloud/models: "use the :cloud name, such
 * as gemma4:cloud"). And an Ollama host that is not a loopback address is another machine. Neither is
 * local: what they serve is not spend avoided, and the local route does not offer them.
 */
import { BACKENDS, type LocalBackend, type LocalKind } from './backend';
import { MIN_AGENT_CONTEXT, type LocalModel, type ModelDetails } from './ollama';

/** `gpt-oss:120b-cloud`, `gemma4:cloud`, `library/kimi-k2:1t-cloud`. */
export function isCloudModel(name: string): boolean {
  const tag = name.slice(name.lastIndexOf('/') + 1).split(':')[1];
  return tag !== undefined && (tag === 'cloud' || tag.endsWith('-cloud'));
}

/** localhost, 127.0.0.0/8, ::1 (and an unparsable host, which cannot be reached anyway, counts as not loopback). */
export function isLoopbackHost(host: string): boolean {
  let h: string;
  try {
    h = new URL(host).hostname.toLowerCase();
  } catch {
    return false;
  }
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

/**
 * Why `model` at `host` is not local, or null when it is. Only Ollama names cloud models by tag; LM Studio
 * and llama-server run what they serve on the machine they run on.
 */
export function notLocalReason(model: string, host: string, kind: LocalKind = 'ollama'): string | null {
  if (kind === 'ollama' && isCloudModel(model)) return `${model} runs in Ollama's cloud, not on this machine`;
  if (!isLoopbackHost(host)) return `the ${BACKENDS[kind].label} host ${host} is another machine`;
  return null;
}

/** Why a model is not offered for the local route, or null when it is (tools, a large enough window, really local). */
export function notOfferedReason(model: string, host: string, details: ModelDetails | null, kind: LocalKind = 'ollama'): string | null {
  const remote = notLocalReason(model, host, kind);
  if (remote) return remote;
  if (!details) return null;
  if (!details.capabilities.tools) return 'no tool support (coding agents call tools)';
  if (details.contextLength !== null && details.contextLength < MIN_AGENT_CONTEXT)
    return `a ${details.contextLength.toLocaleString('en-US')}-token context window (agents need ${MIN_AGENT_CONTEXT.toLocaleString('en-US')})`;
  return null;
}

export interface Candidate {
  model: LocalModel;
  /** Why it is not offered for the local route; null when it is. */
  reason: string | null;
}

/**
 * The installed models judged for the local route (notOfferedReason), asking the server for at most four
 * models' details at a time. A model whose details cannot be read is offered: nothing says it cannot serve.
 */
export async function localCandidates(
  server: Pick<LocalBackend, 'show' | 'host' | 'kind'>,
  models: readonly LocalModel[],
): Promise<Candidate[]> {
  const out: Candidate[] = new Array<Candidate>(models.length);
  let next = 0;
  const worker = async () => {
    while (next < models.length) {
      const k = next++;
      const m = models[k]!;
      const remote = notLocalReason(m.name, server.host, server.kind);
      const details = remote ? null : await server.show(m.name).catch(() => null);
      out[k] = { model: m, reason: remote ?? notOfferedReason(m.name, server.host, details, server.kind) };
    }
  };
  await Promise.all(Array.from({ length: Math.min(4, models.length) }, worker));
  return out;
}
