/** The quick JSON calls the local back-ends make: a time limit each, and a connection failure told apart. */
import { UnmeteredError } from '../errors';

/** Whether `err` (or one of its causes) means nothing answered at the address. */
export function isConnectionFailure(err: unknown): boolean {
  const seen = new Set<unknown>();
  for (let e: unknown = err; e && !seen.has(e); e = (e as { cause?: unknown }).cause) {
    seen.add(e);
    const code = (e as { code?: string }).code;
    if (
      code &&
      /^(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT|UND_ERR_CONNECT_TIMEOUT|UND_ERR_SOCKET)$/.test(code)
    )
      return true;
    if ((e as Error).name === 'TimeoutError') return true;
    if ((e as Error).message === 'fetch failed') return true;
  }
  return false;
}

/** A fetch whose every call ends after `timeoutMs`, on top of any signal of the caller's. */
export function timedFetch(base: typeof fetch, timeoutMs: number): typeof fetch {
  return (input, init) =>
    base(input, {
      ...init,
      signal: init?.signal ? AbortSignal.any([init.signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs),
    });
}

/** Answers larger than this are not a model list: refused rather than parsed. */
const MAX_JSON = 4 * 1024 * 1024;

export class HttpStatusError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(`HTTP ${status}${body ? `: ${body.slice(0, 300)}` : ''}`);
  }
}

/** GETs `url` and parses its JSON body; throws HttpStatusError on a non-2xx answer. */
export async function getJson(f: typeof fetch, url: string, headers?: Record<string, string>): Promise<unknown> {
  const r = await f(url, { headers: { accept: 'application/json', ...headers } });
  const text = await r.text();
  if (text.length > MAX_JSON)
    throw new UnmeteredError('E_LOCAL_ANSWER', `${url} answered ${text.length} bytes, more than a model list has`);
  if (!r.ok) throw new HttpStatusError(r.status, text);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new UnmeteredError('E_LOCAL_ANSWER', `${url} did not answer JSON (${text.slice(0, 120)})`);
  }
}

export const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : null);
export const str = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : null);
export const obj = (v: unknown): Record<string, unknown> =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
export const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
