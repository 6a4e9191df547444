/** Making a back-end by kind, and finding which local servers answer on their configured addresses. */
import { LOCAL_KINDS, type BackendStatus, type LocalBackend, type LocalKind } from './backend';
import { createLlamaCpp } from './llamacpp';
import { createLmStudio } from './lmstudio';
import { createOllama } from './ollama';

/** Where each server is looked for; each defaults to its loopback port (BACKENDS[kind].defaultHost). */
export type LocalHosts = Record<LocalKind, string>;

export interface BackendOptions {
  fetch?: typeof fetch;
  timeoutMs?: number;
}

export function createBackend(kind: LocalKind, host: string, opts: BackendOptions = {}): LocalBackend {
  if (kind === 'lmstudio') return createLmStudio({ host, ...opts });
  if (kind === 'llamacpp') return createLlamaCpp({ host, ...opts });
  return createOllama({ host, ...opts });
}

export interface Detected {
  backend: LocalBackend;
  status: BackendStatus;
}

/**
 * Asks every server at once whether it runs (a short time limit each: a closed port answers at once, a
 * silent one must not hold the menu), in the order Ollama, LM Studio, llama.cpp.
 */
export async function detectBackends(hosts: LocalHosts, opts: BackendOptions = {}): Promise<Detected[]> {
  return Promise.all(
    LOCAL_KINDS.map(async (kind) => {
      const backend = createBackend(kind, hosts[kind], { timeoutMs: 1_500, ...opts });
      return { backend, status: await backend.status() };
    }),
  );
}
