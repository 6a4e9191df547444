/** Errors carry a code and a cause, and say what was expected and what arrived. */

/** Every code an UnmeteredError carries: callers branch on these, so a new one is added here first. */
export type ErrorCode =
  | 'E_CANCELLED' // the person cancelled (a progress notification, a pull)
  | 'E_GATEWAY_SECRET' // the gateway's secret file cannot be read or made
  | 'E_INTERACTION' // a record is not a valid Interaction
  | 'E_LEDGER_APPEND' // a batch could not be written
  | 'E_LEDGER_CLOSED' // the ledger was used after close()
  | 'E_LEDGER_DIR' // the data directory cannot be used
  | 'E_LEDGER_NOT_LOADED' // a lazily opened ledger was read before load()
  | 'E_LEDGER_LINE' // a ledger line cannot be encoded or decoded
  | 'E_LEDGER_READ' // a segment cannot be read
  | 'E_LEDGER_VERSION' // a segment written by a newer format
  | 'E_LEDGER_WRITE' // a write or flush to disk failed
  | 'E_OLLAMA' // Ollama answered with an error
  | 'E_OLLAMA_MODEL_NOT_FOUND' // Ollama has no such model
  | 'E_OLLAMA_PULL' // a pull failed
  | 'E_OLLAMA_UNREACHABLE' // nothing listens at the Ollama host
  | 'E_LOCAL' // LM Studio or llama-server answered with an error
  | 'E_LOCAL_ANSWER' // a local server answered outside its documented shape
  | 'E_LOCAL_MODEL_NOT_FOUND' // the local server has no such model
  | 'E_LOCAL_UNREACHABLE' // nothing listens at the local server's host
  | 'E_PRICES' // the price snapshot or an override is unusable
  | 'E_SALT' // the pseudonym key cannot be read or made
  | 'E_SUMMARY' // a weekly summary cannot be built
  | 'E_TOKENIZER' // the tokenizer cannot be loaded
  | 'E_WEEK' // a week id or week start is invalid
  | 'E_CHAT_UNREACHABLE' // nothing listens at the chat host / base URL
  | 'E_CHAT_MODEL_NOT_FOUND' // the chat server has no such model
  | 'E_CHAT_AUTH' // 401/403 from the chat endpoint
  | 'E_CHAT_CANCELLED' // the person stopped the chat request
  | 'E_CHAT_BAD_RESPONSE' // the chat server answered outside its documented wire format
  | 'E_CHAT_UPSTREAM'; // any other error the chat server reported (rate limit, 5xx, bad request)

export class UnmeteredError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'UnmeteredError';
  }
}

/**
 * The one way to turn a caught value into words for a log line or a notification: an Error's message,
 * else the thrown value itself (a string, a number) as text.
 */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'string') return err;
  try {
    return String(err);
  } catch {
    return 'unknown error';
  }
}
