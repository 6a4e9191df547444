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

/** The pinned clock of the goldens: Monday morning in Berlin, so the last complete week is 2026-W47. */
export const NOW = Date.parse('2026-11-23T09:00:00.000Z');
export const TZ = 'Europe/Berlin';
export const BUDGET_NANOS = 45_000_000_000;
export const PRICE_TABLE = 'litellm@00035b69';

/** USD per million tokens: input, output, cache read, cache write (5m). */
const PRICES: Record<string, [number, number, number, number]> = {
  'claude-sonnet-4-5': [3, 15, 0.3, 3.75],
  'claude-opus-4-5': [5, 25, 0.5, 6.25],
  'gpt-5-codex': [1.25, 10, 0.125, 0],
  'gemini-2.5-pro': [1.25, 10, 0.31, 0],
};

function priced(model: string, t: Partial<Tokens>): number | null {
  const p = PRICES[model];
  if (!p) return null;
  const k = tokens(t);
  // µ$ per million tokens = pico-dollars per token; rounded once to nano-dollars
  const picos = k.input * p[0] * 1e6 + k.output * p[1] * 1e6 + k.cacheRead * p[2] * 1e6 + (k.cacheWrite5m + k.cacheWrite1h) * p[3] * 1e6;
  return Math.floor((Math.round(picos) + 500) / 1000);
}

interface Spec {
  at: string;
  agent: string;
  model: string;
  project: string | null;
  t: Partial<Tokens>;
  local?: { replaces: string };
  estimated?: boolean;
  source?: Interaction['source'];
}

/** Token counts of a busy agentic day; the specs below are written at 1/SCALE for readability. */
const SCALE = 6;

function make(s: Spec, n: number): Interaction {
  s = { ...s, t: Object.fromEntries(Object.entries(s.t).map(([k, v]) => [k, (v ?? 0) * SCALE])) };
  const cost = s.local ? 0 : priced(s.model, s.t);
  return {
    id: `fixture:${n}`,
    at: s.at,
    agent: s.agent,
    source: s.source ?? 'log',
    project: s.project,
    model: s.model,
    route: s.local ? 'local' : 'cloud',
    replaces: s.local?.replaces ?? null,
    tokens: tokens(s.t),
    costNanos: cost,
    avoidedNanos: s.local ? priced(s.local.replaces, s.t) : null,
    priceSource: cost === null ? null : s.local ? (priced(s.local.replaces, s.t) === null ? null : PRICE_TABLE) : PRICE_TABLE,
    estimated: s.estimated ?? false,
  };
}

/** A project name that needs escaping in every format: quotes, comma, angle brackets, a pipe. */
export const AWKWARD_PROJECT = 'site "v2", <beta> | next';

/**
 * The fixed ledger: November 2026 in Berlin, with the week 2026-W47 (16–22 Nov) busy in every way a
 * report must handle — several agents and models, local interactions with avoided spend (one whose
 * cloud model is unknown), an unpriced model, estimated counts, no project, an awkward project name,
 * and records just inside and just outside the week's local midnights.
 */
