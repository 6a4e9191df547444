/**
 * Errors the gateway itself produces, in the shape of the API the client speaks, so the client shows
 * our message where it would show the vendor's. Messages say what is wrong and what to do.
 */
export type ErrorShape = 'anthropic' | 'openai';

export type GatewayErrorKind =
  | 'forbidden' // browser origin or non-loopback Host
  | 'bad_request' // unreadable JSON, missing model
  | 'too_large'
  | 'not_found' // no such endpoint
  | 'no_local_model'
  | 'model_not_pulled'
  | 'context_too_small'
  | 'ollama_unreachable'
  | 'ollama_error'
  | 'local_api_unsupported' // the local server does not serve the client's API
  | 'upstream_unreachable'
  | 'budget_exceeded'; // an Unmetered budget set to refuse is used up

const STATUS: Record<GatewayErrorKind, number> = {
  forbidden: 403,
  bad_request: 400,
  too_large: 413,
  not_found: 404,
  no_local_model: 400,
  model_not_pulled: 404,
  context_too_small: 400,
  ollama_unreachable: 502,
  ollama_error: 502,
  local_api_unsupported: 404,
  upstream_unreachable: 502,
  // 402, not 429: Claude Code and Codex retry a 429 (Codex then shows only "retry limit reached", not the
  // body; codex-rs/codex-api/src/api_bridge.rs), and a retried cap is the same cap. Anthropic documents
  // 402 billing_error (docs.anthropic.com/en/api/errors); OpenAI's quota error type is insufficient_quota.
  budget_exceeded: 402,
};

// Anthropic's documented error types.
const ANTHROPIC_TYPE: Record<GatewayErrorKind, string> = {
  forbidden: 'permission_error',
  bad_request: 'invalid_request_error',
  too_large: 'request_too_large',
  not_found: 'not_found_error',
  no_local_model: 'invalid_request_error',
  model_not_pulled: 'not_found_error',
  context_too_small: 'invalid_request_error',
  ollama_unreachable: 'api_error',
  ollama_error: 'api_error',
  local_api_unsupported: 'not_found_error',
  upstream_unreachable: 'api_error',
  budget_exceeded: 'billing_error',
};

// OpenAI's `type` and `code` fields; `context_length_exceeded` and `model_not_found` are OpenAI's own codes.
const OPENAI_TYPE: Record<GatewayErrorKind, [string, string]> = {
  forbidden: ['invalid_request_error', 'forbidden'],
  bad_request: ['invalid_request_error', 'invalid_request'],
  too_large: ['invalid_request_error', 'request_too_large'],
  not_found: ['invalid_request_error', 'unknown_url'],
  no_local_model: ['invalid_request_error', 'no_local_model'],
  model_not_pulled: ['invalid_request_error', 'model_not_found'],
  context_too_small: ['invalid_request_error', 'context_length_exceeded'],
  ollama_unreachable: ['api_error', 'ollama_unreachable'],
  ollama_error: ['api_error', 'ollama_error'],
  local_api_unsupported: ['invalid_request_error', 'unknown_url'],
  upstream_unreachable: ['api_error', 'upstream_unreachable'],
  budget_exceeded: ['insufficient_quota', 'insufficient_quota'],
};

export interface GatewayError {
  status: number;
  body: string;
}

export function gatewayError(shape: ErrorShape, kind: GatewayErrorKind, message: string): GatewayError {
  const body =
    shape === 'anthropic'
      ? { type: 'error', error: { type: ANTHROPIC_TYPE[kind], message } }
      : { error: { message, type: OPENAI_TYPE[kind][0], param: null, code: OPENAI_TYPE[kind][1] } };
  return { status: STATUS[kind], body: JSON.stringify(body) };
}

/** The message inside an error body of either shape (or Ollama's `{error: "…"}`), for rewording. */
export function errorMessageOf(body: string): string {
  try {
    const v = JSON.parse(body) as { error?: unknown; message?: unknown } | null;
    const inner = v?.error;
    if (typeof inner === 'string') return inner;
    if (typeof inner === 'object' && inner !== null && typeof (inner as { message?: unknown }).message === 'string')
      return (inner as { message: string }).message;
    if (typeof v?.message === 'string') return v.message;
  } catch {
    // not JSON: fall through to the raw text
  }
  return body.trim().slice(0, 500);
}
