/**
 * Chat failures a person can act on. The message is shown in the chat view as is, so it says what
 * happened and what to do about it.
 */
import { UnmeteredError, type ErrorCode } from '../errors';

/** The chat's codes (listed with the others in core/errors.ts). */
export type ChatErrorCode = Extract<ErrorCode, `E_CHAT_${string}`>;

export class ChatError extends UnmeteredError {
  constructor(
    override readonly code: ChatErrorCode,
    message: string,
    options?: { cause?: unknown; status?: number },
  ) {
    super(code, message, options);
    this.name = 'ChatError';
    this.status = options?.status;
  }
  readonly status: number | undefined;
}

/**
 * The network-level reason buried in a fetch error's cause chain: the errno code (ECONNREFUSED,
 * ENOTFOUND, …) when there is one, else undici's description of the deepest cause ("other side closed").
 */
export function networkCode(err: unknown): string | undefined {
  let deepest: string | undefined;
  for (
    let e = err as { code?: unknown; cause?: unknown; message?: unknown } | undefined, depth = 0;
    e && depth < 6;
    e = e.cause as typeof e, depth++
  ) {
    if (typeof e.code === 'string' && /^E[A-Z]+$/.test(e.code)) return e.code;
    if (depth > 0 && typeof e.message === 'string' && e.message) deepest = e.message;
    if (typeof e.code === 'string' && e.code.startsWith('UND_ERR')) deepest = e.message as string;
  }
  return deepest === 'fetch failed' ? undefined : deepest;
}

/** The request never got an HTTP answer: refused, reset, DNS, TLS, socket closed. */
export function isNetworkFailure(err: unknown): boolean {
  for (
    let e = err as { code?: unknown; cause?: unknown; message?: unknown } | undefined, depth = 0;
    e && depth < 6;
    e = e.cause as typeof e, depth++
  ) {
    if (e.message === 'fetch failed') return true;
    if (typeof e.code === 'string' && (/^E[A-Z]+$/.test(e.code) || e.code.startsWith('UND_ERR'))) return true;
  }
  return false;
}

export function isAbort(err: unknown): boolean {
  const name = (err as { name?: unknown } | undefined)?.name;
  return name === 'AbortError' || name === 'APIUserAbortError';
}

export function cancelled(cause?: unknown): ChatError {
  return new ChatError('E_CHAT_CANCELLED', 'The request was cancelled.', { cause });
}
