/** Interactions for tests that build a ledger by hand. */
import { tokens, type Interaction } from '../../src/core/interaction';

/** A cloud Claude Code call of Sonnet 4.5 in project acme (10 input and 10 output tokens, priced `costNanos`), then `extra`. */
export function interaction(id: string, at: string, costNanos: number | null, extra: Partial<Interaction> = {}): Interaction {
  return {
    id,
    at,
    agent: 'claude-code',
    source: 'log',
    project: 'acme',
    model: 'claude-sonnet-4-5',
    route: 'cloud',
    replaces: null,
    tokens: tokens({ input: 10, output: 10 }),
    costNanos,
    avoidedNanos: null,
    priceSource: costNanos === null ? null : 'litellm@test',
    estimated: false,
    ...extra,
  };
}
