/** Interaction builders and the fixed ledger the report tests and goldens are rendered from. */
import type { Interaction, Tokens } from '../../src/core/interaction';
import { tokens } from '../../src/core/interaction';

let seq = 0;

export function rec(p: Partial<Omit<Interaction, 'tokens'>> & { tokens?: Partial<Tokens> }): Interaction {
  const route = p.route ?? 'cloud';
  return {
    id: p.id ?? `test:${++seq}`,
    at: p.at ?? '2026-11-18T10:00:00.000Z',
    agent: p.agent ?? 'claude-code',
    source: p.source ?? 'log',
    project: p.project === undefined ? 'webshop' : p.project,
    model: p.model ?? 'claude-sonnet-4-5',
    route,
    replaces: p.replaces ?? null,
    tokens: tokens(p.tokens ?? { input: 1000, output: 500 }),
    costNanos: p.costNanos === undefined ? 10_500_000 : p.costNanos,
    avoidedNanos: p.avoidedNanos === undefined ? null : p.avoidedNanos,
    priceSource: p.priceSource === undefined ? (p.costNanos === null ? null : 'litellm@00035b69') : p.priceSource,
    estimated: p.estimated ?? false,
  };
}
