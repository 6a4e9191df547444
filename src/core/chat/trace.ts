import type { Tokens } from '../interaction';

/**
 * What one upstream request did, filled in while it streams, so that a request that is cancelled or
 * fails half-way is still metered (the prompt was processed and partial output generated).
 */
export interface RequestTrace {
  /** The server accepted the request (response headers arrived): from here on it may be billed. */
  accepted: boolean;
  /** The provider's response id, when it sends one. */
  providerId?: string;
  /** Usage as reported by the server; undefined when it reported none. */
  usage?: Tokens;
  /** Everything generated so far (text and tool-call arguments), for an estimate when usage is missing. */
  output: string;
}

export function newTrace(): RequestTrace {
  return { accepted: false, output: '' };
}