export function fixedLedger(): Interaction[] {
  const specs: Spec[] = [];
  const at = (day: string, hhmm: string) => new Date(`${day}T${hhmm}:00.000+01:00`).toISOString();
  // 1–15 November: steady Claude Code use (month to date, and the previous week W46 = 9–15 Nov).
  for (let d = 1; d <= 15; d++) {
    const day = `2026-11-${String(d).padStart(2, '0')}`;
    for (let i = 0; i < 3; i++)
      specs.push({
        at: at(day, `1${i}:15`),
        agent: 'claude-code',
        model: 'claude-sonnet-4-5',
        project: 'webshop',
        t: { input: 1200 + 100 * i, output: 900, cacheRead: 40_000 + 1000 * d, cacheWrite5m: 2000 },
      });
  }
  // The week 2026-W47.
  const week = ['2026-11-16', '2026-11-17', '2026-11-18', '2026-11-19', '2026-11-20', '2026-11-21', '2026-11-22'];
  week.forEach((day, d) => {
    const weekend = d >= 5;
    for (let i = 0; i < (weekend ? 1 : 4 + (d % 3)); i++) {
      specs.push({
        at: at(day, `0${i + 1}:${10 + d}`.slice(-5)),
        agent: 'claude-code',
        model: 'claude-sonnet-4-5',
        project: 'webshop',
        t: {
          input: 1500 + 37 * i,
          output: 1100 + 13 * d,
          cacheRead: 60_000 + 2500 * i,
          cacheWrite5m: 3000,
          cacheWrite1h: d === 2 ? 8000 : 0,
        },
      });
    }
    if (!weekend)
      specs.push({
        at: at(day, '14:05'),
        agent: 'codex',
        model: 'gpt-5-codex',
        project: 'billing-api',
        t: { input: 8000 + 500 * d, output: 2400, cacheRead: 30_000, reasoning: 1600 },
      });
    if (d === 1 || d === 3)
      specs.push({
        at: at(day, '16:40'),
        agent: 'editor-chat',
        source: 'chat',
        model: 'qwen3-coder:30b',
        project: 'webshop',
        t: { input: 5200, output: 700 },
        local: { replaces: 'claude-sonnet-4-5' },
        estimated: d === 3,
      });
  });
  specs.push({
    at: at('2026-11-18', '11:30'),
    agent: 'claude-code',
    model: 'claude-opus-4-5',
    project: 'billing-api',
    t: { input: 4000, output: 6000, cacheRead: 120_000, cacheWrite5m: 15_000 },
  });
  specs.push({
    at: at('2026-11-21', '10:00'),
    agent: 'gemini-cli',
    model: 'gemini-2.5-pro',
    project: 'infra',
    t: { input: 22_000, output: 3100, reasoning: 900 },
  });
  specs.push({
    at: at('2026-11-19', '09:45'),
    agent: 'gateway',
    source: 'gateway',
    model: 'acme-coder-2',
    project: AWKWARD_PROJECT,
    t: { input: 3000, output: 1000 },
  });
  specs.push({
    at: at('2026-11-19', '09:50'),
    agent: 'gateway',
    source: 'gateway',
    model: 'acme-coder-2',
    project: null,
    t: { input: 900, output: 300 },
    estimated: true,
  });
  specs.push({
    at: at('2026-11-20', '17:00'),
    agent: 'editor-chat',
    source: 'chat',
    model: 'qwen3-coder:30b',
    project: AWKWARD_PROJECT,
    t: { input: 2000, output: 400 },
    local: { replaces: 'acme-coder-2' },
  });
  // Local midnight edges: 00:30 on Monday 16 Nov is in the week (Sunday 23:30 UTC); 00:30 on Monday 23 Nov is not.
  specs.push({
    at: '2026-11-15T23:30:00.000Z',
    agent: 'codex',
    model: 'gpt-5-codex',
    project: 'billing-api',
    t: { input: 1000, output: 200 },
  });
  specs.push({
    at: '2026-11-22T23:30:00.000Z',
    agent: 'codex',
    model: 'gpt-5-codex',
    project: 'billing-api',
    t: { input: 1000, output: 200 },
  });
  return specs.map(make);
}

/**
 * A small team for the merge tests: three developers, each with two weeks (W46, W47) of the fixed
 * ledger in a different shape — ada as is; grace spends three times as much on a small budget;
 * linus runs half of his Claude Code calls locally and has no budget.
 */
export function teamLedgers(): { developer: string; budgetNanos: number | null; records: Interaction[] }[] {
  const base = fixedLedger();
  const grace = base.map((r) => ({
    ...r,
    id: `g-${r.id}`,
    costNanos: r.costNanos === null ? null : r.costNanos * 3,
    agent: r.agent === 'claude-code' ? 'cline' : r.agent,
  }));
  const linus = base.map((r, i): Interaction =>
    r.agent === 'claude-code' && i % 2 === 0
      ? { ...r, id: `l-${r.id}`, route: 'local', model: 'qwen3-coder:30b', replaces: r.model, avoidedNanos: r.costNanos, costNanos: 0 }
      : { ...r, id: `l-${r.id}` },
  );
  return [
    { developer: 'ada', budgetNanos: BUDGET_NANOS, records: base },
    { developer: 'grace', budgetNanos: 20_000_000_000, records: grace },
    { developer: 'linus', budgetNanos: null, records: linus },
  ];
}
