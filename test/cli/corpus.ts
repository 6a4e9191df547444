/**
 * The literal corpus of the CLI view and status-line tests: R<n> costs n × 1,000,000 nano-dollars,
 * so sums are hand arithmetic; it crosses New York's (2026-03-08 07:00Z) and Berlin's (2026-03-29
 * 01:00Z) spring DST changes.
 */
import { tokens, type Interaction } from '../../src/core/interaction';

/** The pinned clock: an active Claude Code block (11:00Z–16:00Z) is under way. */
export const NOW = '2026-04-01T13:40:00.000Z';

/** [n, at, agent, id, project, model]: R<n> costs n × 1,000,000 nanos, 1,000 input and 100 output tokens. */
const CORPUS: [number, string, string, string, string, string][] = [
  [1, '2026-03-07T23:30:00.000Z', 'claude-code', 'anthropic:msg_01', 'webapp', 'claude-sonnet-4-5'],
  [2, '2026-03-08T06:30:00.000Z', 'codex', 'codex:rollout-a:1772951400000:1100', 'api', 'gpt-5'],
  [3, '2026-03-08T07:30:00.000Z', 'codex', 'codex:rollout-a:1772955000000:2200', 'api', 'gpt-5'],
  [4, '2026-03-09T03:59:00.000Z', 'claude-code', 'anthropic:msg_02', 'webapp', 'claude-opus-4-1'],
  [14, '2026-03-16T10:00:00.000Z', 'codex', 'codex:rollout-b:1773655200000:1100', 'api', 'gpt-5'],
  [5, '2026-03-28T23:30:00.000Z', 'gemini-cli', 'gemini-cli:sess-1:m1', 'docs', 'gemini-2.5-pro'],
  [6, '2026-03-29T00:59:00.000Z', 'gemini-cli', 'gemini-cli:sess-1:m2', 'docs', 'gemini-2.5-pro'],
  [7, '2026-03-29T01:00:00.000Z', 'cline', 'cline:task-9:1774746000000', 'webapp', 'claude-sonnet-4-5'],
  [8, '2026-03-29T22:30:00.000Z', 'claude-code', 'anthropic:msg_03', 'webapp', 'claude-sonnet-4-5'],
  [9, '2026-03-31T21:59:00.000Z', 'claude-code', 'anthropic:msg_04', 'api', 'claude-sonnet-4-5'],
  [10, '2026-03-31T22:00:00.000Z', 'claude-code', 'anthropic:msg_05', 'api', 'claude-sonnet-4-5'],
  [11, '2026-04-01T11:10:00.000Z', 'claude-code', 'anthropic:msg_06', 'webapp', 'claude-sonnet-4-5'],
  [0, '2026-04-01T12:00:00.000Z', 'claude-code', 'anthropic:msg_08', 'webapp', 'acme-coder-9'],
  [12, '2026-04-01T13:10:00.000Z', 'claude-code', 'anthropic:msg_07', 'webapp', 'claude-sonnet-4-5'],
];

/**
 * Branch and repository per R<n>, as the sources would record them: Gemini CLI and Cline record neither
 * (R5, R6, R7); R12's Claude Code line named a branch but its cwd had no remote.
 */
const WEBAPP = 'github.com/acme/webapp';
const API = 'github.com/acme/api';
const ATTRIBUTION: Record<number, { branch?: string; repo?: string }> = {
  1: { branch: 'main', repo: WEBAPP },
  2: { branch: 'feature/auth', repo: API },
  3: { branch: 'feature/auth', repo: API },
  4: { branch: 'feature/billing', repo: WEBAPP },
  14: { branch: 'main', repo: API },
  8: { branch: 'feature/billing', repo: WEBAPP },
  9: { branch: 'feature/auth', repo: API },
  10: { branch: 'feature/auth', repo: API },
  11: { branch: 'feature/billing', repo: WEBAPP },
  0: { branch: 'feature/billing', repo: WEBAPP },
  12: { branch: 'main' },
};

export function corpus(): Interaction[] {
  return CORPUS.map(([n, at, agent, id, project, model]) => ({
    id,
    at,
    agent,
    source: 'log',
    project,
    model,
    route: 'cloud',
    replaces: null,
    tokens: tokens({ input: 1000, output: 100 }),
    // R0 is a model nobody prices: unpriced, never $0.
    costNanos: n === 0 ? null : n * 1_000_000,
    avoidedNanos: null,
    priceSource: n === 0 ? null : 'litellm@test',
    estimated: false,
    ...ATTRIBUTION[n],
  }));
}
